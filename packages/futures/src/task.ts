/*
 * Task: a Future driven by an async function, cancellable the asyncio way.
 *
 * Invariants
 *   1. A task starts on the loop's next iteration (the task is itself the
 *      ReadyHandle that starts it: no object of its own per task), or at once with
 *      `eager`. Its function runs in the task's context (taskStorage:
 *      `run`, or `enterWith` when a loop tick starts it on Node 24+), so
 *      `currentTask()` is the task in all of its code, across every await. Until
 *      it starts, `settled` holds the function.
 *   2. Every pending task is in the pending-task list (pending-tasks.ts, strong
 *      links): a task nobody references is never collected mid-flight (DESIGN §4).
 *      It leaves the list when it completes.
 *   3. `waiter` is the Future the task is suspended on (set by Future.then).
 *      cancel() cancels the waiter; if there is none (not started, running, or
 *      awaiting a foreign promise, or the waiter is already done), `mustCancel`
 *      is set and the CancelledError is thrown in at the next step: the start,
 *      or the resumption after the next coro await. A task that returns while
 *      `mustCancel` is set ends cancelled (asyncio's _must_cancel).
 *   4. cancelling() counts cancel() requests; uncancel() takes one back and,
 *      at zero, withdraws a cancellation not yet delivered.
 *   6. `signal` follows invariant 4: aborted (a CancelledError reason) while
 *      cancelling() > 0; once uncancel() brings it to 0, the next read makes a
 *      fresh one, so a caught timeout never poisons later fetches (DESIGN §2).
 *      The AbortController exists only once `signal` is read (most tasks never
 *      read it): cancel() aborts it if there is one, the getter makes it
 *      already aborted if a cancellation is pending.
 *   5. A step (step.ts, the task step protocol): the task's start and the Awaiter call
 *      `loop.beginStep(task)` (the loop pauses); the task calls
 *      `loop.endStep(task)` when it suspends on a coro awaitable (suspendOn, from
 *      `then()`, so its code really is suspended) or finishes.
 *   7. What a task rarely needs (cancellation state, its AbortController, the
 *      debug-mode creation stack) is in `extras`, made on first use.
 *
 * Tested by test/task.test.ts, test/cancellation.test.ts, test/ordering.test.ts.
 */

import {
  describeValue,
  installRuntimeHooks,
  type Loop,
  LoopClosedError,
  recognizeAcrossCopies,
  requireFunction,
  sharedState,
} from '@coro/loop';
import { CancelledError, deliveredCancelledError, InvalidStateError } from './errors.js';
import { asBaseLoop, Future } from './future.js';
import { FULFILLED, PENDING, REJECTED } from './future-state.js';
import { addPendingTask, pendingTaskList, removePendingTask } from './pending-tasks.js';
import {
  currentTask,
  entersAtScheduledStart,
  noteSteppingTask,
  taskStorage,
  tracksAcrossForeignAwaits,
} from './task-context.js';

/** The last task id handed out; shared, so `Task-<n>` names stay unique across copies. */
const taskIds = sharedState('futures.taskIds', () => ({ last: 0 }));

/**
 * Options of `createTask`.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   // name: shown in call graphs and `coro ps`; eager: the body runs now, up to its first await
 *   const task = createTask(() => sleep(10, 'user 7'), { name: 'fetch-user', eager: true });
 *   console.log(task.getName()); // fetch-user
 *   console.log(await task); // user 7
 * });
 * ```
 */
export interface TaskOptions {
  /** A name for logs and call graphs. @defaultValue `Task-<n>` */
  name?: string;
  /** The loop to run on. @defaultValue the running loop */
  loop?: Loop;
  /**
   * Run the function's first step now, inside `createTask`, rather than on the
   * next iteration (Python 3.12's eager tasks). @defaultValue false
   */
  eager?: boolean;
}

function startTask(): void {
  // Never called: the loop calls Task.run(). A queued handle needs a non-null callback.
}

/** The task's function returned `value` (called with `this` bound to the task). */
function finishFulfilled(this: Task<unknown>, value: unknown): void {
  this.finish(FULFILLED, value);
}

/** The task's function threw `error` (called with `this` bound to the task). */
function finishRejected(this: Task<unknown>, error: unknown): void {
  this.finish(REJECTED, error);
}

