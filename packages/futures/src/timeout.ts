/*
 * timeout / timeoutAt: a deadline for a block of code in the current task.
 *
 * Invariants (asyncio's Timeout)
 *   1. At the deadline the scope cancels its task (state expiring); on exit,
 *      if it was the only new cancellation (task.uncancel() <= cancelling() at
 *      entry) the CancelledError becomes TimeoutError. An outside cancel()
 *      raised meanwhile is never swallowed (DESIGN §4).
 *   2. A deadline that passed while the cancellation could not be thrown in
 *      (the body awaited a foreign promise, or its awaited future was already
 *      done: the task's `mustCancel`) still ends the block in TimeoutError when
 *      the body returns without having seen it; the late value is dropped
 *      (issue 11, case 2; asyncio does the same for a future that completes in
 *      the deadline's iteration). The block ends when the body does: a foreign
 *      promise cannot be interrupted, so the scope's `signal` aborts at the
 *      deadline for the body to hand to `fetch` and friends.
 *   3. In debug mode, a body that caught the scope's CancelledError and
 *      returned normally (a swallowed cancellation) is reported with the task's name.
 *   4. `signal` (made on first read) aborts at the deadline, with a
 *      CancelledError reason, and never otherwise: it is this scope's own, so a
 *      timeout that expired never poisons the work of a later one (issue 11, case 1).
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
 * deadline, ask afterwards whether it expired, and hand `signal` (aborted at the
 * deadline) to AbortSignal APIs.
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
  /** The task could not take the cancellation at the deadline (invariant 2). */
  #undeliveredAtExpiry = false;
  #controller: AbortController | null = null;

  /** Not for direct use: call `timeout` or `timeoutAt`. */
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

  /**
   * An AbortSignal aborted at the deadline (its reason a `CancelledError`), and
   * only then: hand it to `fetch` and other AbortSignal APIs so that they stop
   * when the block times out. It stays unaborted if the block ends in time, and
   * no other scope aborts it. (`currentTask().signal` aborts at the deadline
   * too, and also on any other cancellation of the task.)
   *
   * @example
   * ```ts
   * import { run, timeout, TimeoutError } from '@coro/futures';
   *
   * await run(async () => {
   *   const outcome = await timeout(50, async (scope) => {
   *     const waited = new Promise((resolve, reject) => {
   *       const timer = setTimeout(resolve, 10_000, 'late'); // a slow foreign API
   *       scope.signal.addEventListener('abort', () => {
   *         clearTimeout(timer);
   *         reject(scope.signal.reason);
   *       });
   *     });
   *     return await waited;
   *   }).catch((error: unknown) => (error instanceof TimeoutError ? 'timed out' : error));
   *   console.log(outcome); // timed out, after 50 ms
   * });
   * ```
   */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === null) {
      controller = new AbortController();
      this.#controller = controller;
      if (this.expired()) controller.abort(new CancelledError(''));
    }
    return controller.signal;
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
    // Nothing took the cancellation (no pending future to cancel): it waits for the
    // task's next coro await, which a body awaiting a foreign promise may never reach.
    this.#undeliveredAtExpiry = this.#task.mustCancel;
    this.#controller?.abort(new CancelledError(''));
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
        this.#undeliveredAtExpiry &&
        this.#task.cancelsDelivered === this.#deliveredAtExpiry &&
        remaining <= this.#cancellingAtEntry
      ) {
        // Invariant 2: the deadline held although the body could not be interrupted;
        // what it returned after the deadline is dropped.
        return {
          failed: true,
          error: new TimeoutError(
            'the timeout expired while the block awaited a foreign promise (its late value is dropped)',
          ),
        };
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
 * none; a time already past expires at once) and resolves to its value. At the
 * deadline the body is cancelled and `TimeoutError` is thrown instead of the
 * `CancelledError`; an outside cancellation is never turned into a timeout nor
 * swallowed. A body awaiting a foreign promise (a `fetch`, a driver) cannot be
 * interrupted: the block still ends in `TimeoutError`, but only when that
 * promise settles, and its late value is dropped; hand `scope.signal` (or
 * `currentTask().signal`) to the foreign API so that it stops at the deadline.
 * Called outside a task, `body` runs in a new task.
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
  const exit = scope.exit(false, undefined);
  if (exit.failed) throw exit.error; // the deadline passed meanwhile (invariant 2)
  return value;
}

/**
 * Runs `body` with a deadline `ms` from now (`null`: none) and resolves to its
 * value; past the deadline the body is cancelled and `TimeoutError` thrown.
 * The scope given to `body` can `reschedule()` the deadline, and its `signal`
 * aborts at the deadline: pass it to `fetch` and other AbortSignal APIs, whose
 * promises a cancellation cannot interrupt (a block awaiting one ends in
 * `TimeoutError` when it settles; its late value is dropped).
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
