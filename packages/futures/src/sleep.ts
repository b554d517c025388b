/*
 * sleep: suspend the awaiting code for a while on the running loop's clock.
 *
 * Invariants
 *   1. `sleep(ms)` with ms <= 0 is asyncio's bare `yield`: no timer and no Future;
 *      the awaiter is queued at once and runs on the next iteration. A plain
 *      `await sleep(0)` allocates nothing of its own (one YieldOnce per loop).
 *   2. `sleep(ms)` with ms > 0 is a SleepFuture whose timer resolves it; cancelling
 *      it (the awaiting task was cancelled) cancels the timer, so a cancelled sleep
 *      leaves nothing in the timer heap but a marked handle.
 *   3. A negative `ms` is "now", as asyncio and setTimeout; NaN, infinities and
 *      non-numbers throw (a sleep for ever is a Future nobody resolves).
 *
 * Why a thenable and not a Promise for sleep(0): the task's step must end in
 * `then()`, once its code really is suspended (see task.ts, invariant 5).
 *
 * Tested by test/task.test.ts, test/ordering.test.ts, test/negative-delays.test.ts.
 */

import { type BaseLoop, getRunningLoop, requireTimeMs, type TimerHandle } from '@coro/loop';
import { asBaseLoop, Future } from './future.js';
import { PENDING } from './future-state.js';
import { awaitYield } from './step.js';

/**
 * `sleep(0)`: yields to the loop once, as asyncio's bare `yield` — no timer, no
 * Future; the awaiting task resumes on the next iteration. A thenable, so that
 * the task's step ends in `then()`, once the task's code really is suspended.
 */
class YieldOnce<T> implements PromiseLike<T> {
  readonly #loop: BaseLoop;
  readonly #value: T;

  constructor(loop: BaseLoop, value: T) {
    this.#loop = loop;
    this.#value = value;
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return awaitYield(this.#loop, this.#value, onFulfilled, onRejected) as PromiseLike<R1 | R2>;
  }

  get [Symbol.toStringTag](): string {
    return 'sleep(0)';
  }
}

/** `sleep(0)` holds no state of its own: one per loop serves every plain `await sleep(0)`. */
const sharedYields = new WeakMap<BaseLoop, YieldOnce<undefined>>();

/**
 * The loop of the last `sleep(0)` and its YieldOnce: nearly every call is on the
 * same loop, and a field check is cheaper than a WeakMap lookup. It keeps that
 * one loop reachable until another loop sleeps (a WeakRef would cost more).
 */
const lastYield: { loop: BaseLoop | null; yieldOnce: YieldOnce<undefined> | null } = {
  loop: null,
  yieldOnce: null,
};

function wakeSleeper<T>(sleeper: SleepFuture<T>, value: T): void {
  if (sleeper.state === PENDING) sleeper.resolveNow(value);
}

/** The Future of `sleep(ms)` for ms > 0: cancelling it cancels its timer. */
class SleepFuture<T> extends Future<T> {
  readonly #delayMs: number;
  #timer: TimerHandle | null;

  constructor(loop: BaseLoop, delayMs: number, value: T) {
    super({ loop });
    this.#delayMs = delayMs;
    this.#timer = loop.callLater(delayMs, wakeSleeper<T>, this, value);
  }

  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    this.#timer?.cancel();
    this.#timer = null;
    return true;
  }

  override describe(): string {
    if (this.state !== PENDING || this.#timer === null)
      return `sleep(${this.#delayMs} ms) ${this.describeState()}`;
    const left = Math.max(0, this.#timer.when() - this.loop.time());
    return `sleep(${this.#delayMs} ms, ${Math.round(left)} ms left)`;
  }
}

/**
 * Resolves to `value` after `ms` milliseconds on the running loop's clock.
 * `sleep(0)` yields to the loop once: other tasks and callbacks get a turn; so does
 * a negative `ms` (a deadline already past means "now", as in asyncio).
 * Cancelling the awaiting task cancels the sleep (and its timer).
 *
 * @throws TypeError if `ms` is not a number; RangeError if NaN or infinite.
 * @example
 * ```ts
 * import { run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   for (const n of [0, 1, 2]) {
 *     await sleep(1_000);
 *     console.log(`Hola ${n}`); // one per second
 *   }
 * });
 * ```
 */
export function sleep<T = undefined>(ms: number, value?: T): PromiseLike<T> {
  requireTimeMs(ms, 'ms');
  const loop = asBaseLoop(getRunningLoop(), 'the running loop');
  if (ms <= 0) {
    if (value !== undefined) return new YieldOnce(loop, value);
    if (loop === lastYield.loop) return lastYield.yieldOnce as unknown as PromiseLike<T>;
    let shared = sharedYields.get(loop);
    if (shared === undefined) {
      shared = new YieldOnce(loop, undefined);
      sharedYields.set(loop, shared);
    }
    lastYield.loop = loop;
    lastYield.yieldOnce = shared;
    return shared as unknown as PromiseLike<T>;
  }
  return new SleepFuture(loop, ms, value as T);
}
