/*
 * Handle and TimerHandle: a callback scheduled on a loop, with its arguments.
 *
 * Invariants
 *   1. A handle keeps its callback and arguments until it runs or is cancelled;
 *      cancel() drops them at once, so a cancelled handle holds no references.
 *   2. A cancelled handle stays wherever it is queued (ready deque or timer heap)
 *      and is skipped when it surfaces: cancelling is O(1).
 *   3. A TimerHandle's `when()` is exactly the deadline computed when it was
 *      scheduled; `sequence` breaks ties so equal deadlines run in scheduling order.
 *
 * Tested by test/handle.test.ts and test/timer-heap.property.test.ts.
 */

/** @internal Where each handle was created, recorded in debug mode only. */
export const handleSourceStacks = new WeakMap<object, string>();

/** What a handle needs from its loop (kept small so handles do not depend on a loop class). */
export interface HandleOwner {
  /** @internal Called once when a scheduled timer is cancelled. */
  timerCancelled(handle: TimerHandle): void;
}

/**
 * A callback scheduled with `callSoon`. Cancel it before it runs and it never runs.
 *
 * @example
 * ```ts
 * import { getEventLoop } from '@coro/loop';
 *
 * const handle = getEventLoop().callSoon(() => console.log('never printed'));
 * handle.cancel();
 * console.log(handle.cancelled()); // true
 * ```
 */
export class Handle {
  // Two fields only: handles are the loop's most allocated object. A cancelled
  // handle is one whose callback is gone.
  /**
   * The callback, or `null` once cancelled (the loop skips such a handle). Subclasses
   * that override `run()` (coro's task wake-ups) keep a non-null placeholder here.
   */
  callback: ((...args: any[]) => unknown) | null;
  /** The arguments `run()` passes, or `null` for none. */
  args: unknown[] | null;

  constructor(callback: (...args: any[]) => unknown, args: unknown[] | null) {
    this.callback = callback;
    this.args = args;
  }

  /** Prevents the callback from running. Cancelling twice does nothing. */
  cancel(): void {
    this.callback = null;
    this.args = null;
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this.callback === null;
  }

  /**
   * Runs the callback now; the loop calls it, and catches what it throws. Subclasses
   * override it to run without a callback of their own (coro's task wake-ups).
   */
  run(): void {
    const callback = this.callback;
    if (callback === null) return;
    const args = this.args;
    if (args === null) callback();
    else if (args.length === 1) callback(args[0]);
    else callback(...args);
  }

  /** A description for logs: the callback's name and whether it was cancelled. */
  toString(): string {
    const name = this.callback?.name || 'anonymous';
    return `<${this.constructor.name} ${this.callback === null ? 'cancelled' : name}>`;
  }
}

/**
 * A callback scheduled at a time with `callLater` or `callAt`.
 *
 * @example
 * ```ts
 * import { VirtualLoop } from '@coro/loop';
 *
 * const loop = new VirtualLoop();
 * const timer = loop.callLater(250, () => {});
 * console.log(timer.when()); // 250: the deadline on the loop's clock, in ms
 * ```
 */
export class TimerHandle extends Handle {
  /** @internal */ readonly whenMs: number;
  /** @internal Scheduling order; breaks ties between equal deadlines. */ readonly sequence: number;
  /** @internal Whether the handle is still in its loop's timer heap. */ scheduled: boolean;
  #owner: HandleOwner | null;

  constructor(
    whenMs: number,
    sequence: number,
    callback: (...args: any[]) => unknown,
    args: unknown[] | null,
    owner: HandleOwner | null,
  ) {
    super(callback, args);
    this.whenMs = whenMs;
    this.sequence = sequence;
    this.scheduled = true;
    this.#owner = owner;
  }

  /** The deadline on the loop's clock (ms), exactly as computed when scheduled. */
  when(): number {
    return this.whenMs;
  }

  override cancel(): void {
    if (this.cancelled()) return;
    super.cancel();
    if (this.scheduled) this.#owner?.timerCancelled(this);
    this.#owner = null;
  }
}
