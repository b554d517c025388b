/*
 * step: the task step protocol — how a JavaScript `await` on a coro awaitable is
 * tied to the task that awaits. Everything in coro rests on it; this module is the
 * one place that implements the awaiting side. The loop's side is @coro/loop's
 * LoopRuntime (`beginStep`, `endStep`, `enqueueHandle`); the task's side is the
 * `AwaitingTask` interface below, which Task implements.
 *
 * The protocol
 *   1. A step is the run of a task's code between two suspensions. It begins when
 *      a loop handle starts or resumes the task (`loop.beginStep(task)`: the tick
 *      pauses, the code runs in the microtasks that follow) and ends when the task
 *      suspends on a coro awaitable or finishes (`loop.endStep(task)`: the tick
 *      goes on right there). So the code between two awaits runs as one step,
 *      before the callbacks scheduled after it (CPython's order), without a promise
 *      or macrotask of the loop's own per step.
 *   2. `then()` on a coro awaitable (the engine calls it for `await`) makes one
 *      Awaiter: a loop Handle that will resume the awaiting code, and the
 *      PromiseLike `then()` returns (a real Promise only if someone chains on it).
 *      Inside a task, the awaited future becomes the task's waiter
 *      (`task.suspendOn(future)`, last: it ends the step). Outside a task, nothing
 *      else happens: the Awaiter just calls back on the future's loop.
 *      Only a call with two handler functions can be the engine's: `await` (and
 *      `Promise.resolve`, `Promise.all`) pass both. A `then(onFulfilled)` or
 *      `catch(onRejected)` the task's code makes without awaiting, and coro's own
 *      `thenWithoutAwaiting` (gather() of a sleep(0)), leave its step
 *      running and its waiter as it is (a plain callback on the future's loop);
 *      taken for an await, it let the loop run other callbacks in the middle of the
 *      task's code and made `cancel()` cancel that future instead of the task.
 *   3. When the future completes, its Awaiter is queued on the task's loop; run,
 *      it begins the task's next step (`task.resumeStep(source)`) and calls the
 *      engine's callback with the outcome. A done future resolves the await in a
 *      microtask, without a loop turn (asyncio's `await` of a done future).
 *   4. Cancellation is delivered at the await: `task.cancel()` cancels the waiter,
 *      whose completion resumes the task with a CancelledError; with no waiter (a
 *      foreign await, a done waiter, a step running) the request waits in the task
 *      (`mustCancel`) and `resumeStep` says so at the next coro await, which then
 *      throws `task.takeCancellation()` in instead of the awaited outcome; the
 *      future hears that its outcome was discarded (`outcomeDiscarded()`: a
 *      StreamReader's read puts its bytes back). A future
 *      that was itself cancelled keeps its own CancelledError (CPython's
 *      Task.__step); either way the task counts the delivery
 *      (`noteCancelDelivered`), which `timeout` and `TaskGroup` read.
 *   5. A foreign await (a native promise) cannot say that the step ended: the
 *      loop's watchdog macrotask ends it once every microtask has run (BaseLoop
 *      invariant 5), and the task's context (AsyncLocalStorage) carries
 *      `currentTask()` across it. A cancellation then waits for the next coro await.
 *   6. Awaiting is refused, by a rejected await and with the future left as it
 *      was, for a future whose loop is closed, a task awaiting itself, and a
 *      future of another loop than the task's (asyncio's RuntimeErrors).
 *
 * Memory: an Awaiter is what every blocked task holds besides itself; it keeps
 * five fields of its own and records an outcome only when someone may read it.
 *
 * Tested by test/ordering.test.ts (CPython's orderings), test/cancellation.test.ts,
 * test/future.test.ts, test/task.test.ts and test/task-context-fallback.test.ts.
 */

import { type BaseLoop, type ReadyHandle, sharedState } from '@coro/loop';
import type { Future } from './future.js';
import { CANCELLED, FULFILLED, PENDING, REJECTED } from './future-state.js';
import { currentTask } from './task-context.js';

/**
 * @internal What the step protocol needs from the task that awaits (Task
 * implements it). Awaiting code never touches a task's fields.
 */
export interface AwaitingTask {
  /** The loop the task's steps run on. */
  readonly loop: BaseLoop;
  /** `Task 'name'`, for error messages. */
  describeKind(): string;
  /** Protocol 2: the task's code suspends on `future` (`null`: a bare yield); its step ends. */
  suspendOn(future: Future<unknown> | null): void;
  /** Protocol 3: an Awaiter resumes the task; true if a cancellation must be thrown in instead. */
  resumeStep(source: Future<unknown> | null): boolean;
  /** Protocol 4: the CancelledError for a pending cancellation (counted as delivered). */
  takeCancellation(): Error;
  /** Protocol 4: a cancelled awaited future's CancelledError reached the task's code. */
  noteCancelDelivered(): void;
}

const OUTCOME_VALUE = 1;
const OUTCOME_ERROR = 2;

/**
 * What an Awaiter keeps once it delivered, or a Promise chained on it: made only
 * when someone chains, or when the outcome is anything but `undefined` (a plain
 * `await` delivers `undefined` from the engine's callback and needs none).
 */
