import { Deque, describeValue, type Loop, requireTimeMs, type TimerHandle } from '@coro/loop';
import { type AwaitableLike, ensureFuture } from './ensure-future.js';
import { TimeoutError } from './errors.js';
import { asBaseLoop, Future } from './future.js';
import { PENDING } from './future-state.js';

/**
 * Options of `asCompleted`.
 *
 * @example
 * ```ts
 * import { asCompleted, run, sleep, TimeoutError } from '@coro/futures';
 *
 * await run(async () => {
 *   // timeout: after 50 ms the loop throws TimeoutError instead of waiting for the rest
 *   try {
 *     for await (const next of asCompleted([sleep(10, 'fast'), sleep(5_000, 'slow')], { timeout: 50 })) {
 *       console.log(await next); // prints: fast
 *     }
 *   } catch (error) {
 *     console.log(error instanceof TimeoutError); // true: 'slow' was not done within 50 ms
 *   }
 * });
 * ```
 */
export interface AsCompletedOptions {
  /**
   * Past this many ms, the iteration throws TimeoutError (0 or less: at once).
   * @defaultValue null (no limit)
   */
  timeout?: number | null;
  /** @defaultValue the running loop */
  loop?: Loop;
}

function wake(waiter: Future<void>): void {
  if (waiter.state === PENDING) waiter.resolveNow(undefined);
}

class AsCompletedIterator<T> implements AsyncIterableIterator<Future<T>> {
  readonly #todo = new Set<Future<T>>();
  readonly #done = new Deque<Future<T>>();
  readonly #loop: Loop;
  #waiter: Future<void> | null = null;
  #timer: TimerHandle | null = null;
  #timedOut = false;

  constructor(futures: Future<T>[], timeoutMs: number | null, loop: Loop) {
    this.#loop = loop;
    for (const future of futures) this.#todo.add(future);
    for (const future of this.#todo) future.addDoneCallback(this.#onDone);
    if (timeoutMs !== null && this.#todo.size > 0)
      this.#timer = loop.callLater(timeoutMs, this.#onTimeout);
  }

  readonly #onDone = (future: Future<T>): void => {
    if (!this.#todo.delete(future)) return;
    this.#done.push(future);
    if (this.#todo.size === 0) this.#timer?.cancel();
    if (this.#waiter !== null) wake(this.#waiter);
  };

  readonly #onTimeout = (): void => {
    this.#timedOut = true;
    this.#stopWatching();
    if (this.#waiter !== null) wake(this.#waiter);
  };

  #stopWatching(): void {
    this.#timer?.cancel();
    for (const future of this.#todo) future.removeDoneCallback(this.#onDone);
    this.#todo.clear();
  }

  async next(): Promise<IteratorResult<Future<T>>> {
    while (this.#done.length === 0) {
      if (this.#timedOut) throw new TimeoutError('asCompleted() timed out');
      if (this.#todo.size === 0) return { value: undefined, done: true };
      this.#waiter = new Future<void>({ loop: this.#loop });
      try {
        await this.#waiter;
      } finally {
        this.#waiter = null;
      }
    }
    return { value: this.#done.shift() as Future<T>, done: false };
  }

  async return(): Promise<IteratorResult<Future<T>>> {
    this.#stopWatching();
    this.#done.clear();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Future<T>> {
    return this;
  }
}

/**
 * Iterates over awaitables in the order they complete, fastest first, yielding
 * the original Futures and Tasks (Promises wrapped, functions run as tasks);
 * await each to get its result or error. Past the timeout, the iteration
 * throws `TimeoutError`.
 *
 * @throws TypeError if `awaitables` is not iterable; RangeError for a NaN or infinite timeout.
 * @example
 * ```ts
 * import { asCompleted, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   for await (const next of asCompleted([sleep(30, 'slow'), sleep(10, 'fast')])) {
 *     console.log(await next); // fast, then slow
 *   }
 * });
 * ```
 */
export function asCompleted<T>(
  awaitables: Iterable<AwaitableLike<T>>,
  options: AsCompletedOptions = {},
): AsyncIterableIterator<Future<T>> {
  if (
    awaitables === null ||
    typeof (awaitables as Iterable<unknown>)?.[Symbol.iterator] !== 'function'
  ) {
    throw new TypeError(`awaitables must be an iterable; got ${describeValue(awaitables)}`);
  }
  const { timeout = null } = options;
  if (timeout !== null) requireTimeMs(timeout, 'options.timeout');
  const loop = asBaseLoop(options.loop);
  const futures = [...awaitables].map((awaitable) => ensureFuture(awaitable, { loop }));
  return new AsCompletedIterator(futures, timeout, loop);
}