/**
 * The task's native promise fulfilled. Shared by every task: a reaction registered
 * inside the task's context runs in it (AsyncLocalStorage), so the task is the
 * current one and no bound function per task is needed.
 */
function bodyFulfilled(value: unknown): void {
  (taskStorage.getStore() as Task<unknown>).finish(FULFILLED, value);
}

/** The task's native promise rejected; see bodyFulfilled. */
function bodyRejected(error: unknown): void {
  (taskStorage.getStore() as Task<unknown>).finish(REJECTED, error);
}

/**
 * Runs a task's function inside the task's context and watches its outcome. An
 * async function's native promise is watched by two shared handlers that find the
 * task in the context (see bodyFulfilled); any other thenable (a Future returned by
 * a plain function) by two functions bound to the task, since its callbacks may
 * run outside the task's context.
 */
function startBody(task: Task<unknown>, body: () => unknown): void {
  let result: unknown;
  try {
    result = body();
  } catch (error) {
    task.finish(REJECTED, error);
    return;
  }
  if (result instanceof Promise && tracksAcrossForeignAwaits && result.then === nativeThen) {
    result.then(bodyFulfilled, bodyRejected);
  } else if (
    result !== null &&
    (typeof result === 'object' || typeof result === 'function') &&
    typeof (result as PromiseLike<unknown>).then === 'function'
  ) {
    (result as PromiseLike<unknown>).then(finishFulfilled.bind(task), finishRejected.bind(task));
  } else {
    task.finish(FULFILLED, result);
  }
}

const nativeThen = Promise.prototype.then;

/**
 * What a task rarely needs, kept out of the Task object so that the common task
 * (never cancelled, not in debug mode) carries one field for all of it: made by
 * the first cancel(), `signal` read or debug-mode creation.
 */
class TaskExtras {
  /** cancel() calls minus uncancel() calls (invariant 4). */
  cancelRequests = 0;
  /** The message of the latest cancel(). */
  cancelMessage: string | undefined = undefined;
  /** A cancellation waits to be thrown in at the next step (invariant 3). */
  mustCancel = false;
  /** How many CancelledErrors were thrown into the function. */
  cancelsDelivered = 0;
  /** The AbortController behind `signal`, once read (invariant 6). */
  controller: AbortController | null = null;
  /** Where the task was created, in debug mode. */
  createdAt: string | null = null;
  /**
   * The CancelledError the function raised, handed to the first consumer of the
   * cancelled task's outcome (CPython's `_cancelled_exc`), then dropped.
   */
  cancelledError: CancelledError | null = null;
}

/** A task's TaskExtras, made on first use. */
function extrasOf(task: Task<unknown>): TaskExtras {
  let extras = task.extras;
  if (extras === null) {
    extras = new TaskExtras();
    task.extras = extras;
  }
  return extras;
}

