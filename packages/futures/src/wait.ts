/*
 * wait: wait for some or all of a set of futures, without cancelling any.
 *
 * Invariants
 *   1. The result is two Sets of the very futures waited on (promises wrapped once),
 *      `done` and `pending`; nothing is cancelled, on timeout or otherwise (asyncio).
 *   2. One waiter Future is released by whichever comes first: the condition of
 *      `returnWhen` holding after a done callback, or the timeout's timer. Both are
 *      removed in `finally`, so a cancelled wait leaves no callback on the futures.
 *   3. A timeout <= 0 returns on the next iteration (a deadline already past).
 *
 * Tested by test/wait.test.ts and test/negative-delays.test.ts.
 */

import { describeValue, type Loop, requireTimeMs, type TimerHandle } from '@coro/loop';
import { type AwaitableLike, ensureFuture } from './ensure-future.js';
import { asBaseLoop, Future } from './future.js';
import { PENDING, REJECTED } from './future-state.js';

/** `wait` returns as soon as any awaitable is done. @example `wait(tasks, { returnWhen: FIRST_COMPLETED })` */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait` returns when any awaitable fails, or all are done. @example `wait(tasks, { returnWhen: FIRST_EXCEPTION })` */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `wait` returns when all awaitables are done (the default). @example `wait(tasks, { returnWhen: ALL_COMPLETED })` */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/**
 * When `wait` returns.
 *
 * @example
 * ```ts
 * import { ALL_COMPLETED, FIRST_COMPLETED, type ReturnWhen, run, sleep, wait } from '@coro/futures';
 *
 * // A race takes the first answer; a batch waits for every one
 * const when = (race: boolean): ReturnWhen => (race ? FIRST_COMPLETED : ALL_COMPLETED);
 * await run(async () => {
 *   const { done, pending } = await wait([sleep(10, 'a'), sleep(20, 'b')], { returnWhen: when(true) });
 *   console.log(done.size, pending.size); // 1 1
 * });
 * ```
 */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/**
 * Options of `wait`.
 *
 * @example
 * ```ts
 * import { createTask, run, sleep, wait } from '@coro/futures';
 *
 * await run(async () => {
 *   const report = createTask(() => sleep(1_000, 'report'));
 *   // timeout: stop waiting after 50 ms; unlike waitFor, nothing is cancelled
 *   const { done, pending } = await wait([report], { timeout: 50 });
 *   console.log(done.size, pending.has(report)); // 0 true
 *   report.cancel();
 * });
 * ```
 */
export interface WaitOptions {
  /**
   * Give up waiting after this many ms (nothing is cancelled); 0 or less returns on the
   * next iteration. @defaultValue null (no limit)
   */
  timeout?: number | null;
  /** @defaultValue ALL_COMPLETED */
  returnWhen?: ReturnWhen;
  /** @defaultValue the running loop */
  loop?: Loop;
}

/**
 * What `wait` resolves to: the futures that are done and those still pending.
 *
 * @example
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait, type WaitResult } from '@coro/futures';
 *
 * await run(async () => {
 *   const mirrors = [createTask(() => sleep(30, 'eu')), createTask(() => sleep(10, 'us'))];
 *   const { done, pending }: WaitResult<string> = await wait(mirrors, { returnWhen: FIRST_COMPLETED });
 *   for (const task of done) console.log(task.result()); // us
 *   for (const task of pending) task.cancel(); // the slower mirror is no longer needed
 * });
 * ```
 */
export interface WaitResult<T> {
  done: Set<Future<T>>;
  pending: Set<Future<T>>;
}

function releaseWaiter(waiter: Future<void>): void {
  if (waiter.state === PENDING) waiter.resolveNow(undefined);
}

/**
 * Waits for awaitables until `returnWhen` (or the timeout) and resolves to
 * `{ done, pending }`, two Sets of the futures (Promises wrapped, functions run
 * as tasks). Nothing is cancelled on timeout: what is pending stays pending.
 *
 * @throws TypeError if `awaitables` is empty or holds a non-awaitable;
 *   RangeError for a NaN or infinite `timeout` or a bad `returnWhen`.
 * @example
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait } from '@coro/futures';
 *
 * await run(async () => {
 *   const fast = createTask(() => sleep(10, 'fast'));
 *   const slow = createTask(() => sleep(1_000, 'slow'));
 *   const { done, pending } = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 *   console.log(done.has(fast), pending.has(slow)); // true true
 *   slow.cancel();
 * });
 * ```
 */
export async function wait<T>(
  awaitables: Iterable<AwaitableLike<T>>,
  options: WaitOptions = {},
): Promise<WaitResult<T>> {
  if (
    awaitables === null ||
    typeof (awaitables as Iterable<unknown>)?.[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`awaitables must be an iterable; got ${describeValue(awaitables)}`);
  }
  const { timeout = null, returnWhen = ALL_COMPLETED } = options;
  if (timeout !== null) requireTimeMs(timeout, 'options.timeout');
  if (
    returnWhen !== FIRST_COMPLETED &&
    returnWhen !== FIRST_EXCEPTION &&
    returnWhen !== ALL_COMPLETED
  ) {
    throw new RangeError(
      `options.returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED; got ${describeValue(returnWhen)}`,
    );
  }
  const loop = asBaseLoop(options.loop);
  const futures = new Set<Future<T>>();
  for (const awaitable of awaitables) futures.add(ensureFuture(awaitable, { loop }));
  if (futures.size === 0) throw new TypeError('awaitables must not be empty');

  const isDoneEnough = (): boolean => {
    let pending = 0;
    for (const future of futures) {
      if (!future.done()) pending++;
      else if (returnWhen === FIRST_COMPLETED) return true;
      else if (returnWhen === FIRST_EXCEPTION && future.state === REJECTED) return true;
    }
    return pending === 0;
  };

  if (!isDoneEnough()) {
    const waiter = new Future<void>({ loop });
    const timer: TimerHandle | null =
      timeout === null ? null : loop.callLater(timeout, releaseWaiter, waiter);
    const onDone = (): void => {
      if (isDoneEnough()) releaseWaiter(waiter);
    };
    for (const future of futures) future.addDoneCallback(onDone);
    try {
      await waiter;
    } finally {
      timer?.cancel();
      for (const future of futures) future.removeDoneCallback(onDone);
    }
  }
  const done = new Set<Future<T>>();
  const pending = new Set<Future<T>>();
  for (const future of futures) (future.done() ? done : pending).add(future);
  return { done, pending };
}
