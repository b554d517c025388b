/*
 * Queue: asyncio's queue, the waiting logic written once; PriorityQueue and
 * LifoQueue only change the storage.
 *
 * Invariants
 *   1. Items live in `storage`; a getter or putter is only ever *woken* (asyncio's
 *      design), never handed an item: it takes one when it runs. So a getter
 *      cancelled after its wake-up loses nothing — the item is still in the queue,
 *      and the wake-up goes to the next getter (DESIGN §4). Putters likewise.
 *   2. Fair: `get()` takes at once only if an item is there and no getter is
 *      listed (pending, or woken and not yet run); `put()` likewise. A woken getter
 *      that finds more items wakes the next one, so no item waits while a getter
 *      sleeps. `getNowait()`/`putNowait()` never wait, so they may go first, as in
 *      asyncio.
 *   3. `unfinished` counts putNowait()s minus taskDone()s; join() waits for 0.
 *   4. After shutdown(): put()s throw QueueShutDown; get()s drain what is left,
 *      then throw it; shutdown(true) also drops the items (each counted done) and
 *      so may release join().
 *
 * Tested by test/queue.test.ts and test/queue.property.test.ts.
 */

import { describeValue, requireInteger } from '@coro/loop';
import { QueueEmpty, QueueFull, QueueShutDown } from './errors.js';
import { FifoStorage, type QueueStorage } from './storage.js';
import {
  type QueueWaitOptions,
  readSignal,
  Waiter,
  WaiterList,
  type WaitSource,
} from './waiter.js';

/**
 * Options of `new Queue()` (and of the LIFO and priority queues).
 *
 * @example
 * ```ts
 * import { Queue, type QueueOptions } from '@coro/queues';
 *
 * const options: QueueOptions = { maxsize: 100 };
 * const jobs = new Queue<string>(options);
 * ```
 */
export interface QueueOptions {
  /**
   * How many items the queue holds before `put()` waits; 0 means unbounded.
   * An integer >= 0. @defaultValue 0
   */
  maxsize?: number;
}

const RESOLVED_VOID: Promise<void> = Promise.resolve();

/**
 * asyncio's Queue: a FIFO queue that tasks wait on. `put()` waits while the queue
 * is full (`maxsize`), `get()` while it is empty; both serve waiters in arrival
 * order. `taskDone()` and `join()` track finished work; `shutdown()` ends it all
 * (Python 3.13). `for await` yields items until the queue is shut down and drained.
 *
 * @example
 * ```ts
 * import { createTask, run } from '@coro/futures';
 * import { Queue } from '@coro/queues';
 *
 * await run(async () => {
 *   const queue = new Queue<string>({ maxsize: 2 });
 *   const worker = createTask(async () => {
 *     for await (const job of queue) console.log('done', job);
 *   });
 *   for (const job of ['resize', 'upload', 'notify']) await queue.put(job);
 *   queue.shutdown();
 *   await worker; // done resize, done upload, done notify
 * });
 * ```
 */
export class Queue<T> implements AsyncIterable<T> {
  readonly #maxsize: number;
  readonly #storage: QueueStorage<T>;
  readonly #getters: WaiterList<Waiter<undefined>>;
  readonly #putters: WaiterList<Waiter<undefined>>;
  readonly #joiners: WaiterList<Waiter<undefined>>;
  readonly #getSource: WaitSource;
  readonly #putSource: WaitSource;
  readonly #joinSource: WaitSource;
  #unfinished: number;
  #shutDown: boolean;

