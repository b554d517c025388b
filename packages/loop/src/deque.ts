/*
 * Deque: a double-ended queue on a power-of-two ring buffer.
 *
 * Invariants
 *   1. `slots.length` is a power of two and `mask === slots.length - 1`.
 *   2. The items are slots[head], slots[(head + 1) & mask], … for `length` items;
 *      every other slot is empty (a hole, or `undefined` once an item left it), so
 *      a popped item can be collected.
 *   3. Every operation is O(1) amortised: the ring doubles when full and never
 *      shifts or splices an array.
 *
 * Why: the ready queue, waiter lists and queue storage of every coro package pop
 * from the front millions of times a second; `Array.prototype.shift()` is O(n)
 * once an array leaves V8's fast path. Tested by test/deque.test.ts and
 * test/deque.property.test.ts.
 */

const INITIAL_CAPACITY = 16;

/**
 * `capacity` empty slots: a holey array, not `new Array(n).fill()`. On Node 24 the
 * `fill` of a large array (the ready queue growing in the middle of a burst of tasks)
 * set off "dependent prototype chain changed" deopts of some twenty hot functions at
 * once (the loop's and the Redis client's, in @coro/distributed's bench); a hole reads
 * as `undefined`, which is all a free slot needs (invariant 2).
 */
function emptySlots<T>(capacity: number): (T | undefined)[] {
  return new Array<T | undefined>(capacity);
}

/**
 * A double-ended queue on a growable ring buffer: O(1) push and pop at both ends.
 * The ready queue of every loop and the waiter lists of `@coro/sync` and
 * `@coro/queues` are Deques.
 *
 * @example
 * ```ts
 * import { Deque } from '@coro/loop';
 *
 * const jobs = new Deque<string>();
 * jobs.push('b');
 * jobs.unshift('a');
 * console.log(jobs.shift(), jobs.pop(), jobs.length); // a b 0
 * ```
 */
export class Deque<T> {
  #slots: (T | undefined)[];
  #mask: number;
  #head = 0;
  #length = 0;

  constructor(items?: Iterable<T>) {
    this.#slots = emptySlots<T>(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
    if (items !== undefined) for (const item of items) this.push(item);
  }

  /** How many items the deque holds. */
  get length(): number {
    return this.#length;
  }

  /** Adds `item` at the back. */
  push(item: T): void {
    if (this.#length === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** Adds `item` at the front. */
  unshift(item: T): void {
    if (this.#length === this.#slots.length) this.#grow();
    this.#head = (this.#head - 1) & this.#mask;
    this.#slots[this.#head] = item;
    this.#length++;
  }

  /** Removes and returns the front item, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#slots[this.#head];
    this.#slots[this.#head] = undefined; // let it be collected
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Removes and returns the back item, or `undefined` when empty. */
  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    const index = (this.#head + this.#length - 1) & this.#mask;
    const item = this.#slots[index];
    this.#slots[index] = undefined;
    this.#length--;
    return item;
  }

  /** The front item without removing it, or `undefined` when empty. */
  peekFront(): T | undefined {
    return this.#length === 0 ? undefined : this.#slots[this.#head];
  }

  /** The back item without removing it, or `undefined` when empty. */
  peekBack(): T | undefined {
    return this.#length === 0
      ? undefined
      : this.#slots[(this.#head + this.#length - 1) & this.#mask];
  }

  /** The item `index` places from the front (0 is the front), or `undefined` out of range. */
  at(index: number): T | undefined {
    if (index < 0) index += this.#length;
    if (index < 0 || index >= this.#length) return undefined;
    return this.#slots[(this.#head + index) & this.#mask];
  }

  /** Removes every item. */
  clear(): void {
    this.#slots = emptySlots<T>(INITIAL_CAPACITY);
    this.#mask = INITIAL_CAPACITY - 1;
    this.#head = 0;
    this.#length = 0;
  }

  /** Yields the items front to back. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.#slots[(this.#head + i) & this.#mask] as T;
  }

  #grow(): void {
    const old = this.#slots;
    const capacity = old.length * 2;
    const slots = emptySlots<T>(capacity);
    for (let i = 0; i < this.#length; i++) slots[i] = old[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
