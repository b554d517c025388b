/*
 * Future: a result that will exist later, awaitable, completed once.
 *
 * Invariants
 *   1. A future completes at most once: pending → fulfilled | rejected | cancelled.
 *   2. Its callbacks (done callbacks and awaiters) are Handles kept in registration
 *      order; on completion each is queued on a loop (never called inline), so
 *      they run in that order on the next iteration, as asyncio's call_soon.
 *   3. `await future` (the engine calls `then`) registers an Awaiter. Inside a
 *      task it also becomes the task's waiter, so `task.cancel()` cancels it,
 *      and ends the task's step (the loop stops waiting for it; see
 *      @coro/loop's BaseLoop invariant 5). The Awaiter runs on the task's loop
 *      and resumes the task as one step.
 *   4. `then` on a done future resolves in a microtask: awaiting a done future
 *      does not yield to the loop (asyncio's `await fut` on a done future).
 *   5. `then` returns its Awaiter, a PromiseLike that makes a real Promise only if
 *      someone chains on it: plain `await` allocates one object.
 *   6. An exception nobody retrieved (result(), exception(), await) is reported
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
  Handle,
  type Loop,
  recognizeAcrossCopies,
  requireFunction,
} from '@coro/loop';
import { CancelledError, deliveredCancelledError, InvalidStateError } from './errors.js';
import type { Task } from './task.js';
import { currentTask } from './task-context.js';
import { forgetUnretrieved, trackUnretrieved, type UnretrievedRecord } from './unretrieved.js';

/** @internal */ export const PENDING = 0;
/** @internal */ export const FULFILLED = 1;
/** @internal */ export const REJECTED = 2;
/** @internal */ export const CANCELLED = 3;

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

/** @internal Checks that `loop` is a coro loop and returns it as one. */
export function asBaseLoop(loop: Loop | undefined, argument = 'options.loop'): BaseLoop {
  const resolved = loop ?? getRunningLoop();
  if (!(resolved instanceof BaseLoop)) {
    throw new TypeError(
      `${argument} must be a coro loop (a BaseLoop); got ${describeValue(resolved)}`,
    );
  }
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
   * @internal The callbacks, in registration order: one Handle (most futures have
   * exactly one), an array of them, or `null`.
   */
  callbacks: Handle | Handle[] | null;
  /** @internal The open report of an exception nobody retrieved yet, if any. */ unretrieved: UnretrievedRecord | null;
  /** @internal */ label: string | null;

  constructor(options?: FutureOptions) {
    this.state = PENDING;
    this.settled = undefined;
    this.loop = asBaseLoop(options?.loop);
    this.callbacks = null;
    this.unretrieved = null;
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
    const keep: Handle[] = [];
    for (const handle of this.callbackHandles()) {
      if (handle.callback === callback && !(handle instanceof Awaiter)) removed++;
      else keep.push(handle);
    }
    if (removed > 0)
      this.callbacks = keep.length === 0 ? null : keep.length === 1 ? (keep[0] as Handle) : keep;
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
    const task = currentTask();
    const awaiter = new Awaiter(this, onFulfilled, onRejected, task ?? null);
    if (this.state !== PENDING) {
      settleSoon(awaiter);
      return awaiter as PromiseLike<R1 | R2>;
    }
    if (this.loop.isClosed()) {
      awaiter.failEarly(new Error(`cannot await a ${this.describeKind()} whose loop is closed`));
      return awaiter as PromiseLike<R1 | R2>;
    }
    if ((task as unknown) === this) {
      // asyncio: "Task cannot await on itself" (it would wait forever, and
      // cancelling it would cancel itself without end).
      awaiter.failEarly(new Error(`${this.describeKind()} cannot await itself`));
      return awaiter as PromiseLike<R1 | R2>;
    }
    if (task !== undefined && task.loop !== this.loop) {
      // asyncio's RuntimeError: the future completes on a loop that may never run,
      // and its callbacks would resume the task from that loop's ticks.
      awaiter.failEarly(
        new Error(`${task.describeKind()} got ${this.describeKind()} attached to a different loop`),
      );
      return awaiter as PromiseLike<R1 | R2>;
    }
    this.addCallbackHandle(awaiter);
    if (task !== undefined) task.suspendOn(this);
    return awaiter as PromiseLike<R1 | R2>;
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
    this.unretrieved = trackUnretrieved(this, error);
    this.scheduleCallbacks();
  }

  /** @internal Completes as cancelled (no state check). */
  cancelNow(message: string | undefined): void {
    this.state = CANCELLED;
    this.settled = message ?? '';
    this.scheduleCallbacks();
  }

  /** @internal The exception was looked at: no "never retrieved" report. */
  markRetrieved(): void {
    const record = this.unretrieved;
    if (record !== null) {
      this.unretrieved = null;
      forgetUnretrieved(record);
    }
  }

  /** @internal */
  addCallbackHandle(handle: Handle): void {
    const callbacks = this.callbacks;
    if (callbacks === null) this.callbacks = handle;
    else if (Array.isArray(callbacks)) callbacks.push(handle);
    else this.callbacks = [callbacks, handle];
  }

  /** @internal The registered callbacks, in order. */
  callbackHandles(): Handle[] {
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
    for (let i = 0; i < callbacks.length; i++) queueCallback(this, callbacks[i] as Handle);
  }
}

/**
 * Queues one of `future`'s callbacks: an Awaiter on its own loop (the awaiting
 * task's), any other on the future's. A module function, not a private method:
 * a private method puts a brand field on every instance (8 bytes per future).
 */
function queueCallback(future: Future<unknown>, handle: Handle): void {
  if (handle instanceof Awaiter) handle.loop.enqueueHandle(handle);
  else future.loop.enqueueHandle(handle);
}

