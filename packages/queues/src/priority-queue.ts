import { describeValue } from '@coro/loop';
import { compareNatural } from './compare.js';
import { Queue, type QueueOptions } from './queue.js';
import { HeapStorage, LifoStorage, type QueueStorage } from './storage.js';

/**
 * Options of `new PriorityQueue()`.
 *
 * @example
 * ```ts
 * import { PriorityQueue, type PriorityQueueOptions } from '@coro/queues';
 *
 * type Job = { priority: number; name: string };
 * const options: PriorityQueueOptions<Job> = { compare: (a, b) => a.priority - b.priority };
 * const jobs = new PriorityQueue<Job>(options);
 * ```
 */
export interface PriorityQueueOptions<T> extends QueueOptions {
  /**
   * Orders two items: negative if `a` comes out first. @defaultValue numbers,
   * bigints and strings by value, arrays element-wise like Python tuples
   * (`[priority, name]`); other items throw a TypeError when compared.
   */
  compare?: (a: T, b: T) => number;
}

/**
 * asyncio's PriorityQueue: `get()` returns the smallest item first, by
 * `options.compare` or, by default, like Python's tuples (`[2, 'write']` before
 * `[5, 'read']`). A binary heap; waiting works as in {@link Queue}.
 *
 * @example
 * ```ts
 * import { PriorityQueue } from '@coro/queues';
 *
 * const queue = new PriorityQueue<[number, string]>();
 * queue.putNowait([5, 'low']);
 * queue.putNowait([1, 'urgent']);
 * queue.putNowait([3, 'normal']);
 * console.log(queue.getNowait()); // [ 1, 'urgent' ]
 * ```
 */
export class PriorityQueue<T> extends Queue<T> {
  /**
   * @throws TypeError if `options.compare` is not a function; as {@link Queue} for `maxsize`.
   */
  constructor(options?: PriorityQueueOptions<T>) {
    super(options);
  }

  /** @internal */
  protected override createStorage(options: PriorityQueueOptions<T>): QueueStorage<T> {
    const compare = options.compare;
    if (compare !== undefined && typeof compare !== 'function') {
      throw new TypeError(`options.compare must be a function; got ${describeValue(compare)}`);
    }
    return new HeapStorage<T>(compare ?? compareNatural);
  }

  /** @internal */
  protected override kind(): string {
    return 'PriorityQueue';
  }
}

/**
 * asyncio's LifoQueue: `get()` returns the item put last (a stack); waiting
 * works as in {@link Queue}.
 *
 * @example
 * ```ts
 * import { LifoQueue } from '@coro/queues';
 *
 * const stack = new LifoQueue<string>();
 * stack.putNowait('first');
 * stack.putNowait('last');
 * console.log(stack.getNowait()); // last
 * ```
 */
export class LifoQueue<T> extends Queue<T> {
  /** @internal */
  protected override createStorage(_options: QueueOptions): QueueStorage<T> {
    return new LifoStorage<T>();
  }

  /** @internal */
  protected override kind(): string {
    return 'LifoQueue';
  }
}
