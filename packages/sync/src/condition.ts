/*
 * Condition: a Lock plus a list of tasks waiting to be notified.
 *
 * Invariants
 *   1. wait() returns or throws only with the lock held again: it re-acquires
 *      even when cancelled (retrying if cancelled again), and only then lets
 *      the CancelledError surface (asyncio's behaviour).
 *   2. notify(n) grants and unlists the n longest-waiting pending waiters.
 *   3. A wait() that ends in an error notifies one other waiter (asyncio's
 *      `_notify(1)`): the error may have come just after this waiter was
 *      notified, and the notification must not be lost. The cost is a possible
 *      spurious wake-up, which the Condition protocol allows (use waitFor).
 *
 * Tested by test/condition.test.ts and test/sync.property.test.ts.
 */

import { CancelledError, InvalidStateError } from '@coro/futures';
import { describeValue, requireFunction, requireInteger } from '@coro/loop';
import { AcquirableBase } from './acquirable.js';
import { Lock } from './lock.js';
import { readSignal, type SyncWaitOptions, Waiter, WaiterList } from './waiter.js';

/**
 * asyncio's Condition: tasks hold its lock, `wait()` until another task calls
 * `notify()`, and re-check their predicate (`waitFor` does the loop for you).
 *
 * @example
 * ```ts
 * import { createTask, run } from '@coro/futures';
 * import { Condition } from '@coro/sync';
 *
 * await run(async () => {
 *   const changed = new Condition();
 *   const items: string[] = [];
 *   const consumer = createTask(() =>
 *     changed.runExclusive(async () => {
 *       await changed.waitFor(() => items.length > 0);
 *       console.log('got', items.shift()); // got job
 *     }),
 *   );
 *   await changed.runExclusive(() => { items.push('job'); changed.notify(); });
 *   await consumer;
 * });
 * ```
 */
export class Condition extends AcquirableBase {
  readonly #lock: Lock;
  readonly #waiters: WaiterList<Waiter<boolean>>;

  /**
   * @param lock - The lock to use (share one between Conditions). @defaultValue a new Lock
   * @throws TypeError if `lock` is not a Lock.
   */
  constructor(lock?: Lock) {
    super();
    if (lock !== undefined && !(lock instanceof Lock)) {
      throw new TypeError(`lock must be a Lock; got ${describeValue(lock)}`);
    }
    this.#lock = lock ?? new Lock();
    this.#waiters = new WaiterList();
  }

  /**
   * Whether the underlying lock is held.
   *
   * @example
   * ```ts
   * import { Condition } from '@coro/sync';
   *
   * const condition = new Condition();
   * await condition.acquire();
   * console.log(condition.locked()); // true
   * ```
   */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Acquires the underlying lock (see {@link Lock.acquire}).
   *
   * @example
   * ```ts
   * import { Condition } from '@coro/sync';
   *
   * const condition = new Condition();
   * console.log(await condition.acquire()); // true
   * ```
   */
  acquire(options?: SyncWaitOptions): Promise<true> {
    return this.#lock.acquire(options);
  }

