/**
 * A submitted job that is no longer in Redis while its Future waits: Redis restarted
 * without persistence, or someone removed the job (or its kept result expired before
 * `executor.future(jobId)` asked for it).
 *
 * @example
 * ```ts
 * import { JobLostError } from '@coro/distributed';
 *
 * const error = new JobLostError('7f3c', 'it is no longer in Redis');
 * console.log(error.name, error.jobId); // JobLostError 7f3c
 * ```
 */
export class JobLostError extends Error {
  static {
    this.prototype.name = 'JobLostError';
  }
  /** The BullMQ id of the job. */
  readonly jobId: string;
  constructor(jobId: string, why: string) {
    super(`job ${jobId} is lost: ${why}`);
    this.jobId = jobId;
  }
}

/**
 * The QueueExecutor could not reach Redis for longer than its `connectionTimeoutMs`: the
 * Futures still waiting fail with it (the jobs may still run, and can be re-attached
 * with `executor.future(jobId)` once Redis is back).
 *
 * @example
 * ```ts
 * import { RedisConnectionError } from '@coro/distributed';
 *
 * const error = new RedisConnectionError('redis://10.0.0.5:6379', 30_000);
 * console.log(error.message); // no connection to redis://10.0.0.5:6379 for 30000 ms
 * ```
 */
export class RedisConnectionError extends Error {
  static {
    this.prototype.name = 'RedisConnectionError';
  }
  /** How long the connection had been down (ms). */
  readonly downForMs: number;
  constructor(where: string, downForMs: number, options?: { cause?: unknown }) {
    super(`no connection to ${where} for ${downForMs} ms`, options);
    this.downForMs = downForMs;
  }
}
