/*
 * BaseLoop: the ready queue, the timer heap and one iteration of the event loop,
 * shared by NodeLoop, VirtualLoop and BrowserLoop. Subclasses only say what time
 * it is and how to be woken (a macrotask for ready work, a timer for the next
 * deadline).
 *
 * Invariants
 *   1. `ready` is a Deque of handles in callSoon order. A cancelled handle stays
 *      in place and is skipped when it reaches the front.
 *   2. An iteration runs exactly the handles that were ready when it began; those
 *      scheduled meanwhile wait for the next one, after due timers (and, between
 *      ticks, Node's I/O) got a turn. A callback storm cannot starve sockets, as
 *      in CPython's _run_once; never turn it into "drain until empty".
 *   3. Due timers enter `ready` by (when, sequence): equal deadlines keep order.
 *   4. A tick (one macrotask) runs iterations until nothing is ready, or for at
 *      most TICK_BUDGET_MS of real time, or TICK_MAX_ITERATIONS iterations; then
 *      the loop yields to the host (I/O, other macrotasks) and is woken again.
 *      So I/O waits at most one budget behind a storm, and a chain of callbacks
 *      does not pay a macrotask each (a bare setImmediate chain is ~0.5 M/s).
 *   5. Task steps: when a callback resumes a task it calls `beginStep(task)`, and
 *      the tick pauses: the task's code runs in the microtasks that follow, and when
 *      it suspends on a coro awaitable or finishes, `endStep()` resumes the tick
 *      right there. A task that awaits a foreign promise cannot say so; a
 *      watchdog macrotask (it runs only once every microtask has) resumes the
 *      tick then. So a task's code between two awaits runs as one step, in
 *      wake-up order, before callbacks scheduled after it (CPython's order), and
 *      the loop pays no promise or microtask of its own per step.
 *   6. No tick runs inside another: `inTick` guards re-entry; at most one wake-up
 *      (macrotask or timer) is pending.
 *
 * Tested by test/base-loop.test.ts and test/timer-heap.property.test.ts here, and (the
 * step orderings of invariant 5, which need tasks) by @coro/futures' test/ordering.test.ts.
 */

import { Deque } from './deque.js';
import { requireFunction, requireTimeMs } from './describe-value.js';
import { LoopClosedError } from './errors.js';
import { formatError } from './format-error.js';
import { Handle, type HandleOwner, handleSourceStacks, TimerHandle } from './handle.js';
import type { ExceptionContext, ExceptionHandler, Loop, Runnable } from './loop.js';
import type { LoopRuntime, ReadyHandle } from './loop-runtime.js';
import { macrotask } from './macrotask.js';
import { recognizeAcrossCopies } from './recognize-across-copies.js';
import { runtimeHooks } from './runtime-hooks.js';
import { sharedState } from './shared-runtime.js';
import { TimerHeap } from './timer-heap.js';

/** Real milliseconds a tick may run before yielding to the host. */
const TICK_BUDGET_MS = 2;
/** Iterations a tick may run before yielding to the host, whatever the clock says. */
const TICK_MAX_ITERATIONS = 4096;
/** How often (in iterations) the tick reads the real clock. */
const TICK_CLOCK_EVERY = 16;

const realNow: () => number = () => performance.now();

/** setTimeout's longest delay; a longer one fires at once (Node warns), so wake early and re-arm. */
const MAX_HOST_TIMER_DELAY_MS = 2 ** 31 - 1;

/** @internal The host timer delay for a deadline `remainingMs` away: whole ms, capped. */
export function hostTimerDelay(remainingMs: number): number {
  return Math.min(MAX_HOST_TIMER_DELAY_MS, Math.max(0, Math.ceil(remainingMs)));
}

/** Which loop runs a callback right now: one slot for every copy of coro (shared-runtime). */
const runningCallback = sharedState('loop.runningCallback', () => ({
  loop: null as BaseLoop | null,
}));

/** @internal The loop whose callback is running right now, if any. */
export function loopOfRunningCallback(): BaseLoop | null {
  return runningCallback.loop;
}

/**
 * The machinery every coro loop shares. Extend it to drive the loop from another
 * host: implement `time()`, `requestTick()`, `armTimer()` and `disarmTimer()`.
 *
 * @example
 * ```ts
 * import { NodeLoop } from '@coro/loop';
 *
 * const loop = new NodeLoop(); // a BaseLoop driven by setImmediate and setTimeout
 * loop.callSoon(() => console.log('ran'));
 * ```
 */
