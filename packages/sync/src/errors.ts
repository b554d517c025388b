import { recognizeAcrossCopies } from '@coro/loop';

/**
 * Thrown by `Barrier.wait()` when the barrier is aborted, or reset while the
 * caller waits in it (asyncio's `BrokenBarrierError`).
 *
 * @example
 * ```ts
 * import { Barrier, BrokenBarrierError } from '@coro/sync';
 *
 * const barrier = new Barrier(2);
 * await barrier.abort();
 * await barrier.wait().catch((error) => console.log(error instanceof BrokenBarrierError)); // true
 * ```
 */
export class BrokenBarrierError extends Error {
  static {
    this.prototype.name = 'BrokenBarrierError';
    recognizeAcrossCopies(this, 'BrokenBarrierError');
  }
}
