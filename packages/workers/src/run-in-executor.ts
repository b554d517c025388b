/*
 * runInExecutor and toThread: asyncio's loop.run_in_executor and asyncio.to_thread. The
 * default executor is a ThreadPoolExecutor per loop, made on first use; `run()` of
 * @coro/futures shuts it down at its end (asyncio.run's shutdown_default_executor),
 * through addLoopShutdownCallback (futures cannot import this package, DESIGN §11).
 */

import { addLoopShutdownCallback, type Future } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop } from '@coro/loop';
import type { Executor, JobFunction } from './executor.js';
import { ThreadPoolExecutor } from './thread-pool-executor.js';

const defaultExecutors = new WeakMap<Loop, ThreadPoolExecutor>();

/**
 * The running loop's default executor: a `ThreadPoolExecutor` made on first use, shut
 * down when `run()` on that loop ends. On Node's default loop (outside `run()`) it lives
 * as long as the program; its idle threads do not keep the program alive.
 *
 * @example
 * ```ts
 * import { run } from '@coro/futures';
 * import { getDefaultExecutor } from '@coro/workers';
 *
 * await run(async () => {
 *   console.log(getDefaultExecutor() === getDefaultExecutor()); // true
 * });
 * ```
 */
export function getDefaultExecutor(): ThreadPoolExecutor {
  const loop = getRunningLoop();
  let executor = defaultExecutors.get(loop);
  if (executor === undefined) {
    const made = new ThreadPoolExecutor({ name: 'coro-default-executor' });
    executor = made;
    defaultExecutors.set(loop, made);
    addLoopShutdownCallback(loop, async () => {
      defaultExecutors.delete(loop);
      await made.shutdown();
    });
  }
  return executor;
}

/**
 * Runs `task(...args)` on `executor` (any `Executor`), or on the loop's default thread
 * pool when `executor` is `null`; returns the job's Future: asyncio's
 * `loop.run_in_executor`. `task` is a self-contained function or an export name of the
 * executor's module, as for `submit`.
 *
 * @throws TypeError if `executor` is neither null nor an Executor, or `task` is bad.
 * @example
 * ```ts
 * import { run } from '@coro/futures';
 * import { runInExecutor } from '@coro/workers';
 *
 * await run(async () => {
 *   const digest = await runInExecutor(null, (text: string) =>
 *     require('node:crypto').createHash('sha256').update(text).digest('hex').slice(0, 8), 'coro');
 *   console.log(digest.length); // 8
 * });
 * ```
 */
export function runInExecutor<A extends unknown[], R>(
  executor: Executor | null,
  task: JobFunction<A, R>,
  ...args: A
): Future<Awaited<R>>;
export function runInExecutor<R = unknown>(
  executor: Executor | null,
  task: string,
  ...args: unknown[]
): Future<R>;
export function runInExecutor(
  executor: Executor | null,
  task: JobFunction | string,
  ...args: unknown[]
): Future<unknown> {
  if (executor !== null && typeof (executor as Executor)?.submit !== 'function') {
    throw new TypeError(`executor must be an Executor or null; got ${describeValue(executor)}`);
  }
  const target = executor ?? getDefaultExecutor();
  return target.submit(task as JobFunction, ...args);
}

/**
 * Runs `task(...args)` on the loop's default thread pool: asyncio's `to_thread`. The
 * task is a self-contained function (sent by its source: pass what it needs as
 * arguments).
 *
 * @throws TypeError if `task` is not a function.
 * @example
 * ```ts
 * import { run } from '@coro/futures';
 * import { toThread } from '@coro/workers';
 *
 * const total = await run(() => toThread((n: number) => {
 *   let sum = 0;
 *   for (let i = 1; i <= n; i++) sum += i;
 *   return sum;
 * }, 1_000_000));
 * console.log(total); // 500000500000
 * ```
 */
export function toThread<A extends unknown[], R>(
  task: JobFunction<A, R>,
  ...args: A
): Future<Awaited<R>> {
  if (typeof task !== 'function') {
    throw new TypeError(`task must be a function; got ${describeValue(task)}`);
  }
  return getDefaultExecutor().submit(task, ...args);
}
