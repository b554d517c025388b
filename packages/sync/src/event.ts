/*
 * Event: a flag tasks wait on.
 *
 * Invariants
 *   1. While the flag is set the waiter list is empty: set() grants and unlists
 *      every pending waiter at once, and wait() on a set flag resolves at once.
 *   2. A waiter cancelled or aborted leaves the list (waiter.ts, 2); nothing is
 *      passed on, since set() wakes everyone anyway.
 *
 * Tested by test/event.test.ts.
 */

import { RESOLVED_TRUE, readSignal, type SyncWaitOptions, Waiter, WaiterList } from './waiter.js';

/**
 * asyncio's Event: `set()` wakes every task in `wait()`, and later `wait()`s
 * return at once until `clear()`.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep } from '@coro/futures';
 * import { Event } from '@coro/sync';
 *
 * await run(async () => {
 *   const ready = new Event();
 *   const waiter = createTask(async () => { await ready.wait(); console.log('go'); });
 *   await sleep(10);
 *   ready.set(); // prints go
 *   await waiter;
 * });
 * ```
 */
export class Event {
  #value: boolean;
  readonly #waiters: WaiterList<Waiter<true>>;

  constructor() {
    this.#value = false;
    this.#waiters = new WaiterList();
  }

  /**
   * Whether the flag is set.
   *
   * @example
   * ```ts
   * import { Event } from '@coro/sync';
   *
   * const done = new Event();
   * done.set();
   * console.log(done.isSet()); // true
   * ```
   */
  isSet(): boolean {
    return this.#value;
  }

  /**
   * Sets the flag and wakes every waiting `wait()`; they resume in the order they
   * began waiting. Setting a set flag does nothing.
   *
   * @example
   * ```ts
   * import { Event } from '@coro/sync';
   *
   * const done = new Event();
   * const waiting = done.wait();
   * done.set();
   * console.log(await waiting); // true
   * ```
   */
  set(): void {
    if (this.#value) return;
    this.#value = true;
    for (;;) {
      const waiter = this.#waiters.shiftPending();
      if (waiter === undefined) break;
      waiter.grant(true);
    }
  }

  /**
   * Clears the flag: later `wait()`s block until the next `set()`.
   *
   * @example
   * ```ts
   * import { Event } from '@coro/sync';
   *
   * const done = new Event();
   * done.set();
   * done.clear();
   * console.log(done.isSet()); // false
   * ```
   */
  clear(): void {
    this.#value = false;
  }

  /**
   * Resolves to `true` once the flag is set (at once if it is). Cancelling the
   * awaiting task or aborting `signal` stops the wait.
   *
   * @throws TypeError if `options.signal` is not an AbortSignal.
   * @example
   * ```ts
   * import { Event } from '@coro/sync';
   *
   * const never = new Event();
   * await never.wait({ signal: AbortSignal.timeout(10) }).catch((error) => console.log(error.name));
   * // TimeoutError
   * ```
   */
  wait(options?: SyncWaitOptions): Promise<true> {
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#value) return RESOLVED_TRUE;
    return this.#waitSlowly(signal);
  }

  async #waitSlowly(signal: AbortSignal | undefined): Promise<true> {
    const waiter = new Waiter<true>(this, this.#waiters, signal);
    this.#waiters.push(waiter);
    try {
      return await waiter;
    } finally {
      this.#waiters.remove(waiter);
      waiter.finish();
    }
  }

  /** @internal For call graphs. */
  describeWait(): string {
    return 'Event.wait: not set';
  }

  get [Symbol.toStringTag](): string {
    return `Event ${this.#value ? 'set' : 'unset'}, ${this.#waiters.size} waiting`;
  }
}
