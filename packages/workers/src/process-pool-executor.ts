/*
 * ProcessPoolExecutor: a PoolExecutor whose workers are child processes (ProcessWorker).
 */

import { PoolExecutor } from './pool-executor.js';
import type { PoolOptions } from './pool-options.js';
import type { PoolWorker } from './pool-worker.js';
import { ProcessWorker } from './process-worker.js';
import { workerRuntimeSource } from './worker-runtime.js';

/**
 * Options of `new ProcessPoolExecutor()`.
 *
 * @example
 * ```ts
 * import { ProcessPoolExecutor, type ProcessPoolOptions } from '@coro/workers';
 *
 * const options: ProcessPoolOptions = { maxWorkers: 2, maxMemoryMb: 512 };
 * await new ProcessPoolExecutor(options).shutdown();
 * ```
 */
export type ProcessPoolOptions = PoolOptions;

/**
 * A pool of child processes running Node: Python's `ProcessPoolExecutor`. Jobs are
 * named as for `ThreadPoolExecutor`; arguments and results are copied with
 * `v8.serialize` (a transfer list is accepted and ignored: processes share no memory).
 * A process is fully isolated: a job that crashes it, leaks, or calls `process.exit`
 * costs only that job (`BrokenExecutorError`), and the process is replaced. Children
 * exit when the pool shuts down, and by themselves when the parent is gone, however it
 * died (SIGKILL included), even in the middle of a CPU-bound job: a watchdog thread in
 * each child watches a pipe whose other end only the pool holds.
 *
 * @throws TypeError / RangeError for bad options.
 * @example
 * ```ts
 * import { ProcessPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * const pids = await Promise.all([1, 2].map(() => pool.submit(() => process.pid)));
 * console.log(pids.every((pid) => pid !== process.pid)); // true
 * ```
 */
export class ProcessPoolExecutor extends PoolExecutor {
  readonly #source: string;

  constructor(options: ProcessPoolOptions = {}) {
    super(options);
    this.#source = workerRuntimeSource('process', this.moduleUrl);
  }

  /** @internal */
  protected startWorker(): PoolWorker {
    return new ProcessWorker(this, {
      source: this.#source,
      execArgv: this.execArgv ?? process.execArgv,
      maxMemoryMb: this.maxMemoryMb,
      env: this.env,
    });
  }
}
