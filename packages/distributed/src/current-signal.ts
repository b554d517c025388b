import { currentTask } from '@coro/futures';

/**
 * Inside a job run by `serveQueue` or `coro-worker`, the job's AbortSignal: aborted when
 * the job is cancelled (by its client, its timeout, or the worker handing it back). It
 * is the signal of the job's coro task, so it stays right across awaits while other jobs
 * run on the same loop. (`currentSignal()` of @coro/workers returns the same signal in a
 * worker process.)
 *
 * @throws Error when called outside a task (no job is running).
 * @example
 * ```ts
 * // jobs.ts, built to jobs.js and given to coro-worker --module
 * import { currentSignal } from '@coro/distributed';
 *
 * export async function download(url: string): Promise<number> {
 *   const response = await fetch(url, { signal: currentSignal() });
 *   return (await response.arrayBuffer()).byteLength;
 * }
 * ```
 */
export function currentSignal(): AbortSignal {
  const task = currentTask();
  if (task === undefined) {
    throw new Error('currentSignal() must be called while a job runs (inside its task)');
  }
  return task.signal;
}
