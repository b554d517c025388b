// mini-redis on its own, without pnpm or tsx: after a build (`pnpm build` at the root),
//
//   node apps/examples/dist/bin/mini-redis.js --port 6380
//
// prints `ready` once listening and stops cleanly on SIGINT or SIGTERM (what a benchmark
// that starts and stops it needs: the signal reaches this process directly).
import { runCommand } from '../command.js';

process.exitCode = await runCommand(['example', 'mini-redis', ...process.argv.slice(2)]);
