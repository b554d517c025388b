/*
 * pool-options: the options both pools take, checked once, with what they default to.
 */

import { availableParallelism } from 'node:os';
import { describeValue, requireInteger } from '@coro/loop';
import { moduleUrlOf } from './module-url.js';

/**
 * Options both pools take.
 *
 * @example
 * ```ts
 * import { type PoolOptions, ThreadPoolExecutor } from '@coro/workers';
 *
 * const options: PoolOptions = { maxWorkers: 2, maxQueue: 100, maxMemoryMb: 256 };
 * await new ThreadPoolExecutor(options).shutdown();
 * ```
 */
export interface PoolOptions {
  /** Workers at most, started as jobs need them. @defaultValue os.availableParallelism() */
  maxWorkers?: number;
  /**
   * A built JavaScript module (`.js`, `.mjs`, `.cjs`; a path, relative to the current
   * directory, or a `file:` URL) whose exported functions jobs can name:
   * `submit('resize', …)`. For a TypeScript module, point at its build output, or run
   * with tsx (see the README).
   */
  module?: string | URL;
  /**
   * Jobs that may wait for a worker; past it `submit` waits for room and
   * `submitNowait` throws `QueueFull`. 0 is unbounded. @defaultValue 0
   */
  maxQueue?: number;
  /**
   * The heap (old generation) a worker may use, in MB; a worker that goes over is
   * replaced and its job fails with `BrokenExecutorError`. @defaultValue Node's default
   */
  maxMemoryMb?: number;
  /**
   * Node options for the workers (`['--import', 'tsx']`).
   * @defaultValue `process.execArgv` (what the main program was started with)
   */
  execArgv?: string[];
  /** The workers' environment. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /**
   * How long (ms) a cancelled job that is running gets to stop on its `signal` before its
   * worker is terminated and replaced; `shutdown()` gives such a job the same time before
   * it stops the worker. @defaultValue 100
   */
  cancelGraceMs?: number;
}

/** @internal PoolOptions, checked, with their defaults filled in. */
export interface PoolSettings {
  readonly maxWorkers: number;
  readonly maxQueue: number;
  readonly moduleUrl: string | null;
  readonly maxMemoryMb: number | undefined;
  readonly execArgv: string[] | undefined;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly cancelGraceMs: number;
}

/**
 * @internal Checks `options` and fills in the defaults.
 *
 * @throws TypeError / RangeError for a bad option.
 */
export function poolSettings(options: PoolOptions): PoolSettings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  const maxWorkers = options.maxWorkers ?? availableParallelism();
  requireInteger(maxWorkers, 'options.maxWorkers', 1);
  const maxQueue = options.maxQueue ?? 0;
  requireInteger(maxQueue, 'options.maxQueue', 0);
  if (options.maxMemoryMb !== undefined) {
    requireInteger(options.maxMemoryMb, 'options.maxMemoryMb', 1);
  }
  const cancelGraceMs = options.cancelGraceMs ?? 100;
  requireInteger(cancelGraceMs, 'options.cancelGraceMs', 0);
  if (
    options.execArgv !== undefined &&
    (!Array.isArray(options.execArgv) || options.execArgv.some((arg) => typeof arg !== 'string'))
  ) {
    throw new TypeError(
      `options.execArgv must be an array of strings; got ${describeValue(options.execArgv)}`,
    );
  }
  return {
    maxWorkers,
    maxQueue,
    moduleUrl: options.module === undefined ? null : moduleUrlOf(options.module),
    maxMemoryMb: options.maxMemoryMb,
    execArgv: options.execArgv,
    env: options.env,
    cancelGraceMs,
  };
}
