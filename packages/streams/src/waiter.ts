/*
 * StreamWaiter (internal): the Future a blocked read or drain parks on.
 *
 * It is a coro Future, so a task awaiting it is cancelled at that await
 * (DESIGN §2); it is also given up by an AbortSignal (the `{ signal }` option of
 * every read and of drain()), rejecting with the signal's reason, as the waits of
 * @coro/queues do. One waiter per wait, never one per chunk: feedData() only
 * completes the waiter that is there.
 */

import { abortFuture, Future, type FutureOptions } from '@coro/futures';
import type { Loop } from '@coro/loop';

/**
 * @internal The options of the StreamWaiters of `loop` (undefined: the running loop's).
 * A reader makes them once, not an object per wait.
 */
export function waiterOptions(loop: Loop | undefined): FutureOptions | undefined {
  return loop === undefined ? undefined : { loop };
}

/** @internal */
export class StreamWaiter extends Future<void> {
  #signal: AbortSignal | undefined;
  readonly #what: string;

  constructor(options: FutureOptions | undefined, signal: AbortSignal | undefined, what: string) {
    super(options);
    this.#signal = signal;
    this.#what = what;
    // The waiter is its own listener (handleEvent): no closure per wait.
    if (signal !== undefined) signal.addEventListener('abort', this);
  }

  /** Completes the wait normally, unless it is already over. */
  wake(): void {
    if (!this.done()) this.setResult(undefined);
  }

  /** Fails the wait with `error`, unless it is already over. */
  fail(error: unknown): void {
    if (!this.done()) this.setException(error);
  }

  /** The AbortSignal fired: settled by abortFuture (a task's own signal cancels). */
  handleEvent(): void {
    if (this.#signal !== undefined) abortFuture(this, this.#signal.reason);
  }

  /** The wait is over: stop listening to the signal. */
  finish(): void {
    if (this.#signal !== undefined) {
      this.#signal.removeEventListener('abort', this);
      this.#signal = undefined;
    }
  }

  override describe(): string {
    return this.done() ? super.describe() : this.#what;
  }
}

/** @internal Validates `options` of a blocking call and returns its signal, if any. */
export { readSignal } from '@coro/futures';