/**
 * A running async function, as a Future of its result (asyncio's Task). Create
 * one with `createTask`. `cancel()` throws `CancelledError` into the function at
 * the coro `await` it is suspended on; `signal` is aborted at the same time for
 * AbortSignal APIs (`fetch`, `fs`, `stream.pipeline`).
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const ticker = createTask(async () => {
 *     for (let i = 0; ; i++) await sleep(100);
 *   }, { name: 'ticker' });
 *   await sleep(250);
 *   ticker.cancel('enough');
 *   await sleep(0);
 *   console.log(ticker.getName(), ticker.cancelled()); // ticker true
 * });
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  static {
    recognizeAcrossCopies(this, 'Task'); // a task of another copy of coro is a Task too
  }
  /** @internal The future the task is suspended on (invariant 3). */ waiter: Future<unknown> | null;
  /** @internal Cancellation state, signal and debug stack, made when first needed. */
  extras: TaskExtras | null;
  /** @internal The pending-task list's links (pending-tasks.ts). */ previousPending: Task<unknown> | null;
  /** @internal */ nextPending: Task<unknown> | null;

  /** Not for direct use: call `createTask`. */
  constructor(body: () => T | PromiseLike<T>, options?: TaskOptions) {
    super({ loop: asBaseLoop(options?.loop) });
    // Until the task starts, `settled` holds its function (a pending future holds
    // nothing else there): one field less on every task.
    this.settled = body;
    // The name, or the id that makes `Task-<n>` (the Future's label holds either).
    this.label = options?.name ?? ++taskIds.last;
    this.waiter = null;
    this.extras = null;
    this.previousPending = null;
    this.nextPending = null;
    if (this.loop.getDebug()) {
      extrasOf(this).createdAt = (new Error().stack ?? '').split('\n').slice(3).join('\n');
    }
  }

  /** @internal A cancellation waits to be thrown in at the next step (invariant 3). */
  get mustCancel(): boolean {
    return this.extras?.mustCancel === true;
  }

  /** @internal How many CancelledErrors were thrown into the function. */
  get cancelsDelivered(): number {
    return this.extras === null ? 0 : this.extras.cancelsDelivered;
  }

  /** @internal The message of the latest cancel(). */
  get cancelMessage(): string | undefined {
    return this.extras?.cancelMessage;
  }

  /** @internal Where the task was created, in debug mode. */
  get createdAt(): string | null {
    return this.extras === null ? null : this.extras.createdAt;
  }

  /** The task's name: the one given, or `Task-<n>`. */
  getName(): string {
    const label = this.label;
    return typeof label === 'string' ? label : `Task-${label}`;
  }

  /** Renames the task. */
  setName(name: string): void {
    this.label = String(name);
  }

  /**
   * An AbortSignal aborted when the task is cancelled (its reason a
   * CancelledError with the cancel message), to pass to `fetch`, `fs`,
   * `stream.pipeline` and the like. It follows the task's cancellation state:
   * once `uncancel()` brings `cancelling()` back to 0 (as `timeout()` does
   * after turning its cancellation into a `TimeoutError`), this returns a
   * fresh, unaborted signal; a signal handed out earlier stays aborted, since
   * the work it was given to was cancelled. Read it where the work starts.
   *
   * @example
   * ```ts
   * import { currentTask, run, sleep, timeout } from '@coro/futures';
   *
   * await run(async () => {
   *   const task = currentTask()!;
   *   const first = task.signal;
   *   await timeout(10, () => sleep(1_000)).catch(() => {}); // the deadline cancelled the task
   *   console.log(first.aborted, task.signal.aborted); // true false: a fresh signal for what follows
   * });
   * ```
   */
  get signal(): AbortSignal {
    const extras = extrasOf(this);
    let controller = extras.controller;
    if (controller === null) {
      controller = new AbortController();
      extras.controller = controller;
      if (extras.cancelRequests > 0) {
        controller.abort(new CancelledError(extras.cancelMessage ?? ''));
      }
    }
    return controller.signal;
  }

  /**
   * Requests cancellation: a `CancelledError` (with `message`) is thrown into
   * the function at the coro `await` it is suspended on, or at its next one.
   * Returns `false` if the task is already done.
   */
  override cancel(message?: string): boolean {
    if (message !== undefined && typeof message !== 'string') {
      throw new TypeError(`message must be a string; got ${describeValue(message)}`);
    }
    if (this.state !== PENDING) return false;
    const extras = extrasOf(this);
    extras.cancelRequests++;
    // Kept whether or not the waiter takes it: a signal first read later aborts with it.
    extras.cancelMessage = message;
    extras.controller?.abort(new CancelledError(message ?? '')); // no-op if already aborted
    const waiter = this.waiter;
    if (waiter?.cancel(message)) return true;
    extras.mustCancel = true;
    return true;
  }

  /** How many cancellation requests are pending (cancel() calls minus uncancel() calls). */
  cancelling(): number {
    return this.extras === null ? 0 : this.extras.cancelRequests;
  }

  /**
   * Takes back one cancellation request and returns how many remain. At zero, a
   * cancellation not yet thrown in is withdrawn, and `signal` is a fresh,
   * unaborted signal from its next read. Code that catches `CancelledError` and
   * goes on must call it.
   */
  uncancel(): number {
    const extras = this.extras;
    if (extras === null) return 0;
    if (extras.cancelRequests > 0) {
      extras.cancelRequests--;
      if (extras.cancelRequests === 0) {
        extras.mustCancel = false;
        // Invariant 6: the aborted signal belongs to the cancelled work; the next read makes a new one.
        if (extras.controller?.signal.aborted === true) extras.controller = null;
      }
    }
    return extras.cancelRequests;
  }

  /** Tasks complete with what their function returns: this throws InvalidStateError. */
  override setResult(_value: T): void {
    throw new InvalidStateError(
      `setResult() is not supported on a Task; ${this.describeKind()} completes with what its function returns`,
    );
  }

  /** Tasks complete with what their function throws: this throws InvalidStateError. */
  override setException(_exception: unknown): void {
    throw new InvalidStateError(
      `setException() is not supported on a Task; ${this.describeKind()} completes with what its function throws`,
    );
  }

  override describe(): string {
    if (this.state !== PENDING) return `${this.describeKind()} ${this.describeState()}`;
    if (this.settled !== undefined) return `${this.describeKind()} not started yet`;
    return `${this.describeKind()} waiting for ${this.waiter?.describe() ?? 'a foreign promise or its next step'}`;
  }

  override waitsOn(): readonly Future<unknown>[] {
    return this.waiter === null ? [] : [this.waiter];
  }

  // ── internals (Future.then, Awaiter, createTask) ────────────────────────

  /** @internal */
  override describeKind(): string {
    return `Task '${this.getName()}'`;
  }

  /** @internal A CancelledError reached the function (an awaited future was cancelled). */
  noteCancelDelivered(): void {
    extrasOf(this).cancelsDelivered++;
  }

  /**
   * @internal A ReadyHandle's `callback` (invariant 1): the task is queued as the
   * handle that starts it, and a handle with a null callback would be skipped.
   */
  get callback(): (...args: any[]) => unknown {
    return startTask;
  }

  /** @internal Run by the loop: the task's first step (invariant 1). */
  run(): void {
    this.start(true);
  }

  /** @internal Runs the first step (invariant 1); `scheduled` when run by the loop. */
  start(scheduled: boolean): void {
    if (this.state !== PENDING) return;
    const body = this.settled as (() => T | PromiseLike<T>) | undefined;
    if (body === undefined) return;
    this.settled = undefined;
    const extras = this.extras;
    if (extras?.mustCancel) {
      // Cancelled before it started: the function never runs (asyncio throws into
      // the coroutine before its first line).
      extras.mustCancel = false;
      extras.cancelsDelivered++;
      removePendingTask(this);
      this.cancelNow(extras.cancelMessage);
      return;
    }
    if (!scheduled) {
      noteSteppingTask(this);
      taskStorage.run(this, startBody, this as Task<unknown>, body as () => unknown);
      return;
    }
    const loop = this.loop;
    loop.beginStep(this);
    noteSteppingTask(this);
    if (!entersAtScheduledStart) {
      taskStorage.run(this, startBody, this as Task<unknown>, body as () => unknown);
      return;
    }
    // A loop tick runs inside a scope that restores the empty context when the tick
    // pauses for this step or ends: entering the task's context for the rest of
    // this call is enough (one context map, where run() builds two).
    const enterWith = taskStorage.enterWith as (store: Task<unknown> | undefined) => void;
    enterWith.call(taskStorage, this);
    startBody(this as Task<unknown>, body as () => unknown);
    // The step already ended (the function returned without awaiting, or returned
    // a Future): the tick goes on in this call, so leave the task's context.
    if (loop.stepOwner !== this) enterWith.call(taskStorage, undefined);
  }

  /** @internal The task suspends on `future` (or on a sleep(0) when null). */
  suspendOn(future: Future<unknown> | null): void {
    this.waiter = future;
    const extras = this.extras;
    if (extras?.mustCancel && future?.cancel(extras.cancelMessage)) {
      extras.mustCancel = false;
    }
    noteSteppingTask(undefined);
    this.loop.endStep(this); // the loop may go on with its next callback right here
  }

  /**
   * @internal An Awaiter resumes the task (invariant 5). Returns true if a
   * cancellation must be thrown in instead of the awaited outcome.
   */
  resumeStep(source: Future<unknown> | null): boolean {
    if (this.state !== PENDING) return false;
    if (this.waiter === source) this.waiter = null;
    this.loop.beginStep(this);
    noteSteppingTask(this);
    const extras = this.extras;
    if (extras === null || !extras.mustCancel) return false;
    extras.mustCancel = false;
    return true;
  }

  /** @internal The CancelledError thrown in for a pending cancellation. */
  takeCancellation(): CancelledError {
    const extras = extrasOf(this);
    extras.cancelsDelivered++;
    return deliveredCancelledError(extras.cancelMessage ?? '');
  }

  /**
   * @internal The CancelledError its function raised, to the first who asks (an
   * awaiting task, a gather), as CPython's `_make_cancelled_error`; a new one after.
   */
  override takeCancelledError(): CancelledError {
    const extras = this.extras;
    const error = extras?.cancelledError;
    if (extras == null || error == null) return super.takeCancelledError();
    extras.cancelledError = null;
    return error;
  }

  /** @internal The function returned (FULFILLED) or threw (REJECTED). */
  finish(kind: number, outcome: unknown): void {
    removePendingTask(this);
    noteSteppingTask(undefined);
    if (this.state === PENDING) {
      this.waiter = null;
      const extras = this.extras;
      if (kind === REJECTED) {
        if (outcome instanceof CancelledError) {
          extrasOf(this).cancelledError = outcome;
          this.cancelNow(outcome.message);
        } else {
          this.rejectNow(outcome);
        }
      } else if (extras?.mustCancel) {
        extras.mustCancel = false;
        this.cancelNow(extras.cancelMessage);
      } else {
        this.resolveNow(outcome as T);
      }
    }
    this.loop.endStep(this); // after its callbacks are queued, so they keep their order
  }
}

