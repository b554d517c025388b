/*
 * Barrier: `parties` tasks meet, then all go on; asyncio's Barrier, built on a
 * Condition exactly as CPython's is.
 *
 * Invariants
 *   1. States: filling (arrivals counted) → draining (the last arrival released
 *      everyone; newcomers wait until all have left) → filling again. reset()
 *      with tasks inside goes through resetting (they get BrokenBarrierError);
 *      abort() goes to broken for good (until reset()).
 *   2. `count` is the number of tasks inside wait(); the last one to leave a
 *      draining or resetting barrier refills it and notifies the newcomers.
 *   3. A task cancelled while waiting leaves (count - 1) without breaking the
 *      barrier, as in asyncio.
 *
 * Tested by test/barrier.test.ts.
 */

import { requireInteger } from '@coro/loop';
import { Condition } from './condition.js';
import { BrokenBarrierError } from './errors.js';
import type { SyncWaitOptions } from './waiter.js';

const FILLING = 0;
const DRAINING = 1;
const RESETTING = 2;
const BROKEN = 3;

/**
 * asyncio's Barrier: each `wait()` blocks until `parties` tasks are waiting,
 * then all of them go on; `wait()` resolves to the arrival index (0 for the
 * first, `parties - 1` for the one that released the others). The barrier is
 * then ready for the next round.
 *
 * @example
 * ```ts
 * import { createTask, gather, run, sleep } from '@coro/futures';
 * import { Barrier } from '@coro/sync';
 *
 * const barrier = new Barrier(3);
 * const worker = async (delayMs: number) => {
 *   await sleep(delayMs);
 *   return barrier.wait();
 * };
 * const indexes = await run(() => gather([10, 30, 20].map((ms) => createTask(() => worker(ms)))));
 * console.log(indexes); // [ 0, 2, 1 ]: arrival order
 * ```
 */
export class Barrier {
  readonly #condition: Condition;
  readonly #parties: number;
  #state: number;
  #count: number;

  /**
   * @param parties - How many tasks must wait before all are released.
   * @throws TypeError if `parties` is not a number; RangeError if not an integer >= 1.
   */
  constructor(parties: number) {
    requireInteger(parties, 'parties', 1);
    this.#condition = new Condition();
    this.#parties = parties;
    this.#state = FILLING;
    this.#count = 0;
  }

  /**
   * Waits until `parties` tasks wait, then resolves to this task's arrival index.
   * Cancelling the awaiting task (or aborting `signal`) takes it out of the
   * count without breaking the barrier.
   *
   * @throws {@link BrokenBarrierError} if the barrier is broken (`abort()`) or is
   *   reset while this task waits.
   * @example
   * ```ts
   * import { Barrier } from '@coro/sync';
   *
   * const solo = new Barrier(1);
   * console.log(await solo.wait()); // 0: one party, released at once
   * ```
   */
  async wait(options?: SyncWaitOptions): Promise<number> {
    const condition = this.#condition;
    await condition.acquire(options);
    try {
      await this.#block(options);
      try {
        const index = this.#count;
        this.#count++;
        if (index + 1 === this.#parties) this.#release();
        else await this.#wait(options);
        return index;
      } finally {
        this.#count--;
        this.#exit();
      }
    } finally {
      condition.release();
    }
  }

  /**
   * Puts the barrier back to empty: tasks waiting in it get
   * {@link BrokenBarrierError}; a broken barrier becomes usable again.
   *
   * @example
   * ```ts
   * import { Barrier } from '@coro/sync';
   *
   * const barrier = new Barrier(2);
   * await barrier.abort();
   * await barrier.reset();
   * console.log(barrier.broken); // false
   * ```
   */
  async reset(): Promise<void> {
    await this.#condition.runExclusive(() => {
      if (this.#count > 0) {
        if (this.#state !== RESETTING) this.#state = RESETTING;
      } else {
        this.#state = FILLING;
      }
      this.#condition.notifyAll();
    });
  }

