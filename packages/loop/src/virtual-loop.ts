/*
 * VirtualLoop: a loop whose clock moves only when told to, for tests.
 *
 * Invariants
 *   1. `time()` never moves while anything is ready: ready callbacks run at the
 *      current virtual time, in real macrotasks, as on a NodeLoop.
 *   2. With `autojump`, once the loop is idle (nothing ready) for the threshold
 *      of real time (0 by default: one macrotask), the clock jumps straight to
 *      the next timer. A test of a one-hour timeout runs in microseconds.
 *   3. `advance(ms)` runs every timer due up to now + ms in deadline order, the
 *      clock set to each timer's deadline as it fires, then leaves the clock at
 *      exactly now + ms.
 *   4. During `runUntilComplete`, idle for `deadlockTimeoutMs` of real time while
 *      tasks are pending, with no timer, or with timers on a manual clock (no
 *      autojump) that no advance() moved, is a deadlock: reported through the
 *      exception handler with the call graph, and the run rejects with
 *      DeadlockError instead of hanging. The manual case matters most outside
 *      tests: a manual clock arms no host timer, so nothing keeps Node alive and
 *      `await run(…, { loop })` would end the process silently with exit code 13
 *      (an unsettled top-level await); the watch is a ref'd real timer, which
 *      keeps the process up until it fails the run loudly (issue 11, case 4).
 *
 * Tested by test/virtual-loop.test.ts.
 */

import { BaseLoop } from './base-loop.js';
import { requireDelayMs, requireTimeMs } from './describe-value.js';
import { DeadlockError } from './errors.js';
import { macrotask, nextMacrotask } from './macrotask.js';
import { runtimeHooks } from './runtime-hooks.js';

/**
 * Options of a `VirtualLoop`.
 *
 * @example
 * ```ts
 * import { VirtualLoop, type VirtualLoopOptions } from '@coro/loop';
 *
 * const options: VirtualLoopOptions = { autojump: true, start: 1_000 };
 * const loop = new VirtualLoop(options);
 * ```
 */
export interface VirtualLoopOptions {
  /**
   * Jump the clock to the next timer when idle: `true` (after one macrotask),
   * or a number of real ms to stay idle first (lets real I/O finish).
   * @defaultValue false (only `advance()` moves the clock)
   */
  autojump?: boolean | number;
  /** The clock's first reading, in ms. @defaultValue 0 */
  start?: number;
  /**
   * Real ms of idleness (no ready callback, no timer) during `runUntilComplete`
   * before pending tasks are reported as a deadlock; `null` never reports.
   * @defaultValue 500
   */
  deadlockTimeoutMs?: number | null;
}

/**
 * A loop on a virtual clock, for tests: time advances only when nothing is ready,
 * by `advance(ms)` or, with `autojump`, straight to the next timer.
 *
 * @example
 * ```ts
 * import { VirtualLoop } from '@coro/loop';
 *
 * const loop = new VirtualLoop();
 * loop.callLater(60_000, () => console.log('a minute passed at', loop.time()));
 * await loop.advance(60_000); // prints at once: a minute passed at 60000
 * ```
 */
export class VirtualLoop extends BaseLoop {
  #now: number;
  #autojumpMs: number | null;
  #deadlockTimeoutMs: number | null;
  #jumpTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #jumpPending = false;
  #advancing = 0;
  #deadlockTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #failRun: ((error: unknown) => void) | null = null;

  constructor(options: VirtualLoopOptions = {}) {
    super();
    const { autojump = false, start = 0, deadlockTimeoutMs = 500 } = options;
    requireTimeMs(start, 'options.start');
    if (typeof autojump === 'number') requireDelayMs(autojump, 'options.autojump');
    else if (typeof autojump !== 'boolean') {
      throw new TypeError(
        `options.autojump must be a boolean or a number of ms; got ${String(autojump)}`,
      );
    }
    if (deadlockTimeoutMs !== null) requireDelayMs(deadlockTimeoutMs, 'options.deadlockTimeoutMs');
    this.#now = start;
    this.#autojumpMs = autojump === false ? null : autojump === true ? 0 : autojump;
    this.#deadlockTimeoutMs = deadlockTimeoutMs;
  }

  time(): number {
    return this.#now;
  }

  /** Whether the clock jumps to the next timer when the loop is idle. */
  get autojump(): boolean {
    return this.#autojumpMs !== null;
  }

