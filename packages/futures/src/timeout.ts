/*
 * timeout / timeoutAt: a deadline for a block of code in the current task.
 *
 * Invariants (asyncio's Timeout)
 *   1. At the deadline the scope cancels its task (state expiring); on exit,
 *      if it was the only new cancellation (task.uncancel() <= cancelling() at
 *      entry) the CancelledError becomes TimeoutError. An outside cancel()
 *      raised meanwhile is never swallowed (DESIGN §4).
 *   2. A body that finishes as the deadline fires (cancel not yet thrown in)
 *      returns normally: uncancel() withdraws the pending cancellation.
 *   3. In debug mode, a body that caught the scope's CancelledError and
 *      returned normally (a swallowed cancellation) is reported with the task's name.
 */

import { type Handle, requireFunction, requireTimeMs } from '@coro/loop';
import { CancelledError, TimeoutError } from './errors.js';
import { asBaseLoop } from './future.js';
import { createTask, type Task } from './task.js';
import { currentTask } from './task-context.js';

type ScopeState = 'entered' | 'expiring' | 'expired' | 'exited';

function expire(scope: TimeoutScope): void {
  scope.expire();
}

/**
 * The scope `timeout` and `timeoutAt` pass to their body: read or move the
 * deadline, and ask afterwards whether it expired.
 *
 * @example
 * ```ts
 * import { run, sleep, timeout } from '@coro/futures';
 *
 * await run(async () => {
 *   await timeout(100, async (scope) => {
 *     scope.reschedule(scope.when()! + 1_000); // more time for this one
 *     await sleep(500);
 *     console.log(scope.expired()); // false
 *   });
 * });
 * ```
 */
export class TimeoutScope {
  #state: ScopeState = 'entered';
  #when: number | null;
  #handle: Handle | null = null;
  readonly #task: Task<unknown>;
  readonly #cancellingAtEntry: number;
  #deliveredAtExpiry = 0;

  /** @internal Use `timeout` or `timeoutAt`. */
  constructor(whenMs: number | null, task: Task<unknown>) {
    this.#task = task;
    this.#when = whenMs;
    this.#cancellingAtEntry = task.cancelling();
    this.#schedule();
  }

  /** The deadline on the loop's clock (ms), or `null` for none. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Moves the deadline (`null`: no deadline). A deadline already past expires
   * on the next loop iteration.
   * @throws Error once the block has exited or expired.
   */
  reschedule(whenMs: number | null): void {
    if (whenMs !== null) requireTimeMs(whenMs, 'whenMs');
    if (this.#state !== 'entered')
      throw new Error(`cannot reschedule a timeout that has ${this.#state}`);
    this.#when = whenMs;
    this.#schedule();
  }

  /** Whether the deadline passed and the scope cancelled its block. */
  expired(): boolean {
    return this.#state === 'expiring' || this.#state === 'expired';
  }

  #schedule(): void {
    this.#handle?.cancel();
    this.#handle = null;
    const when = this.#when;
    if (when === null) return;
    const loop = this.#task.loop;
    this.#handle =
      when <= loop.time() ? loop.callSoon(expire, this) : loop.callAt(when, expire, this);
  }

  /** @internal The deadline passed. */
  expire(): void {
    if (this.#state !== 'entered') return;
    this.#handle = null;
    this.#state = 'expiring';
    this.#deliveredAtExpiry = this.#task.cancelsDelivered;
    this.#task.cancel();
  }

  /** @internal The block ended; returns the error to throw, if any. */
  exit(failed: boolean, error: unknown): { failed: boolean; error: unknown } {
    this.#handle?.cancel();
    this.#handle = null;
    if (this.#state === 'expiring') {
      this.#state = 'expired';
      const remaining = this.#task.uncancel();
      if (failed && error instanceof CancelledError && remaining <= this.#cancellingAtEntry) {
        return { failed: true, error: new TimeoutError('the timeout expired', { cause: error }) };
      }
      if (
        !failed &&
        this.#task.cancelsDelivered > this.#deliveredAtExpiry &&
        this.#task.loop.getDebug()
      ) {
        this.#task.loop.callExceptionHandler({
          message: `${this.#task.describeKind()} swallowed the CancelledError of a timeout: it caught it and returned normally without uncancel()`,
          task: this.#task,
        });
      }
    } else if (this.#state === 'entered') {
      this.#state = 'exited';
    }
    return { failed, error };
  }
}

/**
 * Runs `body` with an absolute deadline `whenMs` on the loop's clock (`null`:
 * none) and resolves to its value. At the deadline the body is cancelled and
 * `TimeoutError` is thrown instead of the `CancelledError`; an outside
 * cancellation is never turned into a timeout nor swallowed. Called outside a
 * task, `body` runs in a new task.
 *
 * @throws {@link TimeoutError} when the deadline passes first.
 * @example
 * ```ts
 * import { getRunningLoop } from '@coro/loop';
 * import { run, sleep, timeoutAt } from '@coro/futures';
 *
 * await run(async () => {
 *   const deadline = getRunningLoop().time() + 50;
 *   const value = await timeoutAt(deadline, () => sleep(10, 'in time'));
 *   console.log(value); // in time
 * });
 * ```
 */
export async function timeoutAt<T>(
  whenMs: number | null,
  body: (scope: TimeoutScope) => T | PromiseLike<T>,
): Promise<Awaited<T>> {
  if (whenMs !== null) requireTimeMs(whenMs, 'whenMs');
  requireFunction(body, 'body');
  const task = currentTask();
  if (task === undefined)
    return createTask(() => timeoutAt(whenMs, body)) as PromiseLike<Awaited<T>>;
  const scope = new TimeoutScope(whenMs, task);
  let value: Awaited<T>;
  try {
    value = await body(scope);
  } catch (error) {
    throw scope.exit(true, error).error;
  }
  scope.exit(false, undefined);
  return value;
}

/**
 * Runs `body` with a deadline `ms` from now (`null`: none) and resolves to its
 * value; past the deadline the body is cancelled and `TimeoutError` thrown.
 * The scope given to `body` can `reschedule()` the deadline.
 *
 * @throws {@link TimeoutError} when the deadline passes first.
 * @throws RangeError if `ms` is NaN or infinite (a negative `ms` expires at once, as 0).
 * @example
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from '@coro/futures';
 *
 * await run(async () => {
 *   try {
 *     await timeout(100, () => sleep(60_000));
 *   } catch (error) {
 *     console.log(error instanceof TimeoutError); // true, after 100 ms
 *   }
 * });
 * ```
 */
export function timeout<T>(
  ms: number | null,
  body: (scope: TimeoutScope) => T | PromiseLike<T>,
): Promise<Awaited<T>> {
  if (ms !== null) requireTimeMs(ms, 'ms');
  requireFunction(body, 'body');
  const loop = currentTask()?.loop ?? asBaseLoop(undefined, 'the running loop');
  return timeoutAt(ms === null ? null : loop.time() + ms, body);
}