/**
 * @internal A done callback: a Handle that calls `callback(future)` without an
 * argument array (gather, wait and asCompleted add one per child).
 */
class DoneCallback extends Handle {
  future: Future<unknown> | null;
  constructor(callback: (future: unknown) => unknown, future: Future<unknown>) {
    super(callback, null);
    this.future = future;
  }
  override run(): void {
    const callback = this.callback;
    if (callback !== null) callback(this.future);
  }
  override cancel(): void {
    super.cancel();
    this.future = null;
  }
}

/** A future that was already done when awaited resolves in a microtask, without a loop turn. */
function settleSoon(awaiter: Awaiter): void {
  queueMicrotask(() => awaiter.settleFromSource());
}

const NO_OUTCOME = 0;
const OUTCOME_VALUE = 1;
const OUTCOME_ERROR = 2;

function resumeAwaiter(): void {
  // Never called: Awaiter overrides run(). A Handle needs a non-null callback.
}

/**
 * @internal One `await` (or `then`) on a Future: a loop Handle that, when run,
 * resumes the awaiting code as one task step; and the PromiseLike `then`
 * returns, which makes a real Promise only if someone chains on it.
 */
export class Awaiter extends Handle implements PromiseLike<unknown> {
  source: Future<unknown> | null;
  onFulfilled: ((value: any) => unknown) | null | undefined;
  onRejected: ((reason: unknown) => unknown) | null | undefined;
  task: Task<unknown> | null;
  /** The loop that runs this awaiter: the task's, else the future's. */
  readonly loop: BaseLoop;
  outcome: number;
  outcomeValue: unknown;
  chain: {
    promise: Promise<unknown>;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  } | null;

  constructor(
    source: Future<unknown> | null,
    onFulfilled: ((value: any) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
    task: Task<unknown> | null,
    loop?: BaseLoop,
  ) {
    super(resumeAwaiter, null);
    this.source = source;
    this.onFulfilled = onFulfilled;
    this.onRejected = onRejected;
    this.task = task;
    this.loop = task !== null ? task.loop : (loop ?? (source as Future<unknown>).loop);
    this.outcome = NO_OUTCOME;
    this.outcomeValue = undefined;
    this.chain = null;
  }

  /** Run by the loop: resumes the awaiting task as one step (BaseLoop invariant 5). */
  override run(): void {
    const task = this.task;
    if (task !== null && task.resumeStep(this.source)) {
      // A cancellation is pending; if the awaited future was itself cancelled, its
      // CancelledError (and message) stands, as in CPython's Task.__step. An
      // exception it holds counts as retrieved (CPython's __wakeup reads result()).
      if (this.source === null || this.source.state !== CANCELLED) {
        this.source?.markRetrieved();
        this.deliver(OUTCOME_ERROR, task.takeCancellation());
        return;
      }
    }
    this.settleFromSource();
  }

  /** @internal Settles with what the source future holds. */
  settleFromSource(): void {
    const source = this.source;
    if (source === null) {
      this.deliver(OUTCOME_VALUE, this.outcomeValue);
      return;
    }
    switch (source.state) {
      case FULFILLED:
        this.deliver(OUTCOME_VALUE, source.settled);
        return;
      case REJECTED:
        source.markRetrieved();
        this.deliver(OUTCOME_ERROR, source.settled);
        return;
      default:
        if (this.task !== null) this.task.noteCancelDelivered();
        this.deliver(OUTCOME_ERROR, deliveredCancelledError(source.settled as string));
    }
  }

  /** @internal Rejects at once (a future of a closed loop). */
  failEarly(error: unknown): void {
    queueMicrotask(() => this.deliver(OUTCOME_ERROR, error));
  }

  /** Calls the right callback once, and settles the chained Promise if any. */
  deliver(kind: number, value: unknown): void {
    if (this.outcome !== NO_OUTCOME) return;
    const callback = kind === OUTCOME_VALUE ? this.onFulfilled : this.onRejected;
    this.onFulfilled = null;
    this.onRejected = null;
    this.source = null;
    let resultKind = kind;
    let result = value;
    if (typeof callback === 'function') {
      try {
        result = callback(value);
        resultKind = OUTCOME_VALUE;
      } catch (error) {
        resultKind = OUTCOME_ERROR;
        result = error;
      }
    }
    this.outcome = resultKind;
    this.outcomeValue = result;
    const chain = this.chain;
    if (chain !== null) {
      if (resultKind === OUTCOME_VALUE) chain.resolve(result);
      else chain.reject(result);
    } else if (resultKind === OUTCOME_ERROR) {
      this.loop.callExceptionHandler({
        message:
          'Unhandled rejection of a Future awaited with then() (chain on what then() returns to handle it)',
        exception: result,
      });
    }
  }

  then<R1 = unknown, R2 = never>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return chainedPromise(this).then(onFulfilled, onRejected);
  }

  catch<R = never>(
    onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null,
  ): Promise<unknown> {
    return chainedPromise(this).catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<unknown> {
    return chainedPromise(this).finally(onFinally);
  }
}

/**
 * The real Promise behind an Awaiter, made when someone first chains on it and
 * settled with the Awaiter's outcome (a module function, not a private method:
 * see queueCallback).
 */
function chainedPromise(awaiter: Awaiter): Promise<unknown> {
  if (awaiter.chain === null) {
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<unknown>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    awaiter.chain = { promise, resolve, reject };
    if (awaiter.outcome === OUTCOME_VALUE) resolve(awaiter.outcomeValue);
    else if (awaiter.outcome === OUTCOME_ERROR) reject(awaiter.outcomeValue);
  }
  return awaiter.chain.promise;
}