  /**
   * Moves the clock forward by `ms`, running every callback and timer due on the
   * way in order (each timer at its own deadline), and resolves once nothing due
   * is left. Then `time()` is exactly the old time plus `ms`.
   *
   * @throws RangeError if `ms` is negative, `NaN` or infinite.
   * @example
   * ```ts
   * import { VirtualLoop } from '@coro/loop';
   *
   * const loop = new VirtualLoop();
   * const trace: number[] = [];
   * loop.callLater(20, () => trace.push(loop.time()));
   * loop.callLater(10, () => trace.push(loop.time()));
   * await loop.advance(30);
   * console.log(trace, loop.time()); // [ 10, 20 ] 30
   * ```
   */
  async advance(ms: number): Promise<void> {
    requireDelayMs(ms, 'ms');
    const target = this.#now + ms;
    this.#advancing++;
    try {
      await this.#settle();
      for (;;) {
        const next = this.nextTimerWhen();
        if (next === undefined || next > target) break;
        if (next > this.#now) this.#now = next;
        await this.#settle();
      }
      if (target > this.#now) this.#now = target;
      await this.#settle();
    } finally {
      this.#advancing--;
    }
  }

  /** Runs what is ready (and due) now, until nothing is, without moving the clock. */
  async #settle(): Promise<void> {
    for (;;) {
      await nextMacrotask();
      if (this.inTick) continue;
      const next = this.nextTimerWhen();
      const due = next !== undefined && next <= this.#now;
      if (this.readyCount === 0 && !due) return;
      await this.tickNow();
    }
  }

  protected requestTick(tickCallback: () => void): void {
    macrotask(tickCallback);
  }

  protected armTimer(_whenMs: number, tickCallback: () => void): void {
    if (this.#autojumpMs === null) {
      // Only advance() moves the clock: during a run, watch that something does
      // (invariant 4).
      this.#watchIdle();
      return;
    }
    this.disarmTimer();
    this.#jumpPending = true;
    const jump = (): void => {
      if (!this.#jumpPending) return;
      this.#jumpPending = false;
      this.#jumpTimer = undefined;
      if (this.#advancing === 0 && this.readyCount === 0 && !this.inTick) {
        const next = this.nextTimerWhen();
        if (next !== undefined && next > this.#now) this.#now = next;
      }
      tickCallback();
    };
    if (this.#autojumpMs === 0) macrotask(jump);
    else this.#jumpTimer = setTimeout(jump, this.#autojumpMs);
  }

  protected disarmTimer(): void {
    this.#jumpPending = false;
    if (this.#jumpTimer !== undefined) {
      clearTimeout(this.#jumpTimer);
      this.#jumpTimer = undefined;
    }
  }

  protected override waitForResult<T>(awaitable: PromiseLike<T>): PromiseLike<T> {
    const run = new Promise<T>((resolve, reject) => {
      this.#failRun = reject;
      awaitable.then(resolve, reject);
    });
    // A run that starts on an idle loop gets no tick to notice it: watch from here.
    if (this.#stuck()) this.#watchIdle();
    return run.finally(() => {
      this.#failRun = null;
      if (this.#deadlockTimer !== undefined) clearTimeout(this.#deadlockTimer);
      this.#deadlockTimer = undefined;
    });
  }

  protected override onIdle(): void {
    this.#watchIdle();
  }

  /** Whether the loop waits, idle, on timers of a clock that only advance() moves. */
  #waitsOnManualClock(): boolean {
    const next = this.nextTimerWhen();
    return this.#autojumpMs === null && this.#advancing === 0 && next !== undefined;
  }

  /** The nothing-moves state of invariant 4: no ready work, and no timer that will fire by itself. */
  #stuck(): boolean {
    if (this.readyCount !== 0 || this.inTick) return false;
    return this.nextTimerWhen() === undefined || this.#waitsOnManualClock();
  }

  /** During a run, fails it with DeadlockError if the loop stays stuck for `deadlockTimeoutMs` (invariant 4). */
  #watchIdle(): void {
    if (
      this.#failRun === null ||
      this.#deadlockTimeoutMs === null ||
      this.#deadlockTimer !== undefined
    )
      return;
    const ticksWhenIdle = this.tickCount;
    this.#deadlockTimer = setTimeout(() => {
      this.#deadlockTimer = undefined;
      if (this.#failRun === null) return;
      if (this.tickCount !== ticksWhenIdle || !this.#stuck()) {
        // Something ran meanwhile: watch again from now if the loop is stuck again.
        if (this.#stuck()) this.#watchIdle();
        return;
      }
      const diagnosis = runtimeHooks.describePending(this);
      if (diagnosis === null) return;
      const next = this.nextTimerWhen();
      const error =
        next === undefined
          ? new DeadlockError(diagnosis)
          : new DeadlockError(diagnosis, { nextTimerWhenMs: next, nowMs: this.#now });
      this.callExceptionHandler({ message: error.message, exception: error, callGraph: diagnosis });
      this.#failRun(error);
    }, this.#deadlockTimeoutMs);
  }

  override close(): void {
    super.close();
    if (this.#deadlockTimer !== undefined) clearTimeout(this.#deadlockTimer);
    this.#deadlockTimer = undefined;
  }
}
