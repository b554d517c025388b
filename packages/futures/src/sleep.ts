import { type BaseLoop, getRunningLoop, requireDelayMs, type TimerHandle } from '@coro/loop';
import { asBaseLoop, Future, PENDING } from './future.js';
import type { Task } from './task.js';
import { currentTask } from './task-context.js';

/**
 * The loop callback of `sleep(0)`: resumes the sleeper as one task step, or
 * throws in the cancellation requested meanwhile (asyncio's _must_cancel).
 */
function wakeFromYield<T>(
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
  task: Task<unknown> | null,
  value: T,
): void {
  if (task !== null && task.resumeStep(null)) reject(task.takeCancellation());
  else resolve(value);
}

/**
 * `sleep(0)`: yields to the loop once, as asyncio's bare `yield`: no timer, no
 * Future. It is a native Promise settled by a loop callback on the next
 * iteration, so `await` takes V8's fast path (no thenable job): the hot path of
 * every cooperative loop. Calling it ends the task's step (the task suspends at
 * the `await` that follows at once).
 */
function yieldOnce<T>(loop: BaseLoop, value: T): Promise<T> {
  const task = currentTask() ?? null;
  return new Promise<T>((resolve, reject) => {
    if (task !== null) {
      task.suspendOn(null);
      task.loop.callSoon(wakeFromYield<T>, resolve, reject, task, value);
    } else {
      loop.callSoon(wakeFromYield<T>, resolve, reject, null, value);
    }
  });
}

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
 * `sleep(0)` yields to the loop once: other tasks and callbacks get a turn.
 * Cancelling the awaiting task cancels the sleep (and its timer).
 *
 * @throws TypeError if `ms` is not a number; RangeError if negative, NaN or infinite.
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
  requireDelayMs(ms, 'ms');
  const loop = asBaseLoop(getRunningLoop(), 'the running loop');
  if (ms === 0) return yieldOnce(loop, value as T);
  return new SleepFuture(loop, ms, value as T);
}
