/*
 * Acquirable: what Lock, Semaphore, BoundedSemaphore and Condition share, asyncio's
 * `async with` protocol spelled `runExclusive(fn)` or `await using … = await hold()`.
 * `runExclusive` and `hold`, and their docs, are written once here: each primitive
 * extends AcquirableBase and supplies only acquire(), release() and locked().
 *
 * Invariants
 *   1. runExclusive releases exactly once, in `finally`, and only if acquire()
 *      succeeded: a cancelled or aborted acquire releases nothing.
 *   2. hold() returns only once acquired; the Held releases at most once.
 *
 * Tested by test/lock.test.ts, test/semaphore.test.ts and test/condition.test.ts.
 */

import { requireFunction } from '@coro/loop';
import { Held } from './held.js';
import type { SyncWaitOptions } from './waiter.js';

/**
 * What `Lock`, `Semaphore`, `BoundedSemaphore` and `Condition` share: asyncio's
 * `async with` protocol, spelled `runExclusive(fn)` or `await using … = await hold()`.
 *
 * @example
 * ```ts
 * import { type Acquirable, Lock, Semaphore } from '@coro/sync';
 *
 * async function guarded(gate: Acquirable): Promise<string> {
 *   return gate.runExclusive(async () => 'ran alone');
 * }
 * console.log(await guarded(new Lock()), await guarded(new Semaphore(2)));
 * ```
 */
export interface Acquirable {
  /** Waits for the lock or a permit; resolves to `true`. */
  acquire(options?: SyncWaitOptions): Promise<true>;
  /** Gives the lock or permit back, waking the longest waiter. */
  release(): void;
  /** Whether `acquire()` would have to wait. */
  locked(): boolean;
  /** Acquires, runs `fn`, and releases in `finally`; resolves to what `fn` returns. */
  runExclusive<R>(fn: () => R | PromiseLike<R>, options?: SyncWaitOptions): Promise<Awaited<R>>;
  /** Acquires and returns a `Held` that releases it once (`using`, `await using`). */
  hold(options?: SyncWaitOptions): Promise<Held>;
}

/**
 * The base of every Acquirable: `runExclusive` and `hold` over the subclass's
 * `acquire()` and `release()` (module header). Not exported: its methods are
 * documented on `Lock`, `Semaphore`, `BoundedSemaphore` and `Condition`.
 */
export abstract class AcquirableBase implements Acquirable {
  abstract acquire(options?: SyncWaitOptions): Promise<true>;
  abstract release(): void;
  abstract locked(): boolean;

  /**
   * Acquires (the lock, or a permit of a semaphore), runs `fn`, and releases in
   * `finally` (asyncio's `async with lock:`); resolves to what `fn` returns. With
   * `{ signal }`, aborting it gives up the wait for the lock (nothing to release).
   *
   * @throws TypeError if `fn` is not a function (the promise rejects).
   * @example
   * ```ts
   * import { Lock, Semaphore } from '@coro/sync';
   *
   * const lock = new Lock();
   * console.log(await lock.runExclusive(async () => 'alone')); // alone
   * const slots = new Semaphore(3);
   * console.log(await slots.runExclusive(() => 42)); // 42
   * ```
   */
  async runExclusive<R>(
    fn: () => R | PromiseLike<R>,
    options?: SyncWaitOptions,
  ): Promise<Awaited<R>> {
    requireFunction(fn, 'fn');
    await this.acquire(options);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Acquires (the lock, or a permit) and returns a {@link Held} that releases it
   * once: `await using held = await lock.hold();` holds it to the end of the block.
   *
   * @example
   * ```ts
   * import { Lock, Semaphore } from '@coro/sync';
   *
   * const lock = new Lock();
   * {
   *   await using held = await lock.hold();
   *   console.log(lock.locked()); // true
   * }
   * console.log(lock.locked()); // false
   * const slots = new Semaphore(1);
   * {
   *   await using permit = await slots.hold();
   *   console.log(slots.locked()); // true
   * }
   * ```
   */
  async hold(options?: SyncWaitOptions): Promise<Held> {
    await this.acquire(options);
    return new Held(this);
  }
}
