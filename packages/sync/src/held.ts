import { requireFunction } from '@coro/loop';
import type { SyncWaitOptions } from './waiter.js';

/**
 * A held lock or permit, for `using` / `await using`: leaving the block releases
 * it once. Returned by `hold()` on `Lock`, `Semaphore`, `BoundedSemaphore` and
 * `Condition`.
 *
 * @example
 * ```ts
 * import { run } from '@coro/futures';
 * import { Lock } from '@coro/sync';
 *
 * const lock = new Lock();
 * await run(async () => {
 *   {
 *     await using held = await lock.hold();
 *     console.log(lock.locked()); // true
 *   }
 *   console.log(lock.locked()); // false: leaving the block released it
 * });
 * ```
 */
export class Held implements Disposable, AsyncDisposable {
  #target: { release(): void } | null;

  /** @internal Use `hold()`. */
  constructor(target: { release(): void }) {
    this.#target = target;
  }

  /** Whether `release()` (or leaving the `using` block) already ran. */
  released(): boolean {
    return this.#target === null;
  }

  /**
   * Releases the lock or permit. Later calls do nothing, so releasing early inside
   * a `using` block is safe.
   *
   * @example
   * ```ts
   * import { Semaphore } from '@coro/sync';
   *
   * const slots = new Semaphore(1);
   * const permit = await slots.hold();
   * permit.release();
   * permit.release(); // no effect: a Held releases once
   * console.log(slots.locked()); // false
   * ```
   */
  release(): void {
    const target = this.#target;
    if (target === null) return;
    this.#target = null;
    target.release();
  }

  /** `using held = …` releases at the end of the block. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** `await using held = …` releases at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }
}

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

/** The two calls `runExclusive` and `hold` need from a lock or semaphore. */
interface AcquireRelease {
  acquire(options?: SyncWaitOptions): Promise<true>;
  release(): void;
}

/** @internal `runExclusive` of every Acquirable, written once. */
export async function runExclusively<R>(
  target: AcquireRelease,
  fn: () => R | PromiseLike<R>,
  options: SyncWaitOptions | undefined,
): Promise<Awaited<R>> {
  requireFunction(fn, 'fn');
  await target.acquire(options);
  try {
    return await fn();
  } finally {
    target.release();
  }
}

/** @internal `hold` of every Acquirable, written once. */
export async function holdOf(
  target: AcquireRelease,
  options: SyncWaitOptions | undefined,
): Promise<Held> {
  await target.acquire(options);
  return new Held(target);
}
