/*
 * Future: a result that will exist later, awaitable, completed once.
 *
 * Invariants
 *   1. A future completes at most once: pending → fulfilled | rejected | cancelled.
 *   2. Its callbacks (done callbacks and awaiters) are ReadyHandles kept in registration
 *      order; on completion each is queued on a loop (never called inline), so
 *      they run in that order on the next iteration, as asyncio's call_soon.
 *   3. `await future` (the engine calls `then`) follows the task step protocol
 *      (step.ts): an Awaiter is registered; inside a task the future becomes the
 *      task's waiter and the task's step ends.
 *   4. An exception nobody retrieved (result(), exception(), await) is reported
 *      through the loop's exception handler when run() ends, when the loop
 *      closes, or when the future is collected, whichever comes first (see
 *      unretrieved.ts).
 *
 * Tested by test/future.test.ts, test/ordering.test.ts, test/unretrieved.test.ts.
 */

import {
  BaseLoop,
  describeValue,
  getRunningLoop,
  type Loop,
  type ReadyHandle,
  recognizeAcrossCopies,
  requireFunction,
} from '@coro/loop';
import { CancelledError, deliveredCancelledError, InvalidStateError } from './errors.js';
import { CANCELLED, FULFILLED, PENDING, REJECTED } from './future-state.js';
import { Awaiter, awaitFuture } from './step.js';
import { forgetUnretrieved, trackUnretrieved } from './unretrieved.js';

/**
 * Options of `new Future()`.
 *
 * @example
 * ```ts
 * import { Future, type FutureOptions } from '@coro/futures';
 * import { VirtualLoop } from '@coro/loop';
 *
 * const options: FutureOptions = { loop: new VirtualLoop(), name: 'reply' };
 * const reply = new Future<string>(options);
 * ```
 */
export interface FutureOptions {
  /** The loop that runs the future's callbacks. @defaultValue the running loop */
  loop?: Loop;
  /** A name for diagnostics (`formatCallGraph`). */
  name?: string;
}

/**
 * The loop asBaseLoop accepted last. Nearly every call (each Future, task and
 * sleep) passes the same loop, and comparing with it is cheaper than `instanceof`,
 * which runs the cross-copy check in a function of its own. It keeps that one loop
 * reachable until another loop is checked.
 */
let lastBaseLoop: BaseLoop | null = null;

/** @internal Checks that `loop` is a coro loop and returns it as one. */
export function asBaseLoop(loop: Loop | undefined, argument = 'options.loop'): BaseLoop {
  const resolved = loop ?? getRunningLoop();
  if (resolved === lastBaseLoop) return lastBaseLoop;
  if (!(resolved instanceof BaseLoop)) {
    throw new TypeError(
      `${argument} must be a coro loop (a BaseLoop); got ${describeValue(resolved)}`,
    );
  }
  lastBaseLoop = resolved;
  return resolved;
}