interface AwaiterChain {
  promise: Promise<unknown> | null;
  resolve: ((value: unknown) => void) | null;
  reject: ((error: unknown) => void) | null;
  kind: number;
  value: unknown;
}

function resumeAwaiter(): void {
  // Never called: Awaiter overrides run(). A Handle needs a non-null callback.
}

/**
 * @internal One `await` (or `then`) on a coro awaitable (protocol 2): a loop Handle
 * that, run, resumes the awaiting code as one step; and the PromiseLike `then()`
 * returns. Delivered once; `callback` is `null` from then on.
 *
 * A ReadyHandle (the loop reads `callback` and calls `run()`), not a Handle: one is
 * made on every await, and constructing a derived class costs V8 a generic construct
 * path for its `super()` call (measured: ~4 % of a task's instructions for the three
 * handles of a task, see apps/bench's README).
 */
export class Awaiter implements ReadyHandle, PromiseLike<unknown> {
  /** A non-null placeholder until delivered, then `null` (the loop skips it). */
  callback: ((...args: any[]) => unknown) | null;
  /** The awaited future; `null` for a bare yield and once delivered. */
  source: Future<unknown> | null;
  onFulfilled: ((value: any) => unknown) | null | undefined;
  onRejected: ((reason: unknown) => unknown) | null | undefined;
  /** The awaiting task, if the await is inside one. */
  readonly task: AwaitingTask | null;
  chain: AwaiterChain | null;

