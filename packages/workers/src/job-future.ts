/*
 * job-future: the Future of a job an executor runs somewhere else (a pool's worker, a
 * queue's worker machine): one object per job that is the Future its caller awaits and
 * the listener of the AbortSignal given to `submitWith` (no closure per job).
 *
 * Invariants
 *   1. Every early end goes through `release()`, exactly once: `cancel()` that cancels
 *      the Future, or the signal firing (the Future is cancelled, or fails with the
 *      signal's reason when that is not a cancellation). The executor's `release` takes
 *      the job back: drops it from its queue, aborts it where it runs.
 *   2. `signal` is set exactly while the Future listens to it: `unlisten()` (called by
 *      the executor when the job settles) removes the listener.
 *
 * Tested through the pools (test/executor.test.ts "cancel", "signal") and
 * @coro/distributed's QueueExecutor.
 */

import { abortFuture, Future } from '@coro/futures';

/**
 * The Future of a job that runs elsewhere, for executors: cancelling it, or the
 * AbortSignal it listens to firing, calls its `release()` once, where the executor takes
 * the job back (removes it from a queue, aborts it on its worker). The pools' and
 * `QueueExecutor`'s Futures are JobFutures; extend it to write an executor of your own.
 *
 * @example
 * ```ts
 * import { CancelledError } from '@coro/futures';
 * import { JobFuture } from '@coro/workers';
 *
 * class TimerJob extends JobFuture<string> {
 *   timer: ReturnType<typeof setTimeout> | undefined;
 *   protected release(): void {
 *     clearTimeout(this.timer); // cancelled or aborted before it ran: it never will
 *   }
 * }
 *
 * const controller = new AbortController();
 * const job = new TimerJob();
 * job.listen(controller.signal);
 * job.timer = setTimeout(() => {
 *   job.unlisten();
 *   job.setResult('ran');
 * }, 1_000);
 * controller.abort(new CancelledError('not needed')); // another reason: the job fails with it
 * console.log(job.cancelled()); // true, and the timer was cleared
 * ```
 */
export abstract class JobFuture<T> extends Future<T> {
  /** The AbortSignal it listens to (invariant 2), or undefined. */
  signal: AbortSignal | undefined = undefined;

  /** Listens to `signal`: when it fires, the job ends early (the job is the listener). */
  listen(signal: AbortSignal): void {
    this.signal = signal;
    signal.addEventListener('abort', this);
  }

  /** Stops listening to its signal, once the job is done. */
  unlisten(): void {
    if (this.signal !== undefined) {
      this.signal.removeEventListener('abort', this);
      this.signal = undefined;
    }
  }

  /** Cancels the Future and, if that cancelled it, releases the job (invariant 1). */
  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    this.release();
    return true;
  }

  /** The signal fired: the Future ends with its reason, and the job is released. */
  handleEvent(): void {
    if (this.signal === undefined) return;
    // abortFuture cancels the Future (cancel() above releases it) or fails it (then here).
    if (abortFuture(this, this.signal.reason) && !this.cancelled()) this.release();
  }

  /**
   * The Future ended early (cancelled, or its signal fired): take the job back. Called
   * once, after the Future is done.
   */
  protected abstract release(): void;
}
