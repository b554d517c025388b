import { createTask, gather, run } from '@coro/futures';
import { Queue } from '@coro/queues';
import { now, perSecond } from '../measure.js';
import type { Workload } from '../workload.js';

/**
 * The raw-Node floor: a minimal bounded promise queue with a synchronous fast path
 * (an array ring, resolvers parked in arrays), the least a Node queue can cost.
 */
class FloorQueue<T> {
  readonly #items: T[] = [];
  #head = 0;
  readonly #getters: ((item: T) => void)[] = [];
  readonly #putters: (() => void)[] = [];
  readonly #maxsize: number;
  constructor(maxsize: number) {
    this.#maxsize = maxsize;
  }
  get #size(): number {
    return this.#items.length - this.#head;
  }
  put(item: T): Promise<void> | undefined {
    const getter = this.#getters.shift();
    if (getter !== undefined) {
      getter(item);
      return undefined;
    }
    if (this.#size < this.#maxsize) {
      this.#items.push(item);
      return undefined;
    }
    return new Promise<void>((resolve) => this.#putters.push(resolve)).then(() => {
      this.#items.push(item);
    });
  }
  get(): T | Promise<T> {
    if (this.#size > 0) {
      const item = this.#items[this.#head++] as T;
      if (this.#head > 1024) {
        this.#items.splice(0, this.#head);
        this.#head = 0;
      }
      this.#putters.shift()?.();
      return item;
    }
    return new Promise<T>((resolve) => this.#getters.push(resolve));
  }
}

async function coroQueue(size: number, producers: number): Promise<number> {
  const perTask = Math.floor(size / producers);
  const started = now();
  await run(async () => {
    const queue = new Queue<number>({ maxsize: 100 });
    const tasks = [];
    for (let p = 0; p < producers; p++) {
      tasks.push(
        createTask(async () => {
          for (let i = 0; i < perTask; i++) await queue.put(i);
        }),
        createTask(async () => {
          for (let i = 0; i < perTask; i++) await queue.get();
        }),
      );
    }
    await gather(tasks);
  });
  return perSecond(perTask * producers, started);
}

async function nodeQueue(size: number, producers: number): Promise<number> {
  const perTask = Math.floor(size / producers);
  const started = now();
  const queue = new FloorQueue<number>(100);
  const tasks = [];
  for (let p = 0; p < producers; p++) {
    tasks.push(
      (async () => {
        for (let i = 0; i < perTask; i++) await queue.put(i);
      })(),
      (async () => {
        for (let i = 0; i < perTask; i++) await queue.get();
      })(),
    );
  }
  await Promise.all(tasks);
  return perSecond(perTask * producers, started);
}

/** 1 producer + 1 consumer through `Queue({ maxsize: 100 })`. Python twin: python/queue-1x1.py. */
export const queue1x1: Workload = {
  name: 'queue-1x1',
  unit: 'ops/s',
  summary: '1 producer + 1 consumer, items through Queue({ maxsize: 100 }) under run()',
  defaultSize: 1_000_000,
  target: { kind: 'ratio', peer: 'uvloop', atLeast: 3 },
  coro: (size) => coroQueue(size, 1),
  node: (size) => nodeQueue(size, 1),
};

/** 10 producers + 10 consumers, same total. Python twin: python/queue-10x10.py. */
export const queue10x10: Workload = {
  name: 'queue-10x10',
  unit: 'ops/s',
  summary: '10 producers + 10 consumers, items through Queue({ maxsize: 100 }) under run()',
  defaultSize: 1_000_000,
  target: { kind: 'ratio', peer: 'uvloop', atLeast: 3 },
  coro: (size) => coroQueue(size, 10),
  node: (size) => nodeQueue(size, 10),
};
