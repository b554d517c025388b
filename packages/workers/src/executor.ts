/*
 * executor: the Executor interface both pools implement (concurrent.futures.Executor),
 * and the types of its arguments: how a job is named (JobFunction or an export name),
 * what a job sees as `this` (JobContext), and the options of submitWith, map and shutdown.
 */

import type { TransferListItem } from 'node:worker_threads';
import type { Future } from '@coro/futures';

/**
 * What a job sees as `this` (a `function` job; arrow functions have no `this`, use
 * `currentSignal()` from a module instead).
 *
 * @example
 * ```ts
 * import { type JobContext, ThreadPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * const stillWanted = await pool.submit(function (this: JobContext) {
 *   return !this.signal.aborted;
 * });
 * console.log(stillWanted); // true
 * ```
 */
export interface JobContext {
  /**
   * Aborted when the job is cancelled while it runs (its Future was cancelled, for
   * example because the task awaiting it was). A job that watches it can stop early and
   * keep its worker; one that does not is stopped by terminating the worker once
   * `cancelGraceMs` has passed.
   */
  readonly signal: AbortSignal;
}

/**
 * A function a worker runs: self-contained (it is sent by its source text and compiled
 * in the worker, without the variables around it), taking and returning values the
 * structured clone algorithm can copy. It may be async.
 *
 * @example
 * ```ts
 * import type { JobFunction } from '@coro/workers';
 *
 * // Everything it uses is inside it: the loop variable and the running total.
 * const sumTo: JobFunction<[number], number> = (n) => {
 *   let total = 0;
 *   for (let i = 1; i <= n; i++) total += i;
 *   return total;
 * };
 * ```
 */
export type JobFunction<A extends unknown[] = unknown[], R = unknown> = (
  this: JobContext,
  ...args: A
) => R;

/**
 * Options of `submitWith`.
 *
 * @example
 * ```ts
 * import type { SubmitOptions } from '@coro/workers';
 *
 * const bytes = new ArrayBuffer(1024);
 * const options: SubmitOptions = { transfer: [bytes], signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface SubmitOptions {
  /**
   * Objects to move to the worker instead of copying (`ArrayBuffer`, `MessagePort`…),
   * as `postMessage`'s transfer list: after the call the sender's ArrayBuffer is detached
   * (byteLength 0). Process pools copy instead (processes share no memory); a
   * `MessagePort` cannot go to a process.
   */
  transfer?: readonly TransferListItem[] | undefined;
  /**
   * Gives the job up when aborted, as cancelling its Future does (a waiting job is
   * removed, a running one sees its `this.signal` aborted, then its worker is replaced);
   * the Future rejects with `signal.reason` (a task's own signal: it is cancelled).
   * Pass `currentTask()?.signal` to tie the job to the submitting task.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Options of `map`.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const numbers = Array.from({ length: 1_000 }, (_, i) => i);
 * let total = 0;
 * // chunksize: send the cheap items 100 to a job instead of one job (and one message) each
 * for await (const square of pool.map((n: number) => n * n, numbers, { chunksize: 100 })) total += square;
 * console.log(total); // 332833500
 * ```
 */
export interface MapOptions<T> {
  /** Items per job: many cheap items run faster in chunks. @defaultValue 1 */
  chunksize?: number;
  /** The transfer list of each item's job (only with `chunksize` 1). */
  transfer?: ((item: T) => readonly TransferListItem[]) | undefined;
}

/**
 * Options of `shutdown`.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor, type ShutdownOptions } from '@coro/workers';
 *
 * const options: ShutdownOptions = { cancelFutures: true };
 * await new ThreadPoolExecutor().shutdown(options);
 * ```
 */
export interface ShutdownOptions {
  /** Resolve only once every job settled and every worker exited. @defaultValue true */
  wait?: boolean;
  /** Cancel the jobs that have not started. @defaultValue false */
  cancelFutures?: boolean;
}

/**
 * A pool that runs jobs away from the event loop: Python's `concurrent.futures.Executor`
 * with coro Futures. Implemented by `ThreadPoolExecutor` and `ProcessPoolExecutor`; any
 * object with these methods can be given to `runInExecutor`.
 *
 * @example
 * ```ts
 * import { type Executor, ThreadPoolExecutor } from '@coro/workers';
 *
 * async function square(executor: Executor, n: number): Promise<number> {
 *   return executor.submit((x: number) => x * x, n);
 * }
 * await using pool = new ThreadPoolExecutor();
 * console.log(await square(pool, 7)); // 49
 * ```
 */
export interface Executor {
  /**
   * Runs `task(...args)` in a worker and returns its Future. `task` is a self-contained
   * function or the name of an export of the pool's `module`. Cancelling the Future
   * (or the task awaiting it) cancels the job. When `maxQueue` jobs already wait, the
   * job waits for room first (still cancellable).
   */
  submit<A extends unknown[], R>(task: JobFunction<A, R>, ...args: A): Future<Awaited<R>>;
  submit<R = unknown>(task: string, ...args: unknown[]): Future<R>;
  /** `submit`, with a transfer list and/or an AbortSignal. */
  submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    task: JobFunction<A, R>,
    ...args: A
  ): Future<Awaited<R>>;
  submitWith<R = unknown>(options: SubmitOptions, task: string, ...args: unknown[]): Future<R>;
  /** `submit` that throws `QueueFull` instead of waiting when `maxQueue` jobs wait. */
  submitNowait<A extends unknown[], R>(task: JobFunction<A, R>, ...args: A): Future<Awaited<R>>;
  submitNowait<R = unknown>(task: string, ...args: unknown[]): Future<R>;
  /**
   * `task(item)` for each item, results in input order, with at most `maxWorkers * 2`
   * jobs in flight. Iterating it is cancellable; leaving the loop early cancels the
   * jobs still in flight. A job's error is thrown where its result would come.
   */
  map<T, R>(
    task: JobFunction<[T], R> | string,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions<T>,
  ): AsyncIterable<Awaited<R>>;
  /** Stops taking jobs; see `ShutdownOptions`. Calling it again is harmless. */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** `await using executor = …` shuts it down (waiting) at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}
