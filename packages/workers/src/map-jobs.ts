/*
 * map-jobs: the iteration behind `Executor.map`: items read as room frees up, at most
 * `limit` jobs in flight, results yielded in input order.
 *
 * Invariants
 *   1. Results come out in input order, whatever order the jobs finish in: the oldest
 *      job in flight is awaited first.
 *   2. At most `limit` jobs are in flight; an item is read from `items` only when its job
 *      can be submitted, so an endless iterable is fine.
 *   3. Leaving early (break, a job's error, the consumer cancelled) cancels every job in
 *      flight and closes `items` if it was not read to its end.
 *
 * Tested by test/executor.test.ts ("map").
 */

import type { TransferListItem } from 'node:worker_threads';
import { Deque } from '@coro/loop';
import type { Job } from './job.js';
import { PROTOCOL } from './protocol.js';

/** @internal A job's transfer list, if it has one. */
export type TransferList = readonly TransferListItem[] | undefined;

/** @internal Submits one job of the map: its arguments (an item, or a chunk of them). */
export type SubmitOne = (args: unknown[], transfer: TransferList, kind: number) => Job<unknown>;

/** @internal Runs a map over `items` through `submitOne` (see the module header). */
export async function* mapJobs<T>(
  submitOne: SubmitOne,
  items: Iterable<T> | AsyncIterable<T>,
  chunksize: number,
  transfer: ((item: T) => readonly TransferListItem[]) | undefined,
  limit: number,
): AsyncGenerator<unknown> {
  const inFlight = new Deque<Job<unknown>>();
  const iterator =
    typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function'
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (items as Iterable<T>)[Symbol.iterator]();
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inFlight.length < limit) {
        const chunk: T[] = [];
        while (chunk.length < chunksize) {
          const step = await iterator.next();
          if (step.done) {
            exhausted = true;
            break;
          }
          chunk.push(step.value);
        }
        if (chunk.length === 0) break;
        if (chunksize === 1) {
          const item = chunk[0] as T;
          inFlight.push(submitOne([item], transfer?.(item), PROTOCOL.KIND_CALL));
        } else {
          inFlight.push(submitOne(chunk, undefined, PROTOCOL.KIND_MAP));
        }
      }
      const next = inFlight.shift();
      if (next === undefined) return;
      const value = await next;
      if (chunksize === 1) yield value;
      else yield* value as unknown[];
    }
  } finally {
    for (const job of inFlight) job.cancel();
    if (!exhausted) await iterator.return?.();
  }
}
