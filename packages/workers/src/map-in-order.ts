/*
 * map-in-order: the iteration behind every `Executor.map`: a Future started per item as
 * room frees up, at most `limit` of them in flight, their results yielded in input order.
 *
 * Invariants
 *   1. Results come out in input order, whatever order the Futures finish in: the oldest
 *      one in flight is awaited first.
 *   2. At most `limit` Futures are in flight; an item is read from `items` only when its
 *      Future can be started, so an endless iterable is fine.
 *   3. Leaving early (break, a Future's error, the consumer cancelled) cancels every
 *      Future in flight and closes `items` if it was not read to its end.
 *
 * Tested by test/map-in-order.test.ts, and through the pools' map (test/executor.test.ts)
 * and @coro/distributed's QueueExecutor.map.
 */

import type { Future } from '@coro/futures';
import { Deque, describeValue, requireInteger } from '@coro/loop';

/**
 * Starts `start(item)` for each item of `items` (a Future: a submitted job, a task…)
 * and yields their results in input order, with at most `limit` of them in flight; an
 * item is read only when there is room for it. A Future's error is thrown where its
 * result would come. Leaving the loop early (break, an error, the consuming task
 * cancelled) cancels the Futures still in flight and closes `items`. This is what the
 * pools' and `QueueExecutor`'s `map` are made of: use it to give your own executor a `map`.
 *
 * @throws TypeError if `items` is not iterable (sync or async) or `start` not a function;
 *   RangeError / TypeError if `limit` is not an integer >= 1 (checked at the call, not at
 *   the first step).
 * @example
 * ```ts
 * import { mapInOrder, ThreadPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
 * const cube = (n: number) => n * n * n;
 * const cubes: number[] = [];
 * // at most 2 jobs in the pool at once, results in the order of the items
 * for await (const value of mapInOrder([1, 2, 3, 4], (n) => pool.submit(cube, n), 2)) {
 *   cubes.push(value);
 * }
 * console.log(cubes); // [ 1, 8, 27, 64 ]
 * ```
 */
export function mapInOrder<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  start: (item: T) => Future<R>,
  limit: number,
): AsyncGenerator<R, void, undefined> {
  requireIterable(items, 'items');
  if (typeof start !== 'function') {
    throw new TypeError(`start must be a function of an item; got ${describeValue(start)}`);
  }
  requireInteger(limit, 'limit', 1);
  return inOrder(items, start, limit);
}

async function* inOrder<T, R>(
  items: Iterable<T> | AsyncIterable<T>,
  start: (item: T) => Future<R>,
  limit: number,
): AsyncGenerator<R, void, undefined> {
  const inFlight = new Deque<Future<R>>();
  const iterator = iteratorOf(items);
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && inFlight.length < limit) {
        const step = await iterator.next();
        if (step.done) {
          exhausted = true;
          break;
        }
        inFlight.push(start(step.value));
      }
      const next = inFlight.shift();
      if (next === undefined) return;
      yield await next;
    }
  } finally {
    for (const future of inFlight) future.cancel();
    if (!exhausted) await iterator.return?.();
  }
}

/** @internal Throws `<argument> must be iterable; got <value>` unless `value` is (sync or async). */
export function requireIterable(value: unknown, argument: string): void {
  if (
    value === null ||
    typeof value !== 'object' ||
    (typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function' &&
      typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function')
  ) {
    throw new TypeError(`${argument} must be iterable; got ${describeValue(value)}`);
  }
}

/** @internal The iterator of `items`: its async one if it has one, else its sync one. */
export function iteratorOf<T>(
  items: Iterable<T> | AsyncIterable<T>,
): Iterator<T> | AsyncIterator<T> {
  return typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function'
    ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (items as Iterable<T>)[Symbol.iterator]();
}
