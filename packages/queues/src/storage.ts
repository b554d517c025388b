import { Deque } from '@coro/loop';

/** @internal Where a queue keeps its items: the only thing its kinds differ in. */
export interface QueueStorage<T> {
  readonly length: number;
  push(item: T): void;
  take(): T;
  clear(): void;
}

/** @internal FIFO storage: a ring buffer. */
export class FifoStorage<T> implements QueueStorage<T> {
  readonly #items = new Deque<T>();
  get length(): number {
    return this.#items.length;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  take(): T {
    return this.#items.shift() as T;
  }
  clear(): void {
    this.#items.clear();
  }
}

/** @internal LIFO storage: the same ring buffer, taken from the back. */
export class LifoStorage<T> implements QueueStorage<T> {
  readonly #items = new Deque<T>();
  get length(): number {
    return this.#items.length;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  take(): T {
    return this.#items.pop() as T;
  }
  clear(): void {
    this.#items.clear();
  }
}

/** @internal A binary min-heap ordered by `compare` (Python's heapq). */
export class HeapStorage<T> implements QueueStorage<T> {
  readonly #items: T[] = [];
  readonly #compare: (a: T, b: T) => number;
  constructor(compare: (a: T, b: T) => number) {
    this.#compare = compare;
  }
  get length(): number {
    return this.#items.length;
  }
  push(item: T): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    try {
      while (index > 0) {
        const parent = (index - 1) >> 1;
        if (this.#compare(items[index] as T, items[parent] as T) >= 0) break;
        [items[index], items[parent]] = [items[parent] as T, items[index] as T];
        index = parent;
      }
    } catch (error) {
      // compare threw (items it cannot order): take the item back out, so the
      // queue is as it was; the others were ordered before, so re-pushing them works.
      items.splice(items.indexOf(item), 1);
      this.#heapify();
      throw error;
    }
  }

  #heapify(): void {
    const items = this.#items.splice(0);
    for (const item of items) this.push(item);
  }
  take(): T {
    const items = this.#items;
    const top = items[0] as T;
    const last = items.pop() as T;
    if (items.length > 0) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && this.#compare(items[left] as T, items[smallest] as T) < 0)
          smallest = left;
        if (right < items.length && this.#compare(items[right] as T, items[smallest] as T) < 0)
          smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest] as T, items[index] as T];
        index = smallest;
      }
    }
    return top;
  }
  clear(): void {
    this.#items.length = 0;
  }
}
