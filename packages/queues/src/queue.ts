/*
 * Queue: asyncio's queue, the waiting logic written once; PriorityQueue and
 * LifoQueue only change the storage.
 *
 * Invariants
 *   1. Hand-off by reservation. Items live in `storage` until taken. A put() that
 *      finds a getter waiting grants it one of the items (`getReserved` counts the
 *      granted getters that have not run yet): the getter takes an item when it
 *      runs, without re-waiting, so a hand-off costs one Future completion. A
 *      take that makes room grants the longest-waiting putter a slot
 *      (`putReserved`) the same way. The items never leave the queue before they
 *      are taken, so a getter cancelled after its grant loses nothing: its
 *      reservation goes to the next waiting getter, or lapses and the item waits
 *      at its place in the queue (DESIGN §4); putters likewise.
 *   2. Fair: `get()` takes at once only if the queue holds more items than are
 *      reserved for granted getters; otherwise it waits behind them. `put()` puts
 *      at once only if no putter waits and the room is not reserved. Items are
 *      granted while unreserved items and waiting getters both exist, so no item
 *      waits while a getter sleeps. `getNowait()`/`putNowait()` never wait, so they
 *      may go first, as in asyncio: a granted getter that then finds the queue
 *      empty waits again.
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
  readonly #getters: WaiterList<Waiter<boolean>>;
  readonly #putters: WaiterList<Waiter<boolean>>;
  readonly #joiners: WaiterList<Waiter<boolean>>;
  /** Granted getters (resp. putters) that have not run yet (invariant 1). */
  #getReserved: number;
  #putReserved: number;
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
    this.#getReserved = 0;
    this.#putReserved = 0;
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
   * // Report how full a bounded queue is, e.g. in a metrics line
   * const uploads = new Queue<string>({ maxsize: 5 });
   * uploads.putNowait('a.jpg');
   * uploads.putNowait('b.jpg');
   * console.log(`${uploads.qsize()}/${uploads.maxsize} slots used`); // 2/5 slots used
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
   * // Flush a batch once the producer has stopped: nothing left means nothing to send
   * const pending = new Queue<string>();
   * pending.putNowait('event 1');
   * const batch: string[] = [];
   * while (!pending.empty()) batch.push(pending.getNowait());
   * console.log(batch, pending.empty()); // [ 'event 1' ] true
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
    if (this.#putters.size === 0 && this.#hasFreeRoom()) {
      this.#putNow(item);
      return RESOLVED_VOID;
    }
    return this.#putSlowly(item, signal);
  }

  /** Room that no granted putter has claimed (invariant 2). */
  #hasFreeRoom(): boolean {
    return this.#maxsize === 0 || this.#storage.length + this.#putReserved < this.#maxsize;
  }

  async #putSlowly(item: T, signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (this.#shutDown) throw new QueueShutDown();
      const putter = new Waiter<boolean>(this.#putSource, this.#putters, signal);
      this.#putters.push(putter);
      let reserved: boolean;
      try {
        reserved = await putter;
      } catch (error) {
        this.#putters.remove(putter);
        putter.finish();
        if (putter.granted && putter.result()) {
          // Granted a slot, then cancelled before it ran: the slot goes to the
          // next putter (invariant 1, DESIGN §4).
          this.#putReserved--;
          this.#servePutters();
        }
        throw error;
      }
      putter.finish();
      if (reserved) this.#putReserved--;
      if (this.#shutDown) throw new QueueShutDown();
      if (!this.full()) break;
      // A putNowait() took the room first (it may, as in asyncio): wait again.
    }
    this.#putNow(item);
  }

  /**
   * Puts `item` in the queue without waiting, and grants it to the
   * longest-waiting `get()` if there is one.
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
    this.#serveGetters();
  }

  /**
   * Removes and returns an item, waiting in line while the queue is empty. A
   * `get()` cancelled (or aborted through `signal`) after it was granted leaves the
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
    if (this.#storage.length > this.#getReserved) return Promise.resolve(this.#take());
    return this.#getSlowly(signal);
  }

  async #getSlowly(signal: AbortSignal | undefined): Promise<T> {
    for (;;) {
      if (this.#shutDown && this.#storage.length === 0) throw new QueueShutDown();
      const getter = new Waiter<boolean>(this.#getSource, this.#getters, signal);
      this.#getters.push(getter);
      let reserved: boolean;
      try {
        reserved = await getter;
      } catch (error) {
        this.#getters.remove(getter);
        getter.finish();
        if (getter.granted && getter.result()) {
          // Granted an item, then cancelled before it ran: the item is still in
          // the queue; it goes to the next getter (invariant 1, DESIGN §4).
          this.#getReserved--;
          this.#serveGetters();
        }
        throw error;
      }
      getter.finish();
      if (reserved) this.#getReserved--;
      if (this.#storage.length > 0) return this.#take();
      // A getNowait() took the item first (it may, as in asyncio), or the queue
      // was shut down: check again.
    }
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
    if (this.#putters.size > 0) this.#servePutters();
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
    const joiner = new Waiter<boolean>(this.#joinSource, this.#joiners, signal);
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

  /** Grants items to waiting getters while unreserved items are left (invariant 1). */
  #serveGetters(): void {
    const getters = this.#getters;
    while (getters.size > 0 && this.#storage.length > this.#getReserved) {
      const getter = getters.shiftPending();
      if (getter === undefined) return;
      this.#getReserved++;
      getter.grant(true);
    }
  }

  /** Grants slots to waiting putters while unreserved room is left (invariant 1). */
  #servePutters(): void {
    const putters = this.#putters;
    while (putters.size > 0 && this.#hasFreeRoom()) {
      const putter = putters.shiftPending();
      if (putter === undefined) return;
      this.#putReserved++;
      putter.grant(true);
    }
  }

  /** Wakes every waiter without a grant: each checks the queue again (shutdown). */
  #wakeAll(list: WaiterList<Waiter<boolean>>): void {
    for (;;) {
      const waiter = list.shiftPending();
      if (waiter === undefined) return;
      waiter.grant(false);
    }
  }

  get [Symbol.toStringTag](): string {
    const bound = this.#maxsize > 0 ? ` of ${this.#maxsize}` : '';
    const state = this.#shutDown ? ', shut down' : '';
    return `${this.kind()} ${this.qsize()}${bound} items, ${this.#getters.size + this.#getReserved} getters, ${this.#putters.size + this.#putReserved} putters${state}`;
  }
}