  /**
   * @throws TypeError if `options` is not an object or `maxsize` not a number;
   *   RangeError if `maxsize` is not an integer >= 0.
   */
  constructor(options?: QueueOptions) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const maxsize = options?.maxsize ?? 0;
    requireInteger(maxsize, 'maxsize', 0);
    this.#maxsize = maxsize;
    this.#storage = this.createStorage(options ?? {});
    this.#getters = new WaiterList();
    this.#putters = new WaiterList();
    this.#joiners = new WaiterList();
    this.#getSource = { describeWait: () => `${this.kind()}.get: empty` };
    this.#putSource = {
      describeWait: () => `${this.kind()}.put: full (${this.qsize()} of ${this.#maxsize})`,
    };
    this.#joinSource = {
      describeWait: () => `${this.kind()}.join: ${this.#unfinished} unfinished`,
    };
    this.#unfinished = 0;
    this.#shutDown = false;
  }

  /** @internal The storage of this kind of queue (FIFO here). */
  protected createStorage(_options: QueueOptions): QueueStorage<T> {
    return new FifoStorage<T>();
  }

  /** @internal The class name, for messages. */
  protected kind(): string {
    return 'Queue';
  }

  /**
   * How many items the queue holds before `put()` waits (0: unbounded).
   *
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * console.log(new Queue({ maxsize: 5 }).maxsize); // 5
   * ```
   */
  get maxsize(): number {
    return this.#maxsize;
  }

  /**
   * The number of items in the queue.
   *
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * console.log(queue.qsize()); // 1
   * ```
   */
  qsize(): number {
    return this.#storage.length;
  }

  /**
   * Whether the queue holds no item.
   *
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * console.log(new Queue().empty()); // true
   * ```
   */
  empty(): boolean {
    return this.#storage.length === 0;
  }

  /**
   * Whether the queue holds `maxsize` items (never, when unbounded).
   *
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const queue = new Queue<number>({ maxsize: 1 });
   * queue.putNowait(1);
   * console.log(queue.full()); // true
   * ```
   */
  full(): boolean {
    return this.#maxsize > 0 && this.#storage.length >= this.#maxsize;
  }

  /**
   * Puts `item` in the queue, waiting in line while it is full. Cancelling the
   * awaiting task or aborting `signal` gives up (the item is not put).
   *
   * @throws {@link QueueShutDown} if the queue is or gets shut down (the promise rejects).
   * @throws TypeError if `options.signal` is not an AbortSignal.
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const queue = new Queue<string>({ maxsize: 1 });
   * await queue.put('first'); // room: resolves at once
   * await queue.put('second', { signal: AbortSignal.timeout(10) }).catch((error) => console.log(error.name));
   * // TimeoutError: nobody made room
   * ```
   */
  put(item: T, options?: QueueWaitOptions): Promise<void> {
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#shutDown) return Promise.reject(new QueueShutDown());
    if (!this.full() && this.#putters.size === 0) {
      this.#putNow(item);
      return RESOLVED_VOID;
    }
    return this.#putSlowly(item, signal);
  }

  async #putSlowly(item: T, signal: AbortSignal | undefined): Promise<void> {
    do {
      if (this.#shutDown) throw new QueueShutDown();
      const putter = new Waiter<undefined>(this.#putSource, this.#putters, signal);
      this.#putters.push(putter);
      try {
        await putter;
      } catch (error) {
        this.#putters.remove(putter);
        putter.finish();
        // Woken, then cancelled before it ran: the room it was woken for goes to
        // the next putter (invariant 1, DESIGN §4).
        if (putter.granted && !this.full()) this.#wakeNext(this.#putters);
        throw error;
      }
      this.#putters.remove(putter);
      putter.finish();
    } while (this.full());
    this.putNowait(item);
    if (!this.full()) this.#wakeNext(this.#putters); // invariant 2
  }

  /**
   * Puts `item` in the queue without waiting, and wakes the longest-waiting
   * `get()` if there is one.
   *
   * @throws {@link QueueFull} if the queue already holds `maxsize` items.
   * @throws {@link QueueShutDown} if `shutdown()` was called.
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const jobs = new Queue<string>({ maxsize: 1 });
   * jobs.putNowait('resize image');
   * console.log(jobs.full()); // true: another putNowait would throw QueueFull
   * ```
   */
  putNowait(item: T): void {
    if (this.#shutDown) throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this.#putNow(item);
  }

  #putNow(item: T): void {
    this.#storage.push(item);
    this.#unfinished++;
    this.#wakeNext(this.#getters);
  }

  /**
   * Removes and returns an item, waiting in line while the queue is empty. A
   * `get()` cancelled (or aborted through `signal`) after it was woken leaves the
   * item in the queue for the next getter. On a shut-down queue it returns what
   * is left, then throws.
   *
   * @throws {@link QueueShutDown} once the queue is shut down and empty (the promise rejects).
   * @throws TypeError if `options.signal` is not an AbortSignal.
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const queue = new Queue<string>();
   * queue.putNowait('hello');
   * console.log(await queue.get()); // hello
   * ```
   */
  get(options?: QueueWaitOptions): Promise<T> {
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#storage.length > 0 && this.#getters.size === 0) return Promise.resolve(this.#take());
    return this.#getSlowly(signal);
  }

  async #getSlowly(signal: AbortSignal | undefined): Promise<T> {
    do {
      if (this.#shutDown && this.#storage.length === 0) throw new QueueShutDown();
      const getter = new Waiter<undefined>(this.#getSource, this.#getters, signal);
      this.#getters.push(getter);
      try {
        await getter;
      } catch (error) {
        this.#getters.remove(getter);
        getter.finish();
        // Woken, then cancelled before it ran: the item is still here; wake the
        // next getter for it (invariant 1, DESIGN §4).
        if (getter.granted && this.#storage.length > 0) this.#wakeNext(this.#getters);
        throw error;
      }
      this.#getters.remove(getter);
      getter.finish();
    } while (this.#storage.length === 0);
    const item = this.#take();
    if (this.#storage.length > 0) this.#wakeNext(this.#getters); // invariant 2
    return item;
  }

  /**
   * Removes and returns an item without waiting.
   *
   * @throws {@link QueueEmpty} if the queue is empty; {@link QueueShutDown} if it
   *   is empty and shut down.
   * @example
   * ```ts
   * import { Queue, QueueEmpty } from '@coro/queues';
   *
   * const queue = new Queue<number>();
   * queue.putNowait(7);
   * console.log(queue.getNowait()); // 7
   * ```
   */
  getNowait(): T {
    if (this.#storage.length === 0) {
      throw this.#shutDown ? new QueueShutDown() : new QueueEmpty();
    }
    return this.#take();
  }

  #take(): T {
    const item = this.#storage.take();
    this.#wakeNext(this.#putters);
    return item;
  }

  /**
   * Marks one item taken from the queue as processed; when every item put has
   * been marked, `join()` returns.
   *
   * @throws RangeError if called more times than items were put.
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const queue = new Queue<string>();
   * queue.putNowait('job');
   * queue.getNowait();
   * queue.taskDone();
   * await queue.join(); // returns at once: nothing unfinished
   * ```
   */
  taskDone(): void {
    if (this.#unfinished <= 0) {
      throw new RangeError('taskDone() called more times than items were put in the queue');
    }
    this.#unfinished--;
    if (this.#unfinished === 0) this.#wakeAll(this.#joiners);
  }

  /**
   * Waits until every item put has been marked with `taskDone()`.
   *
   * @throws TypeError if `options.signal` is not an AbortSignal.
   * @example
   * ```ts
   * import { createTask, run } from '@coro/futures';
   * import { Queue } from '@coro/queues';
   *
   * await run(async () => {
   *   const queue = new Queue<number>();
   *   for (const n of [1, 2, 3]) queue.putNowait(n);
   *   createTask(async () => {
   *     for (;;) { await queue.get(); queue.taskDone(); }
   *   });
   *   await queue.join();
   *   console.log('all processed');
   * });
   * ```
   */
  join(options?: QueueWaitOptions): Promise<void> {
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#unfinished === 0) return RESOLVED_VOID;
    return this.#joinSlowly(signal);
  }

  async #joinSlowly(signal: AbortSignal | undefined): Promise<void> {
    const joiner = new Waiter<undefined>(this.#joinSource, this.#joiners, signal);
    this.#joiners.push(joiner);
    try {
      await joiner;
    } finally {
      this.#joiners.remove(joiner);
      joiner.finish();
    }
  }

  /**
   * Shuts the queue down (Python 3.13): blocked and later `put()`s throw
   * {@link QueueShutDown}; `get()`s return what is left, then throw it. With
   * `immediate`, the items left are dropped (each counted as done, which may
   * release `join()`) and blocked `get()`s throw at once.
   *
   * @param immediate - Drop the items still queued. @defaultValue false
   * @throws TypeError if `immediate` is not a boolean.
   * @example
   * ```ts
   * import { Queue, QueueShutDown } from '@coro/queues';
   *
   * const queue = new Queue<number>();
   * queue.putNowait(1);
   * queue.shutdown();
   * console.log(await queue.get()); // 1: drained first
   * await queue.get().catch((error) => console.log(error instanceof QueueShutDown)); // true
   * ```
   */
  shutdown(immediate = false): void {
    if (typeof immediate !== 'boolean') {
      throw new TypeError(`immediate must be a boolean; got ${describeValue(immediate)}`);
    }
    this.#shutDown = true;
    if (immediate) {
      const dropped = this.#storage.length;
      this.#storage.clear();
      this.#unfinished = Math.max(0, this.#unfinished - dropped);
      if (this.#unfinished === 0) this.#wakeAll(this.#joiners);
    }
    // Every blocked getter and putter re-checks, and throws QueueShutDown.
    this.#wakeAll(this.#getters);
    this.#wakeAll(this.#putters);
  }

  /**
   * Yields items as `get()` returns them, and ends once the queue is shut down and
   * drained. It does not call `taskDone()`: do so in the loop body if you `join()`.
   *
   * @example
   * ```ts
   * import { Queue } from '@coro/queues';
   *
   * const queue = new Queue<string>();
   * queue.putNowait('a');
   * queue.putNowait('b');
   * queue.shutdown();
   * for await (const item of queue) console.log(item); // a, then b
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      let item: T;
      try {
        item = await this.get();
      } catch (error) {
        if (error instanceof QueueShutDown) return;
        throw error;
      }
      yield item;
    }
  }

  #wakeNext(list: WaiterList<Waiter<undefined>>): void {
    const waiter = list.firstPending();
    if (waiter !== undefined) waiter.grant(undefined);
  }

  #wakeAll(list: WaiterList<Waiter<undefined>>): void {
    for (;;) {
      const waiter = list.shiftPending();
      if (waiter === undefined) return;
      waiter.grant(undefined);
    }
  }

  get [Symbol.toStringTag](): string {
    const bound = this.#maxsize > 0 ? ` of ${this.#maxsize}` : '';
    const state = this.#shutDown ? ', shut down' : '';
    return `${this.kind()} ${this.qsize()}${bound} items, ${this.#getters.size} getters, ${this.#putters.size} putters${state}`;
  }
}
