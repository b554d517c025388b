/*
 * pending-io: the coro Future that an operation of Node's I/O settles (a bind, a
 * connect, a DNS lookup, a spawn), given up when an AbortSignal fires (internal).
 *
 * Why a Future and not a Promise: awaited inside a task it is the task's waiter,
 * so `task.cancel()` reaches the await (DESIGN §2) and the caller's `catch` can
 * undo what the operation started (close the half-made socket, kill the child).
 *
 *   - An abort settles the Future by @coro/futures' abortFuture (the one rule):
 *     rejected with `signal.reason`, or cancelled with its message when the reason
 *     is a CancelledError (a task's own signal).
 *   - The abort listener is removed when the Future is done, however it ends.
 *   - A cancellation that arrives as the operation completes is delivered by
 *     deliverLateCancel(), so that nothing made is lost open.
 */

import { abortFuture, currentTask, Future, sleep } from '@coro/futures';
import type { Loop } from '@coro/loop';

class PendingIo<T> extends Future<T> {
  #signal: AbortSignal | undefined;

  constructor(loop: Loop, signal: AbortSignal | undefined) {
    super({ loop });
    this.#signal = signal;
    if (signal !== undefined) {
      signal.addEventListener('abort', this); // handleEvent: no closure per operation
      this.addDoneCallback(stopListening);
    }
  }

  /** @internal The signal fired. */
  handleEvent(): void {
    const signal = this.#signal;
    if (signal !== undefined) abortFuture(this, signal.reason);
  }

  /** @internal */
  forgetSignal(): void {
    this.#signal?.removeEventListener('abort', this);
    this.#signal = undefined;
  }
}

function stopListening(future: PendingIo<unknown>): void {
  future.forgetSignal();
}

/**
 * @internal A Future for an I/O operation, bound to `loop`, rejected with
 * `signal.reason` (or cancelled, for a task's own signal) when `signal` aborts.
 * Throws the reason at once if `signal` is already aborted.
 */
export function pendingIo<T>(loop: Loop, signal: AbortSignal | undefined): Future<T> {
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    throw reason;
  }
  return new PendingIo<T>(loop, signal);
}

/**
 * @internal Awaits `future`, which `signal` settles by abortFuture when it aborts
 * (at once if it already has). The listener goes when the wait ends, however.
 */
export async function awaitUnlessAborted<T>(
  future: Future<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  if (signal === undefined) return await future;
  const onAbort = () => abortFuture(future, signal.reason);
  signal.addEventListener('abort', onAbort);
  try {
    if (signal.aborted) onAbort();
    return await future;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * @internal How many cancellations the calling task has been asked for (0
 * outside a task): read it before the last await of a function that makes a
 * resource, and hand it to {@link deliverLateCancel} after.
 */
export function cancelRequests(): number {
  return currentTask()?.cancelling() ?? 0;
}

/**
 * @internal The trap of a cancellation that arrives just as the awaited
 * operation completes (DESIGN §4): the await returns normally, the task's
 * cancellation stays pending, and the task would end cancelled at its return,
 * dropping the socket or child it made, still open. If the calling task was
 * asked to cancel since `before`, this delivers the cancellation here (a coro
 * await throws it in), so the caller's `catch` closes what it made.
 */
export async function deliverLateCancel(before: number): Promise<void> {
  const task = currentTask();
  if (task !== undefined && task.cancelling() > before) await sleep(0);
}
