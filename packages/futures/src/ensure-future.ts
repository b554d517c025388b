import { describeValue, type Loop } from '@coro/loop';
import { asBaseLoop, Future } from './future.js';
import { PENDING } from './future-state.js';
import { thenWithoutAwaiting } from './step.js';
import { createTask } from './task.js';

/**
 * Something `gather`, `wait`, `shield` and friends accept: a Future or Task, any
 * Promise or thenable, or an async function (run as a new task).
 *
 * @example
 * ```ts
 * import { type AwaitableLike, gather, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   // a Future, a plain Promise and an async function (run as a new task) are all accepted
 *   const inputs: AwaitableLike<number>[] = [sleep(10, 1), Promise.resolve(2), async () => 3];
 *   console.log(await gather(inputs)); // [ 1, 2, 3 ]
 * });
 * ```
 */
export type AwaitableLike<T> = Future<T> | PromiseLike<T> | (() => T | PromiseLike<T>);

/**
 * Returns `awaitable` as a Future: a Future or Task as it is, an async function
 * as a new Task, a Promise or thenable wrapped in a Future that settles with it
 * (cancelling the wrapper cannot stop the Promise's work).
 *
 * @throws TypeError for anything else.
 * @example
 * ```ts
 * import { ensureFuture, run } from '@coro/futures';
 *
 * await run(async () => {
 *   const future = ensureFuture(Promise.resolve('ready'));
 *   console.log(await future, future.done()); // ready true
 * });
 * ```
 */
export function ensureFuture<T>(awaitable: AwaitableLike<T>, options?: { loop?: Loop }): Future<T> {
  if (awaitable instanceof Future) return awaitable;
  if (typeof awaitable === 'function') return createTask(awaitable, options) as Future<T>;
  if (awaitable !== null && typeof (awaitable as PromiseLike<T>)?.then === 'function') {
    const future = new Future<T>({ loop: asBaseLoop(options?.loop) });
    thenWithoutAwaiting(
      awaitable as PromiseLike<T>,
      (value) => {
        if (future.state === PENDING) future.resolveNow(value);
      },
      (error: unknown) => {
        if (future.state === PENDING) future.rejectNow(error);
      },
    );
    return future;
  }
  throw new TypeError(
    `awaitable must be a Future, a Promise or thenable, or an async function; got ${describeValue(awaitable)}`,
  );
}