  /**
   * Releases the underlying lock (see {@link Lock.release}).
   *
   * @throws {@link InvalidStateError} if the lock is not held.
   * @example
   * ```ts
   * import { Condition } from '@coro/sync';
   *
   * const condition = new Condition();
   * await condition.acquire();
   * condition.release();
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Releases the lock, waits until notified, re-acquires the lock, and resolves
   * to `true`. It may wake spuriously: re-check your predicate, or use
   * {@link Condition.waitFor}. Cancelled (or aborted through `signal`), it still
   * re-acquires the lock before the error surfaces.
   *
   * @throws {@link InvalidStateError} if the lock is not held (the promise rejects).
   * @example
   * ```ts
   * import { createTask, run, sleep } from '@coro/futures';
   * import { Condition } from '@coro/sync';
   *
   * await run(async () => {
   *   const condition = new Condition();
   *   const sleeper = createTask(() => condition.runExclusive(() => condition.wait()));
   *   await sleep(0);
   *   await condition.runExclusive(() => condition.notify());
   *   console.log(await sleeper); // true
   * });
   * ```
   */
  async wait(options?: SyncWaitOptions): Promise<true> {
    const signal = readSignal(options);
    if (!this.#lock.locked()) {
      throw new InvalidStateError(
        'wait() called on a Condition whose lock is not held; acquire it first',
      );
    }
    signal?.throwIfAborted();
    const waiter = new Waiter<boolean>(this, this.#waiters, signal);
    this.#lock.release();
    let failure: { error: unknown } | null = null;
    this.#waiters.push(waiter);
    try {
      await waiter;
    } catch (error) {
      failure = { error };
    } finally {
      this.#waiters.remove(waiter);
      waiter.finish();
    }
    // Invariant 1: the lock comes back whatever happened, even if cancelled again;
    // the most recent CancelledError is the one that surfaces (asyncio's order).
    for (;;) {
      try {
        await this.#lock.acquire();
        break;
      } catch (error) {
        failure = { error };
        if (!(error instanceof CancelledError)) break;
      }
    }
    if (failure !== null) {
      this.#notify(1); // invariant 3
      throw failure.error;
    }
    return true;
  }

  /**
   * Waits (as {@link Condition.wait}) until `predicate()` is truthy, and resolves
   * to its value. The predicate is checked first, with the lock held.
   *
   * @throws TypeError if `predicate` is not a function; {@link InvalidStateError}
   *   if the lock is not held (the promise rejects).
   * @example
   * ```ts
   * import { Condition } from '@coro/sync';
   *
   * const condition = new Condition();
   * await condition.acquire();
   * console.log(await condition.waitFor(() => 'already true')); // already true
   * ```
   */
  async waitFor<R>(predicate: () => R, options?: SyncWaitOptions): Promise<R> {
    requireFunction(predicate, 'predicate');
    let result = predicate();
    while (!result) {
      await this.wait(options);
      result = predicate();
    }
    return result;
  }

  /**
   * Wakes up to `n` waiting tasks (the longest-waiting first). They return from
   * `wait()` once they get the lock back, so release it after notifying.
   *
   * @param n - How many to wake. @defaultValue 1
   * @throws {@link InvalidStateError} if the lock is not held;
   *   RangeError if `n` is not an integer >= 0.
   * @example
   * ```ts
   * import { Condition } from '@coro/sync';
   *
   * const condition = new Condition();
   * try { condition.notify(); } catch (error) { console.log((error as Error).message); }
   * // notify() called on a Condition whose lock is not held; acquire it first
   * ```
   */
  notify(n = 1): void {
    requireInteger(n, 'n', 0);
    if (!this.#lock.locked()) {
      throw new InvalidStateError(
        'notify() called on a Condition whose lock is not held; acquire it first',
      );
    }
    this.#notify(n);
  }

  /**
   * Wakes every waiting task.
   *
   * @throws {@link InvalidStateError} if the lock is not held.
   * @example
   * ```ts
   * import { Condition } from '@coro/sync';
   *
   * const condition = new Condition();
   * await condition.runExclusive(() => condition.notifyAll());
   * ```
   */
  notifyAll(): void {
    if (!this.#lock.locked()) {
      throw new InvalidStateError(
        'notifyAll() called on a Condition whose lock is not held; acquire it first',
      );
    }
    this.#notify(Number.POSITIVE_INFINITY);
  }

  #notify(n: number): void {
    for (let woken = 0; woken < n; woken++) {
      const waiter = this.#waiters.shiftPending();
      if (waiter === undefined) return;
      waiter.grant(false);
    }
  }

  /** @internal For call graphs. */
  describeWait(): string {
    return `Condition.wait: waiting for notify(), ${this.#waiters.size} waiting`;
  }

  get [Symbol.toStringTag](): string {
    return `Condition ${this.locked() ? 'locked' : 'unlocked'}, ${this.#waiters.size} waiting`;
  }
}