  constructor(
    source: Future<unknown> | null,
    onFulfilled: ((value: any) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
    task: AwaitingTask | null,
  ) {
    this.callback = resumeAwaiter;
    this.source = source;
    this.onFulfilled = onFulfilled;
    this.onRejected = onRejected;
    this.task = task;
    this.chain = null;
  }

  /** The loop that runs this awaiter: the task's, else the future's. */
  get loop(): BaseLoop {
    return this.task !== null ? this.task.loop : (this.source as Future<unknown>).loop;
  }

  /** Run by the loop: resumes the awaiting task as one step (protocol 3 and 4). */
  run(): void {
    const task = this.task;
    if (task?.resumeStep(this.source)) {
      // A cancellation is pending; if the awaited future was itself cancelled, its
      // CancelledError (and message) stands, as in CPython's Task.__step. An
      // exception it holds counts as retrieved (CPython's __wakeup reads result()).
      if (this.source === null || this.source.state !== CANCELLED) {
        this.source?.discardOutcome();
        this.deliver(OUTCOME_ERROR, task.takeCancellation(), task.loop);
        return;
      }
    }
    this.settleFromSource();
  }

  /** Settles with what the source future holds (nothing, for a bare yield in a task). */
  settleFromSource(): void {
    const source = this.source;
    const loop = this.loop;
    if (source === null) {
      this.deliver(OUTCOME_VALUE, undefined, loop);
      return;
    }
    switch (source.state) {
      case FULFILLED:
        this.deliver(OUTCOME_VALUE, source.settled, loop);
        return;
      case REJECTED:
        source.markRetrieved();
        this.deliver(OUTCOME_ERROR, source.settled, loop);
        return;
      default:
        if (this.task !== null) this.task.noteCancelDelivered();
        this.deliver(OUTCOME_ERROR, source.takeCancelledError(), loop);
    }
  }

  /** Rejects in a microtask (protocol 6). */
  failEarly(error: unknown): void {
    const loop = this.loop;
    queueMicrotask(() => this.deliver(OUTCOME_ERROR, error, loop));
  }

  /** Calls the right callback once, and settles the chained Promise if any. */
  deliver(kind: number, value: unknown, loop: BaseLoop): void {
    if (this.callback === null) return; // delivered already
    this.callback = null;
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
    const chain = this.chain;
    if (chain !== null) {
      chain.kind = resultKind;
      chain.value = result;
      if (resultKind === OUTCOME_VALUE) chain.resolve?.(result);
      else chain.reject?.(result);
      return;
    }
    if (resultKind === OUTCOME_VALUE && result === undefined) return; // a plain await: nothing to keep
    this.chain = { promise: null, resolve: null, reject: null, kind: resultKind, value: result };
    if (resultKind === OUTCOME_ERROR) {
      loop.callExceptionHandler({
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
 * @internal The Awaiter of a bare yield (`sleep(0)`) outside a task, or with a value: no
 * source future and maybe no task, so it keeps its loop and the value to deliver.
 * A plain `await sleep(0)` in a task needs neither: a plain Awaiter does.
 */
class YieldAwaiter extends Awaiter {
  readonly #loop: BaseLoop;
  readonly #value: unknown;

  constructor(
    loop: BaseLoop,
    value: unknown,
    onFulfilled: ((value: any) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
    task: AwaitingTask | null,
  ) {
    super(null, onFulfilled, onRejected, task);
    this.#loop = loop;
    this.#value = value;
  }

  override get loop(): BaseLoop {
    return this.task !== null ? this.task.loop : this.#loop;
  }

  override settleFromSource(): void {
    this.deliver(OUTCOME_VALUE, this.#value, this.loop);
  }
}

/**
 * The real Promise behind an Awaiter, made when someone first chains on it and
 * settled with the Awaiter's outcome.
 */
function chainedPromise(awaiter: Awaiter): Promise<unknown> {
  let chain = awaiter.chain;
  if (chain === null) {
    chain = { promise: null, resolve: null, reject: null, kind: 0, value: undefined };
    // Delivered without a chain and nothing kept: the outcome was `undefined`.
    if (awaiter.callback === null) chain.kind = OUTCOME_VALUE;
    awaiter.chain = chain;
  }
  if (chain.promise === null) {
    const settled = chain;
    settled.promise = new Promise<unknown>((resolve, reject) => {
      settled.resolve = resolve;
      settled.reject = reject;
    });
    if (settled.kind === OUTCOME_VALUE) settled.resolve?.(settled.value);
    else if (settled.kind === OUTCOME_ERROR) settled.reject?.(settled.value);
  }
  return chain.promise as Promise<unknown>;
}

/**
 * `then()` calls that coro's own code makes on an awaitable it wraps without awaiting it
 * (ensureFuture). Shared by every copy of coro, whose awaitables may be the ones wrapped.
 */
const ownThenCalls = sharedState('futures.ownThenCalls', () => ({ running: 0 }));

/**
 * @internal `awaitable.then(onFulfilled, onRejected)` for code that wraps the awaitable and
 * goes on: never taken for the current task's await (protocol 2).
 */
export function thenWithoutAwaiting<T>(
  awaitable: PromiseLike<T>,
  onFulfilled: (value: T) => void,
  onRejected: (error: unknown) => void,
): void {
  ownThenCalls.running++;
  try {
    awaitable.then(onFulfilled, onRejected);
  } finally {
    ownThenCalls.running--;
  }
}

/**
 * Whether a `then()` call may be the engine's, for an `await` (protocol 2): it passes two
 * functions, so a call without both is the code's own `then(onFulfilled)` or `catch()`;
 * and it is not coro's own (thenWithoutAwaiting).
 */
function mayBeAwait(onFulfilled: unknown, onRejected: unknown): boolean {
  return (
    typeof onFulfilled === 'function' &&
    typeof onRejected === 'function' &&
    ownThenCalls.running === 0
  );
}

/**
 * @internal `future.then(onFulfilled, onRejected)` (protocol 2, 3 and 6): registers an
 * Awaiter and, inside a task, makes the future the task's waiter.
 */
export function awaitFuture(
  future: Future<unknown>,
  onFulfilled: ((value: any) => unknown) | null | undefined,
  onRejected: ((reason: unknown) => unknown) | null | undefined,
): Awaiter {
  const task: AwaitingTask | undefined = mayBeAwait(onFulfilled, onRejected)
    ? currentTask()
    : undefined;
  const awaiter = new Awaiter(future, onFulfilled, onRejected, task ?? null);
  if (future.state !== PENDING) {
    queueMicrotask(() => awaiter.settleFromSource()); // protocol 3: no loop turn
    return awaiter;
  }
  if (future.loop.isClosed()) {
    awaiter.failEarly(new Error(`cannot await a ${future.describeKind()} whose loop is closed`));
    return awaiter;
  }
  if ((task as unknown) === future) {
    // asyncio: "Task cannot await on itself" (it would wait forever, and
    // cancelling it would cancel itself without end).
    awaiter.failEarly(new Error(`${future.describeKind()} cannot await itself`));
    return awaiter;
  }
  if (task !== undefined && task.loop !== future.loop) {
    // asyncio's RuntimeError: the future completes on a loop that may never run,
    // and its callbacks would resume the task from that loop's ticks.
    awaiter.failEarly(
      new Error(`${task.describeKind()} got ${future.describeKind()} attached to a different loop`),
    );
    return awaiter;
  }
  future.addCallbackHandle(awaiter);
  if (task !== undefined) task.suspendOn(future); // last: it ends the step
  return awaiter;
}

/**
 * @internal `sleep(0).then(onFulfilled, onRejected)`: a bare yield (protocol 2 with no
 * future). The Awaiter is queued at once and resumes the awaiting code on the
 * loop's next iteration.
 */
export function awaitYield(
  loop: BaseLoop,
  value: unknown,
  onFulfilled: ((value: any) => unknown) | null | undefined,
  onRejected: ((reason: unknown) => unknown) | null | undefined,
): Awaiter {
  const task: AwaitingTask | null = mayBeAwait(onFulfilled, onRejected)
    ? (currentTask() ?? null)
    : null;
  const awaiter =
    task !== null && value === undefined && task.loop === loop
      ? new Awaiter(null, onFulfilled, onRejected, task)
      : new YieldAwaiter(loop, value, onFulfilled, onRejected, task);
  awaiter.loop.enqueueHandle(awaiter);
  if (task !== null) task.suspendOn(null); // last: the loop may go on from here
  return awaiter;
}