  /**
   * Breaks the barrier: current and later `wait()`s throw
   * {@link BrokenBarrierError} until `reset()`.
   *
   * @example
   * ```ts
   * import { Barrier } from '@coro/sync';
   *
   * const barrier = new Barrier(2);
   * await barrier.abort();
   * console.log(barrier.broken); // true
   * ```
   */
  async abort(): Promise<void> {
    await this.#condition.runExclusive(() => {
      this.#state = BROKEN;
      this.#condition.notifyAll();
    });
  }

  /**
   * How many tasks must wait for the barrier to release them.
   *
   * @example
   * ```ts
   * import { run, taskGroup } from '@coro/futures';
   * import { Barrier } from '@coro/sync';
   *
   * await run(() =>
   *   taskGroup(async (group) => {
   *     const start = new Barrier(3);
   *     // One worker per party: the barrier releases them all once `parties` of them wait
   *     for (let i = 0; i < start.parties; i++) group.createTask(() => start.wait());
   *   }),
   * );
   * console.log('all 3 workers started together');
   * ```
   */
  get parties(): number {
    return this.#parties;
  }

  /**
   * How many tasks wait in the barrier while it fills (0 while it drains).
   *
   * @example
   * ```ts
   * import { createTask, run, sleep } from '@coro/futures';
   * import { Barrier } from '@coro/sync';
   *
   * await run(async () => {
   *   const barrier = new Barrier(3);
   *   const early = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
   *   await sleep(10); // let both reach the barrier
   *   console.log(`${barrier.nWaiting} of ${barrier.parties} arrived`); // 2 of 3 arrived
   *   await barrier.wait(); // the third releases everyone; nWaiting is 0 again
   *   await Promise.all(early);
   * });
   * ```
   */
  get nWaiting(): number {
    return this.#state === FILLING ? this.#count : 0;
  }

  /**
   * Whether the barrier is broken (`abort()` was called and no `reset()` since).
   *
   * @example
   * ```ts
   * import { run } from '@coro/futures';
   * import { Barrier } from '@coro/sync';
   *
   * await run(async () => {
   *   const barrier = new Barrier(2);
   *   await barrier.abort(); // a party failed: nobody should wait for it
   *   console.log(barrier.broken); // true: every wait() now throws BrokenBarrierError
   *   await barrier.reset();
   *   console.log(barrier.broken); // false: usable again
   * });
   * ```
   */
  get broken(): boolean {
    return this.#state === BROKEN;
  }

  /** Waits while the barrier drains or resets; throws if it is broken. */
  async #block(options: SyncWaitOptions | undefined): Promise<void> {
    await this.#condition.waitFor(
      () => this.#state !== DRAINING && this.#state !== RESETTING,
      options,
    );
    if (this.#state === BROKEN) throw new BrokenBarrierError('the barrier is broken (aborted)');
  }

  /** The last arrival: release everyone. */
  #release(): void {
    this.#state = DRAINING;
    this.#condition.notifyAll();
  }

  /** Waits until the barrier stops filling; throws if it was broken or reset. */
  async #wait(options: SyncWaitOptions | undefined): Promise<void> {
    await this.#condition.waitFor(() => this.#state !== FILLING, options);
    if (this.#state === BROKEN || this.#state === RESETTING) {
      throw new BrokenBarrierError('the barrier was aborted or reset while this task waited');
    }
  }

  /** The last task out of a draining or resetting barrier refills it (invariant 2). */
  #exit(): void {
    if (this.#count === 0) {
      if (this.#state === RESETTING || this.#state === DRAINING) this.#state = FILLING;
      this.#condition.notifyAll();
    }
  }

  get [Symbol.toStringTag](): string {
    const state = ['filling', 'draining', 'resetting', 'broken'][this.#state];
    return `Barrier ${state}, ${this.nWaiting}/${this.#parties} waiting`;
  }
}