export abstract class BaseLoop implements Loop, LoopRuntime, HandleOwner {
  static {
    recognizeAcrossCopies(this, 'BaseLoop'); // a loop of another copy of coro is a BaseLoop too
  }
  slowCallbackDuration = 100;

  /** Invariant 5: the task whose step runs now; the tick waits for it. */
  #stepOwner: object | null = null;
  #ready = new Deque<ReadyHandle>();
  #timers = new TimerHeap();
  #sequence = 0;
  #closed = false;
  #running = false;
  #stopping = false;
  #stopWaiters: (() => void)[] = [];
  #inTick = false;
  #tickRequested = false;
  #armedAt = Number.POSITIVE_INFINITY;
  #debug = false;
  #exceptionHandler: ExceptionHandler | null = null;
  #tickCount = 0;
  #tickStarted = 0;
  #iteration = 0;
  /** Handles left to run in the current iteration. */
  #remaining = 0;
  #waitingForStep = false;
  #watchdogPending = false;
  #onTickEnd: (() => void) | null = null;
  readonly #startTick = (): void => {
    this.runTick();
  };
  readonly #runTickBound = (): void => {
    this.#tickRequested = false;
    this.#armedAt = Number.POSITIVE_INFINITY;
    if (!this.#inTick) runtimeHooks.runOutsideTasks(this.#startTick);
  };

  /** The loop's monotonic clock in milliseconds. */
  abstract time(): number;

  /** Wakes the loop soon (a macrotask) to call `tickCallback`. */
  protected abstract requestTick(tickCallback: () => void): void;

  /** Wakes the loop with `tickCallback` at `whenMs` on its clock, replacing any armed wake-up. */
  protected abstract armTimer(whenMs: number, tickCallback: () => void): void;

  /** Cancels the wake-up set by `armTimer`. */
  protected abstract disarmTimer(): void;

  // ── scheduling ──────────────────────────────────────────────────────────

  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    if (this.#closed) throw new LoopClosedError();
    requireFunction(callback, 'callback');
    const handle = new Handle(
      callback as (...args: unknown[]) => unknown,
      args.length === 0 ? null : args,
    );
    if (this.#debug) handleSourceStacks.set(handle, captureStack());
    this.#ready.push(handle);
    if (!this.#inTick && !this.#tickRequested) this.#wakeSoon();
    return handle;
  }

  /**
   * Queues a prebuilt handle (a task step, a future's awaiter) like `callSoon`
   * does, without allocating another Handle or an argument array. Part of the
   * {@link LoopRuntime} that coro's task layer uses.
   */
  enqueueHandle(handle: ReadyHandle): void {
    if (this.#closed) throw new LoopClosedError();
    this.#ready.push(handle);
    if (!this.#inTick && !this.#tickRequested) this.#wakeSoon();
  }

  callLater<A extends unknown[]>(
    delayMs: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    // A delay in the past (negative) means "now", as in asyncio and setTimeout: the
    // timer is due at once and runs on the next iteration. NaN and infinities throw.
    requireTimeMs(delayMs, 'delayMs');
    return this.#schedule(this.time() + delayMs, callback, args);
  }

  callAt<A extends unknown[]>(
    whenMs: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    requireTimeMs(whenMs, 'whenMs');
    return this.#schedule(whenMs, callback, args);
  }

  #schedule(whenMs: number, callback: (...args: never[]) => unknown, args: unknown[]): TimerHandle {
    if (this.#closed) throw new LoopClosedError();
    requireFunction(callback, 'callback');
    const handle = new TimerHandle(
      whenMs,
      this.#sequence++,
      callback as (...args: unknown[]) => unknown,
      args.length === 0 ? null : args,
      this,
    );
    if (this.#debug) handleSourceStacks.set(handle, captureStack());
    this.#timers.push(handle);
    if (!this.#inTick && !this.#tickRequested && whenMs < this.#armedAt) this.#arm(whenMs);
    return handle;
  }

  /** @internal Called by a TimerHandle cancelled while in the heap. */
  timerCancelled(handle: TimerHandle): void {
    this.#timers.noteCancelled();
    // The host timer armed for this deadline must not keep the process alive
    // (or wake the loop) for a timer that no longer exists: re-arm or disarm.
    if (this.#inTick || this.#tickRequested || handle.whenMs !== this.#armedAt) return;
    const next = this.#timers.peek();
    if (next !== undefined) {
      this.#arm(next.whenMs);
    } else {
      this.disarmTimer();
      this.#armedAt = Number.POSITIVE_INFINITY;
    }
  }

  // ── running ─────────────────────────────────────────────────────────────

  async runUntilComplete<T>(awaitableOrFn: Runnable<T>): Promise<T> {
    if (this.#closed) throw new LoopClosedError();
    if (this.#running) throw new Error('runUntilComplete(): this event loop is already running');
    if (
      awaitableOrFn === null ||
      (typeof awaitableOrFn !== 'function' &&
        typeof (awaitableOrFn as PromiseLike<T>)?.then !== 'function')
    ) {
      throw new TypeError(
        `awaitableOrFn must be an awaitable or a function; got ${String(awaitableOrFn)}`,
      );
    }
    this.#running = true;
    try {
      return await this.waitForResult(runtimeHooks.toAwaitable(awaitableOrFn, this));
    } finally {
      this.#running = false;
    }
  }

  /** How `runUntilComplete` waits for its awaitable; VirtualLoop adds deadlock detection. */
  protected waitForResult<T>(awaitable: PromiseLike<T>): PromiseLike<T> {
    return awaitable;
  }

  async runForever(): Promise<void> {
    if (this.#closed) throw new LoopClosedError();
    if (this.#running) throw new Error('runForever(): this event loop is already running');
    this.#running = true;
    try {
      await new Promise<void>((resolve) => {
        this.#stopWaiters.push(resolve);
        if (this.#stopping) this.#wakeSoon();
      });
    } finally {
      this.#running = false;
      this.#stopping = false;
    }
  }

  stop(): void {
    this.#stopping = true;
    if (!this.#inTick && !this.#tickRequested) this.#wakeSoon();
  }

  isRunning(): boolean {
    return this.#running;
  }

  close(): void {
    if (this.#running) throw new Error('close(): cannot close a running event loop');
    if (this.#closed) return;
    // Before anything closes, so a report can still use the loop (futures' "exception
    // was never retrieved", DESIGN §2: deterministic when a loop closes).
    runtimeHooks.loopClosing(this);
    this.#closed = true;
    if (this.#inTick) {
      // A tick paused for a task's step: it ends here.
      this.#waitingForStep = false;
      this.#inTick = false;
      const onEnd = this.#onTickEnd;
      this.#onTickEnd = null;
      onEnd?.();
    }
    this.#ready.clear();
    this.#timers.clear();
    this.disarmTimer();
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  isClosed(): boolean {
    return this.#closed;
  }

  /** Handles ready to run (cancelled ones included): for tests and diagnostics. */
  get readyCount(): number {
    return this.#ready.length;
  }

  /** The earliest live timer's deadline on the loop's clock, or `undefined`: for tests and diagnostics. */
  nextTimerWhen(): number | undefined {
    return this.#timers.peek()?.whenMs;
  }

  /** @internal Timers in the heap, cancelled ones not yet purged included. */
  get timerHeapSize(): number {
    return this.#timers.size;
  }

  /** @internal Whether a tick is running right now. */
  get inTick(): boolean {
    return this.#inTick;
  }

  /** @internal How many ticks ran; VirtualLoop uses it to see that the loop stayed idle. */
  get tickCount(): number {
    return this.#tickCount;
  }

  /**
   * @internal Starts a tick: runs iterations until nothing is ready or the tick's
   * budget is spent, then arranges the next wake-up (invariant 4). The tick
   * pauses while a task's step runs and goes on when the step ends (invariant 5).
   */
  protected runTick(): void {
    if (this.#inTick || this.#closed) return;
    this.#inTick = true;
    this.#tickCount++;
    this.#tickStarted = realNow();
    this.#iteration = 0;
    this.#remaining = 0;
    this.#continueTick();
  }

  /** Runs handles until a task's step starts (the tick pauses) or the tick ends. */
  #continueTick(): void {
    const ready = this.#ready;
    for (;;) {
      if (this.#remaining === 0) {
        if (this.#iteration > 0 && this.#tickBudgetSpent()) break;
        this.#enqueueDueTimers();
        // Count first: callbacks below may schedule more, and those belong to the
        // next iteration (invariant 2).
        this.#remaining = ready.length;
        if (this.#remaining === 0) break;
        this.#iteration++;
      }
      this.#remaining--;
      const handle = ready.shift() as ReadyHandle;
      if (handle.callback === null) continue; // cancelled
      this.#runHandle(handle);
      if (this.#closed) break;
      if (this.#stepOwner !== null) {
        // Invariant 5: the resumed task's step runs in the microtasks that follow;
        // endStep() goes on from here. If the task awaits a foreign promise it never
        // will: the watchdog macrotask (run only once every microtask has) goes on.
        this.#waitingForStep = true;
        if (!this.#watchdogPending) {
          this.#watchdogPending = true;
          macrotask(this.#watchdog);
        }
        return;
      }
    }
    this.#endTick();
  }

  #tickBudgetSpent(): boolean {
    if (this.#stopping && this.#stopWaiters.length > 0) return true;
    if (this.#iteration >= TICK_MAX_ITERATIONS) return true;
    return (
      this.#iteration % TICK_CLOCK_EVERY === 0 && realNow() - this.#tickStarted >= TICK_BUDGET_MS
    );
  }

  #endTick(): void {
    this.#inTick = false;
    this.#remaining = 0;
    const onEnd = this.#onTickEnd;
    this.#onTickEnd = null;
    this.#afterTick();
    onEnd?.();
  }

  /** The task whose step runs now (invariant 5), or `null`. See {@link LoopRuntime}. */
  get stepOwner(): object | null {
    return this.#stepOwner;
  }

  /**
   * A step of `owner` (a task) begins: the handle running now resumed it, and the
   * tick waits for the step to end before it runs the next handle (invariant 5).
   * See {@link LoopRuntime}.
   */
  beginStep(owner: object): void {
    this.#stepOwner = owner;
  }

  /**
   * The step of `owner` ended: it suspended on a coro awaitable or finished. If the
   * tick waits for that step, it goes on now, outside any task. A call for a step
   * that is not the current one does nothing. See {@link LoopRuntime}.
   */
  endStep(owner: object): void {
    if (this.#stepOwner !== owner) return;
    this.#stepOwner = null;
    if (!this.#waitingForStep) return;
    this.#waitingForStep = false;
    runtimeHooks.runOutsideTasks(this.#continueTickBound);
  }

  readonly #continueTickBound = (): void => {
    this.#continueTick();
  };

  readonly #watchdog = (): void => {
    this.#watchdogPending = false;
    if (!this.#waitingForStep) return;
    // Every microtask has run and the step did not end: the task awaits something
    // foreign. Its step is over as far as the loop can tell.
    this.#stepOwner = null;
    this.#waitingForStep = false;
    runtimeHooks.runOutsideTasks(this.#continueTickBound);
  };

  #runHandle(handle: ReadyHandle): void {
    const previous = runningCallback.loop;
    runningCallback.loop = this;
    try {
      if (this.#debug) this.#runTimed(handle);
      else handle.run();
    } catch (error) {
      this.callExceptionHandler({
        message: `Exception in callback ${handle.callback?.name || 'anonymous'}`,
        exception: error,
        handle,
      });
    } finally {
      runningCallback.loop = previous;
    }
  }

  #runTimed(handle: ReadyHandle): void {
    const name = handle.callback?.name || 'anonymous';
    const started = realNow();
    try {
      handle.run();
    } finally {
      const took = realNow() - started;
      if (took >= this.slowCallbackDuration) {
        this.callExceptionHandler({
          message: `Executing callback ${name} took ${took.toFixed(3)} ms (slowCallbackDuration is ${this.slowCallbackDuration} ms)`,
          handle,
          durationMs: took,
          ...(handleSourceStacks.has(handle) ? { createdAt: handleSourceStacks.get(handle) } : {}),
        });
      }
    }
  }

  #enqueueDueTimers(): void {
    const timers = this.#timers;
    if (timers.size === 0) return;
    const now = this.time();
    for (;;) {
      const next = timers.peek();
      if (next === undefined || next.whenMs > now) return;
      timers.pop();
      this.#ready.push(next);
    }
  }

  #afterTick(): void {
    if (this.#stopping && this.#stopWaiters.length > 0) {
      this.#stopping = false;
      const waiters = this.#stopWaiters;
      this.#stopWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (this.#closed) return;
    if (this.#ready.length > 0) {
      this.#wakeSoon();
      return;
    }
    const next = this.#timers.peek();
    if (next !== undefined) this.#arm(next.whenMs);
    else this.onIdle();
  }

  /** Called when a tick ends with nothing ready and no timer; VirtualLoop watches for deadlocks. */
  protected onIdle(): void {}

  #wakeSoon(): void {
    if (this.#tickRequested) return;
    this.#tickRequested = true;
    if (this.#armedAt !== Number.POSITIVE_INFINITY) {
      this.disarmTimer();
      this.#armedAt = Number.POSITIVE_INFINITY;
    }
    this.requestTick(this.#runTickBound);
  }

  #arm(whenMs: number): void {
    this.#armedAt = whenMs;
    this.armTimer(whenMs, this.#runTickBound);
  }

  /** @internal Runs ready work now (VirtualLoop's `advance`); resolves when the tick ends. */
  protected tickNow(): Promise<void> {
    if (this.#inTick || this.#closed) return Promise.resolve();
    this.#tickRequested = false; // a pending wake-up finds the work done and returns
    if (this.#armedAt !== Number.POSITIVE_INFINITY) {
      this.disarmTimer();
      this.#armedAt = Number.POSITIVE_INFINITY;
    }
    return new Promise<void>((resolve) => {
      this.#onTickEnd = resolve;
      runtimeHooks.runOutsideTasks(this.#startTick);
    });
  }

  // ── errors and debug ────────────────────────────────────────────────────

  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null) requireFunction(handler, 'handler');
    this.#exceptionHandler = handler;
  }

  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  callExceptionHandler(context: ExceptionContext): void {
    const handler = this.#exceptionHandler;
    if (handler === null) {
      this.#callDefaultHandler(context);
      return;
    }
    try {
      handler(this, context);
    } catch (error) {
      // Both errors are printed: the handler's, and the context it failed to handle
      // (asyncio's "Unhandled error in exception handler").
      this.#callDefaultHandler({
        message: 'Unhandled error in the exception handler',
        exception: error,
        context,
      });
    }
  }

  /** The default handler, which must not throw into the loop (a broken console, a subclass). */
  #callDefaultHandler(context: ExceptionContext): void {
    try {
      this.defaultExceptionHandler(context);
    } catch {
      // Nowhere left to report to.
    }
  }

  /**
   * Writes `context` to `console.error`: the message, each other field as
   * `key: value` (a nested `context`, from a handler that threw, printed in full
   * and indented), then the exception with its stack, a group's every inner
   * error and every `cause` (as Python prints an ExceptionGroup).
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    console.error(this.#describeContext(context, 0).join('\n'));
  }

  #describeContext(context: ExceptionContext, depth: number): string[] {
    const lines = [context.message || 'Unhandled exception in the event loop'];
    for (const [key, value] of Object.entries(context)) {
      if (key === 'message' || key === 'exception') continue;
      if (key === 'context' && isContext(value) && depth < 3) {
        const nested = this.#describeContext(value, depth + 1);
        lines.push(`context: ${nested[0]}`, ...nested.slice(1).map((line) => `  ${line}`));
        continue;
      }
      const text = typeof value === 'string' ? value : describeForLog(value);
      // A stack (createdAt) goes under its key, one frame a line, as it reads best.
      if (text.includes('\n')) lines.push(`${key}:`, ...text.split('\n'));
      else lines.push(`${key}: ${text}`);
    }
    if (
      depth === 0 &&
      context.future !== undefined &&
      context.createdAt === undefined &&
      !this.#debug
    ) {
      lines.push(
        'createdAt: recorded in debug mode only (run(main, { debug: true }) or loop.setDebug(true))',
      );
    }
    if (context.exception !== undefined) lines.push(...formatError(context.exception));
    return lines;
  }

  setDebug(enabled: boolean): void {
    this.#debug = Boolean(enabled);
  }

  getDebug(): boolean {
    return this.#debug;
  }

  /** `Symbol.dispose`: closes the loop, so `using loop = new VirtualLoop()` cleans up. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function captureStack(): string {
  return (new Error().stack ?? '').split('\n').slice(3).join('\n');
}

function isContext(value: unknown): value is ExceptionContext {
  return typeof value === 'object' && value !== null && 'message' in value;
}

function describeForLog(value: unknown): string {
  try {
    const described = value as { describe?: () => string } | null;
    // A Future or Task describes itself ("Task 'fetch' rejected"); String() would not.
    if (typeof described?.describe === 'function') return described.describe();
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
