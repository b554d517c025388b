/*
 * ThreadPoolExecutor: a PoolExecutor whose workers are worker_threads (ThreadWorker).
 */

import { describeValue } from '@coro/loop';
import { PoolExecutor } from './pool-executor.js';
import type { PoolOptions } from './pool-options.js';
import type { PoolWorker } from './pool-worker.js';
import { ThreadWorker } from './thread-worker.js';
import { workerRuntimeSource } from './worker-runtime.js';

/**
 * Options of `new ThreadPoolExecutor()`.
 *
 * @example
 * ```ts
 * import { ThreadPoolExecutor, type ThreadPoolOptions } from '@coro/workers';
 *
 * const options: ThreadPoolOptions = { maxWorkers: 4, name: 'thumbnails' };
 * await new ThreadPoolExecutor(options).shutdown();
 * ```
 */
export interface ThreadPoolOptions extends PoolOptions {
  /** The threads' name prefix (`name-1`, `name-2`…), seen in debuggers. @defaultValue 'coro-worker' */
  name?: string;
}

/**
 * A pool of worker threads (`worker_threads`): Python's `ThreadPoolExecutor`, except that
 * JavaScript threads share no variables, so a job is a self-contained function sent by
 * its source, or an export of `module`, and its arguments and result are copied
 * (structured clone) or moved (`submitWith({ transfer })`). Workers start as jobs need
 * them, up to `maxWorkers`; an idle pool does not keep the program alive.
 *
 * @throws TypeError / RangeError for bad options.
 * @example
 * ```ts
 * import { ThreadPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const fib = function fib(n: number): number { return n < 2 ? n : fib(n - 1) + fib(n - 2); };
 * console.log(await Promise.all([pool.submit(fib, 25), pool.submit(fib, 26)])); // [ 75025, 121393 ]
 * ```
 */
export class ThreadPoolExecutor extends PoolExecutor {
  readonly #name: string;
  readonly #source: string;
  #started = 0;

  constructor(options: ThreadPoolOptions = {}) {
    super(options);
    const name = options.name ?? 'coro-worker';
    if (typeof name !== 'string') {
      throw new TypeError(`options.name must be a string; got ${describeValue(name)}`);
    }
    this.#name = name;
    this.#source = workerRuntimeSource('thread', this.moduleUrl);
  }

  /** @internal */
  protected startWorker(): PoolWorker {
    this.#started++;
    return new ThreadWorker(this, {
      source: this.#source,
      name: `${this.#name}-${this.#started}`,
      execArgv: this.execArgv,
      maxMemoryMb: this.maxMemoryMb,
      env: this.env,
    });
  }
}
