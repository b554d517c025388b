/*
 * Held: a lock or permit held for a `using` / `await using` block, released once.
 * `hold()` of every Acquirable (acquirable.ts) returns one.
 */

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

  /** Not for direct use: `hold()` of a lock or semaphore returns one. */
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
