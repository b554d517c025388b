import { requireTimeMs } from '@coro/loop';
import { type AwaitableLike, ensureFuture } from './ensure-future.js';
import { CancelledError, TimeoutError } from './errors.js';
import { Future } from './future.js';
import { PENDING } from './future-state.js';
import { createTask } from './task.js';
import { currentTask } from './task-context.js';
import { timeout } from './timeout.js';

function release(waiter: Future<void>): void {
  if (waiter.state === PENDING) waiter.resolveNow(undefined);
}

/**
 * Waits for `awaitable` at most `timeoutMs` (`null`: no limit) and resolves to
 * its result. On timeout the awaitable is cancelled (an async function runs in
 * the calling task and is cancelled there, so no task leaks), and
 * `TimeoutError` is thrown. An outside cancellation is never swallowed, even
 * if the awaitable finishes at the same moment (DESIGN §4).
 *
 * @throws {@link TimeoutError} when time runs out.
 * @throws RangeError if `timeoutMs` is NaN or infinite. A timeout of 0 or less times out at
 *   once (the awaitable is cancelled unless it is already done), as asyncio's `wait_for`.
 * @example
 * ```ts
 * import { run, sleep, waitFor } from '@coro/futures';
 *
 * await run(async () => {
 *   console.log(await waitFor(sleep(10, 'quick'), 1_000)); // quick
 * });
 * ```
 */
export async function waitFor<T>(
  awaitable: AwaitableLike<T>,
  timeoutMs: number | null,
): Promise<Awaited<T>> {
  if (timeoutMs !== null) requireTimeMs(timeoutMs, 'timeoutMs');
  if (currentTask() === undefined) {
    return createTask(() => waitFor(awaitable, timeoutMs)) as PromiseLike<Awaited<T>>;
  }
  if (timeoutMs !== null && timeoutMs <= 0) {
    const future = ensureFuture(awaitable);
    if (!future.done()) await cancelAndWait(future);
    try {
      return future.result() as Awaited<T>;
    } catch (error) {
      if (error instanceof CancelledError)
        throw new TimeoutError('waitFor() timed out', { cause: error });
      throw error;
    }
  }
  // A Promise is awaited through a Future, so the deadline can cancel the wait
  // (the Promise's own work goes on: nothing can stop it from outside).
  const body = typeof awaitable === 'function' ? awaitable : () => ensureFuture(awaitable);
  return timeout(timeoutMs, body) as Promise<Awaited<T>>;
}

async function cancelAndWait(future: Future<unknown>): Promise<void> {
  const waiter = new Future<void>({ loop: future.getLoop() });
  const onDone = (): void => release(waiter);
  future.addDoneCallback(onDone);
  try {
    future.cancel();
    await waiter;
  } finally {
    future.removeDoneCallback(onDone);
  }
}
