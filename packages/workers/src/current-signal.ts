import { PROTOCOL } from './protocol.js';

/**
 * Inside a job, the AbortSignal of the job that is running: aborted when the job is
 * cancelled. For jobs exported from a `module` (and arrow functions, which have no
 * `this`); a `function` job can read `this.signal` instead. A worker runs one job at a
 * time, so this stays the job's signal across its awaits.
 *
 * @throws Error when called outside a job (not in a pool's worker, or between jobs).
 * @example
 * ```ts
 * // tasks.ts, built to tasks.js and given as the pool's `module`
 * import { currentSignal } from '@coro/workers';
 *
 * export async function download(url: string): Promise<number> {
 *   const response = await fetch(url, { signal: currentSignal() });
 *   return (await response.arrayBuffer()).byteLength;
 * }
 * ```
 */
export function currentSignal(): AbortSignal {
  const job = (globalThis as Record<symbol, { signal: AbortSignal } | undefined>)[
    Symbol.for(PROTOCOL.CURRENT_JOB_KEY)
  ];
  if (job === undefined) {
    throw new Error('currentSignal() must be called while a pool job runs (inside a worker)');
  }
  return job.signal;
}
