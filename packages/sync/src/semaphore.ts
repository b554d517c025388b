/*
 * Semaphore and BoundedSemaphore: a counter of permits, FIFO-fair.
 *
 * Invariants
 *   1. `value` counts permits neither held nor granted: a grant takes its permit
 *      at once, before the waiter resumes (asyncio's _wake_up_next).
 *   2. `locked()` is true while no permit is free or anyone is listed (pending,
 *      or granted and not yet resumed): a new caller never barges past a waiter.
 *   3. A waiter granted and then cancelled before it resumed gives its permit
 *      back (DESIGN §4); whoever leaves the list wakes as many waiters as there
 *      are free permits, so no permit sits free while someone waits.
 *   4. BoundedSemaphore: value + held + granted never exceeds the initial value.
 *
 * Tested by test/semaphore.test.ts and test/sync.property.test.ts.
 */

import { requireInteger } from '@coro/loop';
import { AcquirableBase } from './acquirable.js';
import { RESOLVED_TRUE, readSignal, type SyncWaitOptions, Waiter, WaiterList } from './waiter.js';

/**
 * asyncio's Semaphore: `value` permits; `acquire()` takes one, waiting in line
 * when none is free; `release()` gives one back. Waiters are served in arrival
 * order, and a waiter cancelled at the moment it is granted a permit returns it.
 *
 * @example
 * ```ts
 * import { createTask, gather, run, sleep } from '@coro/futures';
 * import { Semaphore } from '@coro/sync';
 *
 * const slots = new Semaphore(2);
 * let running = 0;
 * let peak = 0;
 * const job = () => slots.runExclusive(async () => {
 *   peak = Math.max(peak, ++running);
 *   await sleep(10);
 *   running--;
 * });
 * await run(() => gather(Array.from({ length: 5 }, () => createTask(job))));
 * console.log(peak); // 2
 * ```
 */
export class Semaphore extends AcquirableBase {
  /** @internal */ value: number;
  readonly #waiters: WaiterList<Waiter<true>>;

  /**
   * @param value - The number of permits. @defaultValue 1
   * @throws TypeError if `value` is not a number; RangeError if not an integer >= 0.
   */
  constructor(value = 1) {
    super();
    requireInteger(value, 'value', 0);
    this.value = value;
    this.#waiters = new WaiterList();
  }

  /**
   * Whether `acquire()` would wait: no permit is free, or others wait already.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@coro/sync';
   *
   * const slots = new Semaphore(1);
   * await slots.acquire();
   * console.log(slots.locked()); // true
   * ```
   */
  locked(): boolean {
    return this.value === 0 || this.#waiters.size > 0;
  }

  /**
   * Takes a permit, waiting in line if none is free or others wait; resolves to
   * `true`. Cancelling the awaiting task or aborting `signal` gives up the place in
   * line (a permit granted at that moment goes to the next waiter).
   *
   * @throws TypeError if `options.signal` is not an AbortSignal.
   * @example
   * ```ts
   * import { Semaphore } from '@coro/sync';
   *
   * const slots = new Semaphore(1);
   * await slots.acquire();
   * await slots.acquire({ signal: AbortSignal.timeout(10) }).catch((error) => console.log(error.name));
   * // TimeoutError
   * ```
   */
  acquire(options?: SyncWaitOptions): Promise<true> {
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.locked()) {
      this.value--;
      return RESOLVED_TRUE;
    }
    return this.#acquireSlowly(signal);
  }

  async #acquireSlowly(signal: AbortSignal | undefined): Promise<true> {
    const waiter = new Waiter<true>(this, this.#waiters, signal);
    this.#waiters.push(waiter);
    try {
      try {
        await waiter;
      } catch (error) {
        // Granted, then cancelled before resuming: give the permit back (DESIGN §4).
        if (waiter.granted) this.value++;
        throw error;
      }
    } finally {
      this.#waiters.remove(waiter);
      waiter.finish();
      // Waiters that lined up behind us while permits were free (invariant 3).
      while (this.value > 0 && this.#wakeUpNext()) {}
    }
    return true;
  }

  /**
   * Gives a permit back and wakes the longest-waiting `acquire()`, if any.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@coro/sync';
   *
   * const slots = new Semaphore(0);
   * slots.release(); // a plain Semaphore may grow past its initial value
   * console.log(slots.locked()); // false
   * ```
   */
  release(): void {
    this.value++;
    this.#wakeUpNext();
  }

  /** @internal For call graphs. */
  describeWait(): string {
    const waiting = this.#waiters.size;
    return `${this.kind()}.acquire: ${this.value} permit${this.value === 1 ? '' : 's'} free, ${waiting} waiting`;
  }

  /** @internal */
  kind(): string {
    return 'Semaphore';
  }

  /** Grants a permit to the first pending waiter; false if there is none. */
  #wakeUpNext(): boolean {
    const waiter = this.#waiters.firstPending();
    if (waiter === undefined) return false;
    this.value--;
    waiter.grant(true);
    return true;
  }

  get [Symbol.toStringTag](): string {
    return `${this.kind()} value=${this.value}, ${this.#waiters.size} waiting`;
  }
}

/**
 * A Semaphore that refuses to grow past its initial value: a `release()` without
 * a matching `acquire()` throws instead of silently adding a permit.
 *
 * @example
 * ```ts
 * import { BoundedSemaphore } from '@coro/sync';
 *
 * const slots = new BoundedSemaphore(1);
 * await slots.acquire();
 * slots.release();
 * try { slots.release(); } catch (error) { console.log((error as Error).message); }
 * // BoundedSemaphore released too many times: it already holds its 1 permit
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  readonly #bound: number;

  /**
   * @param value - The number of permits, and the most it may ever hold. @defaultValue 1
   * @throws TypeError if `value` is not a number; RangeError if not an integer >= 0.
   */
  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /**
   * Gives a permit back, as {@link Semaphore.release}.
   *
   * @throws RangeError if that would make more permits than the initial value.
   * @example
   * ```ts
   * import { BoundedSemaphore } from '@coro/sync';
   *
   * const slots = new BoundedSemaphore(2);
   * await slots.acquire();
   * slots.release(); // fine: it was taken
   * ```
   */
  override release(): void {
    if (this.value >= this.#bound) {
      throw new RangeError(
        `BoundedSemaphore released too many times: it already holds its ${this.#bound} permit${this.#bound === 1 ? '' : 's'}`,
      );
    }
    super.release();
  }

  /** @internal */
  override kind(): string {
    return 'BoundedSemaphore';
  }
}