/**
 * A result that will be set later: awaitable (a `PromiseLike`), cancellable,
 * completed exactly once with `setResult`, `setException` or `cancel`.
 * asyncio's Future, with callbacks run by the loop in registration order.
 *
 * @example
 * ```ts
 * import { Future, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const reply = new Future<string>();
 *   setTimeout(() => reply.setResult('pong'), 10);
 *   console.log(await reply); // pong
 * });
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  static {
    recognizeAcrossCopies(this, 'Future'); // a future of another copy of coro is a Future too
  }
  /** @internal */ state: number;
  /**
   * @internal What the future settled with: the value (fulfilled), the error
   * (rejected) or the cancel message (cancelled). One field for the three: a
   * future holds one of them, and every task and await pays for each field.
   */
  settled: unknown;
  /** @internal */ readonly loop: BaseLoop;
  /**
   * @internal The callbacks, in registration order: one ReadyHandle (most futures have
   * exactly one), an array of them, or `null`.
   */
  callbacks: ReadyHandle | ReadyHandle[] | null;
  /** @internal The name; a task without one keeps the number of its `Task-<n>` here. */
  label: string | number | null;

  constructor(options?: FutureOptions) {
    this.state = PENDING;
    this.settled = undefined;
    this.loop = asBaseLoop(options?.loop);
    this.callbacks = null;
    this.label = options?.name ?? null;
  }

  /** Whether the future has a result, an exception, or was cancelled. */
  done(): boolean {
    return this.state !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.state === CANCELLED;
  }

  /**
   * The result. Throws the future's exception if it has one, `CancelledError`
   * if it was cancelled, `InvalidStateError` if it is still pending.
   */
  result(): T {
    switch (this.state) {
      case FULFILLED:
        return this.settled as T;
      case REJECTED:
        this.markRetrieved();
        throw this.settled;
      case CANCELLED:
        throw new CancelledError(this.settled as string);
      default:
        throw new InvalidStateError(
          `result() called on a pending ${this.describeKind()}; await it first`,
        );
    }
  }

  /**
   * The exception the future completed with, or `null` if it has a result.
   * Throws `CancelledError` if it was cancelled, `InvalidStateError` if pending.
   */
  exception(): unknown {
    switch (this.state) {
      case FULFILLED:
        return null;
      case REJECTED:
        this.markRetrieved();
        return this.settled;
      case CANCELLED:
        throw new CancelledError(this.settled as string);
      default:
        throw new InvalidStateError(
          `exception() called on a pending ${this.describeKind()}; await it first`,
        );
    }
  }

  /**
   * Completes the future with `value` and schedules its callbacks.
   * @throws {@link InvalidStateError} if the future is already done.
   */
  setResult(value: T): void {
    if (this.state !== PENDING) {
      throw new InvalidStateError(
        `setResult() called on a ${this.describeKind()} that is already ${this.describeState()}`,
      );
    }
    this.resolveNow(value);
  }

  /**
   * Completes the future with `exception` and schedules its callbacks.
   * @throws {@link InvalidStateError} if the future is already done.
   * @throws TypeError if `exception` is a CancelledError (use `cancel()`).
   */
  setException(exception: unknown): void {
    if (this.state !== PENDING) {
      throw new InvalidStateError(
        `setException() called on a ${this.describeKind()} that is already ${this.describeState()}`,
      );
    }
    if (exception instanceof CancelledError) {
      throw new TypeError(
        'exception must not be a CancelledError; call cancel() to cancel a future',
      );
    }
    this.rejectNow(exception);
  }

  /**
   * Cancels the future if it is pending: it completes as cancelled and its
   * callbacks are scheduled. Returns `false` if it was already done.
   */
  cancel(message?: string): boolean {
    if (this.state !== PENDING) return false;
    this.cancelNow(message);
    return true;
  }

  /**
   * Calls `callback(future)` through `loop.callSoon` once the future is done (at
   * once, scheduled, if it already is). Callbacks run in the order added.
   */
  addDoneCallback(callback: (future: this) => unknown): void {
    requireFunction(callback, 'callback');
    const handle = new DoneCallback(callback as (future: unknown) => unknown, this);
    if (this.state !== PENDING) this.loop.enqueueHandle(handle);
    else this.addCallbackHandle(handle);
  }

  /** Removes every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: (future: this) => unknown): number {
    let removed = 0;
    const keep: ReadyHandle[] = [];
    for (const handle of this.callbackHandles()) {
      if (handle.callback === callback && !(handle instanceof Awaiter)) removed++;
      else keep.push(handle);
    }
    if (removed > 0)
      this.callbacks =
        keep.length === 0 ? null : keep.length === 1 ? (keep[0] as ReadyHandle) : keep;
    return removed;
  }

  /** The loop the future is bound to. */
  getLoop(): Loop {
    return this.loop;
  }

  /**
   * Awaiting support: `await future` and `future.then(…)`. Inside a task, the
   * future becomes what the task waits on, so cancelling the task cancels it.
   * Inside a task of another loop, a pending future rejects the await with an
   * `Error` ("Task 'main' got Future attached to a different loop", asyncio's
   * RuntimeError) and is left as it was.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return awaitFuture(this, onFulfilled, onRejected) as PromiseLike<R1 | R2>;
  }

  /** `then(undefined, onRejected)`, as on a Promise. */
  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): PromiseLike<T | R> {
    return this.then(undefined, onRejected);
  }

  /** What the future waits for, for diagnostics: `Future 'reply' pending`. */
  describe(): string {
    return `${this.describeKind()} ${this.describeState()}`;
  }

  /** @internal The futures this one waits on (gather's children), for call graphs. */
  waitsOn(): readonly Future<unknown>[] {
    return [];
  }

  get [Symbol.toStringTag](): string {
    return this.describe();
  }

  // ── internals shared with Task and the combinators ──────────────────────

  /** @internal */
  describeKind(): string {
    return this.label === null ? 'Future' : `Future '${this.label}'`;
  }

  /** @internal */
  describeState(): string {
    return ['pending', 'fulfilled', 'rejected', 'cancelled'][this.state] as string;
  }

  /** @internal Completes with `value` (no state check). */
  resolveNow(value: T): void {
    this.state = FULFILLED;
    this.settled = value;
    this.scheduleCallbacks();
  }

  /** @internal Completes with `error` (no state check). */
  rejectNow(error: unknown): void {
    this.state = REJECTED;
    this.settled = error;
    trackUnretrieved(this, error);
    this.scheduleCallbacks();
  }

  /** @internal Completes as cancelled (no state check). */
  cancelNow(message: string | undefined): void {
    this.state = CANCELLED;
    this.settled = message ?? '';
    this.scheduleCallbacks();
  }

  /**
   * @internal The CancelledError to hand whoever consumes this cancelled future's
   * outcome (an awaiting task, a gather): made without a stack (see
   * deliveredCancelledError). Task overrides it to hand out the error its function
   * raised, once (CPython's `_make_cancelled_error`).
   */
  takeCancelledError(): CancelledError {
    return deliveredCancelledError(this.settled as string);
  }

  /** @internal The exception was looked at: no "never retrieved" report. */
  markRetrieved(): void {
    if (this.state === REJECTED) forgetUnretrieved(this);
  }

  /**
   * @internal Step protocol 4: the task awaiting this completed future was cancelled
   * before it resumed, so the outcome never reaches its code (it gets CancelledError).
   */
  discardOutcome(): void {
    this.markRetrieved();
    this.outcomeDiscarded();
  }

  /**
   * Called when this future completed but the task awaiting it was cancelled before
   * it resumed: the task gets `CancelledError` at that await, as in asyncio, and this
   * outcome reaches no code. The default does nothing; a subclass whose result holds
   * something that must not be lost overrides it to put that back (a StreamReader's
   * read returns the bytes it took to the reader).
   *
   * @example
   * ```ts
   * import { Future } from '@coro/futures';
   *
   * class Ticket extends Future<number> {
   *   constructor(readonly pool: number[]) {
   *     super();
   *   }
   *   protected override outcomeDiscarded(): void {
   *     if (!this.cancelled() && this.exception() === null) this.pool.push(this.result());
   *   }
   * }
   * ```
   */
  protected outcomeDiscarded(): void {
    // Nothing to give back.
  }

  /** @internal */
  addCallbackHandle(handle: ReadyHandle): void {
    const callbacks = this.callbacks;
    if (callbacks === null) this.callbacks = handle;
    else if (Array.isArray(callbacks)) callbacks.push(handle);
    else this.callbacks = [callbacks, handle];
  }

  /** @internal The registered callbacks, in order. */
  callbackHandles(): ReadyHandle[] {
    const callbacks = this.callbacks;
    if (callbacks === null) return [];
    return Array.isArray(callbacks) ? [...callbacks] : [callbacks];
  }

  /** @internal */
  scheduleCallbacks(): void {
    const callbacks = this.callbacks;
    if (callbacks === null) return;
    this.callbacks = null;
    if (!Array.isArray(callbacks)) {
      queueCallback(this, callbacks);
      return;
    }
    for (let i = 0; i < callbacks.length; i++) queueCallback(this, callbacks[i] as ReadyHandle);
  }
}

/**
 * Queues one of `future`'s callbacks: an Awaiter on its own loop (the awaiting
 * task's), any other on the future's. A module function, not a private method:
 * a private method puts a brand field on every instance (8 bytes per future).
 */
function queueCallback(future: Future<unknown>, handle: ReadyHandle): void {
  if (handle instanceof Awaiter) handle.loop.enqueueHandle(handle);
  else future.loop.enqueueHandle(handle);
}

/**
 * @internal A done callback: calls `callback(future)` without an argument array
 * (gather, wait and asCompleted add one per child). A ReadyHandle, not a Handle, as
 * Awaiter (step.ts): one is made per child.
 */
class DoneCallback implements ReadyHandle {
  readonly callback: (future: unknown) => unknown;
  readonly future: Future<unknown>;
  constructor(callback: (future: unknown) => unknown, future: Future<unknown>) {
    this.callback = callback;
    this.future = future;
  }
  run(): void {
    this.callback(this.future);
  }
}
