/*
 * map-jobs: the pools' `map` over mapInOrder (map-in-order.ts): one job an item, or, with
 * `chunksize` > 1, one job a chunk of items whose results are yielded one by one.
 *
 * Invariant: a chunk is read from `items` only when its job can be submitted (the chunks
 * are made lazily), and leaving early closes `items` through the chunks' generator.
 *
 * Tested by test/executor.test.ts ("map").
 */

import type { TransferListItem } from 'node:worker_threads';
import type { Job } from './job.js';
import { iteratorOf, mapInOrder } from './map-in-order.js';
import { PROTOCOL } from './protocol.js';

/** @internal A job's transfer list, if it has one. */
export type TransferList = readonly TransferListItem[] | undefined;

/** @internal Submits one job of the map: its arguments (an item, or a chunk of them). */
export type SubmitOne = (args: unknown[], transfer: TransferList, kind: number) => Job<unknown>;

/** @internal Runs a pool's map over `items` through `submitOne` (see the module header). */
export function mapJobs<T>(
  submitOne: SubmitOne,
  items: Iterable<T> | AsyncIterable<T>,
  chunksize: number,
  transfer: ((item: T) => readonly TransferListItem[]) | undefined,
  limit: number,
): AsyncIterable<unknown> {
  if (chunksize === 1) {
    return mapInOrder(
      items,
      (item) => submitOne([item], transfer?.(item), PROTOCOL.KIND_CALL),
      limit,
    );
  }
  return flatten(
    mapInOrder(
      chunksOf(items, chunksize),
      (chunk) => submitOne(chunk, undefined, PROTOCOL.KIND_MAP),
      limit,
    ),
  );
}

/**
 * `items` in arrays of `size` (the last one may be shorter), read as they are asked for;
 * closing it early closes `items`. (Items are taken as they are: a Promise is an item.)
 */
async function* chunksOf<T>(
  items: Iterable<T> | AsyncIterable<T>,
  size: number,
): AsyncGenerator<T[], void, undefined> {
  const iterator = iteratorOf(items);
  let exhausted = false;
  try {
    while (!exhausted) {
      const chunk: T[] = [];
      while (chunk.length < size) {
        const step = await iterator.next();
        if (step.done) {
          exhausted = true;
          break;
        }
        chunk.push(step.value);
      }
      if (chunk.length > 0) yield chunk;
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }
}

/** The values of each chunk's result, one by one. */
async function* flatten(chunks: AsyncIterable<unknown>): AsyncGenerator<unknown, void, undefined> {
  for await (const values of chunks) yield* values as unknown[];
}
