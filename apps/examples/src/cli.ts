// Entry point of `pnpm demo` and `pnpm example <name>`: the command on a real loop.
import { runCommand } from './command.js';

process.exitCode = await runCommand(process.argv.slice(2));