/**
 * Wraps `body` (an async function) in a Task and schedules it: it starts on the
 * loop's next iteration, or at once with `{ eager: true }`. The loop keeps the
 * task alive until it is done, so fire-and-forget tasks are never collected
 * mid-flight.
 *
 * @throws TypeError if `body` is not a function, or an option has the wrong type.
 * @example
 * ```ts
 * import { createTask, run, sleep } from '@coro/futures';
 *
 * const total = await run(async () => {
 *   const slow = createTask(async () => { await sleep(20); return 2; });
 *   const fast = createTask(async () => { await sleep(10); return 1; });
 *   return (await slow) + (await fast); // both ran concurrently: ~20 ms, not 30
 * });
 * console.log(total); // 3
 * ```
 */
export function createTask<T>(
  body: () => T | PromiseLike<T>,
  options?: TaskOptions,
): Task<Awaited<T>> {
  requireFunction(body, 'body');
  if (options !== undefined) validateTaskOptions(options);
  const task = new Task<Awaited<T>>(body as () => Awaited<T>, options);
  // Without AsyncLocalStorage (a browser) the task tracker cannot hand the step back to
  // a parent whose code an eager child interrupted: there, a task made inside a task
  // starts on the next iteration, as a plain task does.
  if (options?.eager === true && (tracksAcrossForeignAwaits || currentTask() === undefined)) {
    if (task.loop.isClosed()) throw new LoopClosedError();
    addPendingTask(task as Task<unknown>);
    task.start(false);
  } else {
    task.loop.enqueueHandle(task); // its own start handle (invariant 1); throws on a closed loop
    addPendingTask(task as Task<unknown>);
  }
  return task;
}

function validateTaskOptions(options: TaskOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  if (options.name !== undefined && typeof options.name !== 'string') {
    throw new TypeError(`options.name must be a string; got ${describeValue(options.name)}`);
  }
  if (options.eager !== undefined && typeof options.eager !== 'boolean') {
    throw new TypeError(`options.eager must be a boolean; got ${describeValue(options.eager)}`);
  }
}

/**
 * The pending tasks of `loop` (default: the running loop), started or not.
 *
 * @example
 * ```ts
 * import { allTasks, createTask, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   createTask(() => sleep(10), { name: 'background' });
 *   console.log([...allTasks()].map((task) => task.getName()).sort()); // [ 'Task-…', 'background' ]: main and the background task
 * });
 * ```
 */
export function allTasks(loop?: Loop): Set<Task<unknown>> {
  const target = asBaseLoop(loop, 'loop');
  const tasks = new Set<Task<unknown>>();
  for (const task of pendingTaskList()) if (task.loop === target) tasks.add(task);
  return tasks;
}

installRuntimeHooks({
  toAwaitable: (awaitableOrFn, loop) =>
    typeof awaitableOrFn === 'function' ? createTask(awaitableOrFn, { loop }) : awaitableOrFn,
});
