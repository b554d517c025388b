/*
 * Lock: asyncio's mutex, FIFO-fair.
 *
 * Invariants
 *   1. `locked` is true from a grant's resumption (or a fast-path acquire) to
 *      release(). Between release() and the woken waiter's resumption it is false,
 *      as in asyncio, yet nobody barges: the fast path also needs an empty waiter
 *      list, and the woken waiter stays listed until it resumes (waiter.ts, 1).
 *   2. At most one listed waiter is granted at a time, and only while `locked` is
 *      false: release() grants the front waiter unless it is already granted.
 *   3. A waiter granted and then cancelled before it resumed passes the grant to
 *      the next one (DESIGN §4); so does any waiter that gives up while the lock
 *      is free.
 *
 * Tested by test/lock.test.ts and test/sync.property.test.ts.
 */

import { currentTask, InvalidStateError, type Task } from '@coro/futures';
import { AcquirableBase } from './acquirable.js';
import {
  describeHolder,
  RESOLVED_TRUE,
  readSignal,
  type SyncWaitOptions,
  Waiter,
  WaiterList,
} from './waiter.js';

/**
 * asyncio's Lock: one holder at a time, waiters served in arrival order (a new
 * caller never barges past a waiting one). An uncontended `acquire()` allocates
 * nothing. A waiter cancelled at the moment it is granted the lock passes it on.
 *
 * @example
 * ```ts
 * import { createTask, gather, run, sleep } from '@coro/futures';
 * import { Lock } from '@coro/sync';
 *
 * const lock = new Lock();
 * const trace: string[] = [];
 * const writer = (name: string) => lock.runExclusive(async () => {
 *   trace.push(`${name} in`);
 *   await sleep(10);
 *   trace.push(`${name} out`);
 * });
 * await run(() => gather([createTask(() => writer('a')), createTask(() => writer('b'))]));
 * console.log(trace); // [ 'a in', 'a out', 'b in', 'b out' ]
 * ```
 */
export class Lock extends AcquirableBase {
  #locked: boolean;
  #holder: Task<unknown> | undefined;
  readonly #waiters: WaiterList<Waiter<true>>;

  constructor() {
    super();
    this.#locked = false;
    this.#holder = undefined;
    this.#waiters = new WaiterList();
  }

  /**
   * Whether the lock is held.
   *
   * @example
   * ```ts
   * import { Lock } from '@coro/sync';
   *
   * const lock = new Lock();
   * await lock.acquire();
   * console.log(lock.locked()); // true
   * ```
   */
  locked(): boolean {
    return this.#locked;
  }

  /**
   * Waits until the lock is free and no earlier caller waits, takes it, and
   * resolves to `true`. Cancelling the awaiting task (or aborting `signal`) gives
   * up the place in line; if the lock was granted at that very moment it passes
   * to the next waiter.
   *
   * @throws TypeError if `options.signal` is not an AbortSignal.
   * @example
   * ```ts
   * import { Lock } from '@coro/sync';
   *
   * const lock = new Lock();
   * await lock.acquire();
   * const late = lock.acquire({ signal: AbortSignal.timeout(10) });
   * await late.catch((error) => console.log(error.name)); // TimeoutError
   * lock.release();
   * ```
   */
  acquire(options?: SyncWaitOptions): Promise<true> {
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#locked && this.#waiters.size === 0) {
      this.#locked = true;
      this.#holder = currentTask();
      return RESOLVED_TRUE;
    }
    return this.#acquireSlowly(signal);
  }

  async #acquireSlowly(signal: AbortSignal | undefined): Promise<true> {
    const waiter = new Waiter<true>(this, this.#waiters, signal);
    this.#waiters.push(waiter);
    try {
      await waiter;
    } catch (error) {
      // Cancelled or aborted, perhaps just after being granted the lock: pass it
      // on (invariant 3, DESIGN §4).
      this.#waiters.remove(waiter);
      if (!this.#locked) this.#wakeUpFirst();
      throw error;
    } finally {
      waiter.finish();
    }
    this.#waiters.remove(waiter);
    this.#locked = true;
    this.#holder = currentTask();
    return true;
  }

  /**
   * Releases the lock and wakes the longest-waiting `acquire()`, if any. Any code
   * may release (as in asyncio), not only the task that acquired.
   *
   * @throws {@link InvalidStateError} if the lock is not locked.
   * @example
   * ```ts
   * import { Lock } from '@coro/sync';
   *
   * const lock = new Lock();
   * await lock.acquire();
   * lock.release();
   * try { lock.release(); } catch (error) { console.log((error as Error).message); }
   * // release() called on a Lock that is not locked
   * ```
   */
  release(): void {
    if (!this.#locked) throw new InvalidStateError('release() called on a Lock that is not locked');
    this.#locked = false;
    this.#holder = undefined;
    this.#wakeUpFirst();
  }

  /** @internal For call graphs: `Lock.acquire: held by task 'writer'`. */
  describeWait(): string {
    const state = this.#locked
      ? `held by ${describeHolder(this.#holder)}`
      : 'free, being handed to an earlier waiter';
    const ahead = this.#waiters.size - 1;
    return `Lock.acquire: ${state}${ahead > 0 ? `, ${ahead} other waiter${ahead === 1 ? '' : 's'}` : ''}`;
  }

  #wakeUpFirst(): void {
    // Invariant 2: the front is the only waiter that can be granted; a granted
    // front means the lock is already on its way.
    const front = this.#waiters.front();
    if (front !== undefined && !front.done()) front.grant(true);
  }

  get [Symbol.toStringTag](): string {
    return `Lock ${this.#locked ? 'locked' : 'unlocked'}, ${this.#waiters.size} waiting`;
  }
}
