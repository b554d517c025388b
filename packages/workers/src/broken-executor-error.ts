/**
 * The job's worker died under it: the thread or process crashed, called
 * `process.exit()`, or went over `maxMemoryMb`. Only the job that was running fails
 * with it; the worker is replaced and the pool keeps serving (unlike Python's
 * `BrokenProcessPool`, which breaks the whole pool). `cause` holds the worker's own
 * error when there was one (an out-of-memory error, an uncaught exception).
 *
 * @example
 * ```ts
 * import { BrokenExecutorError, ThreadPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * try {
 *   await pool.submit(() => process.exit(3));
 * } catch (error) {
 *   console.log(error instanceof BrokenExecutorError); // true
 * }
 * console.log(await pool.submit((x: number) => x + 1, 41)); // 42: a fresh worker
 * ```
 */

import { recognizeAcrossCopies } from '@coro/loop';
export class BrokenExecutorError extends Error {
  static {
    this.prototype.name = 'BrokenExecutorError';
    recognizeAcrossCopies(this, 'BrokenExecutorError');
  }
}
