#!/usr/bin/env node
// The `coro` command: `coro ps PID` and `coro pstree PID` (src/cli/main.ts).
import { main } from './cli/main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
