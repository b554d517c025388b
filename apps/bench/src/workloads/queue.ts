import { createTask, gather, run } from '@coro/futures';
import { Queue } from '@coro/queues';
import { heapUsedAfterGc, now, perSecond } from '../measure.js';
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
  targets: [{ kind: 'ratio', peer: 'uvloop', atLeast: 3 }],
  coro: (size) => coroQueue(size, 1),
  node: (size) => nodeQueue(size, 1),
};

/** 10 producers + 10 consumers, same total. Python twin: python/queue-10x10.py. */
export const queue10x10: Workload = {
  name: 'queue-10x10',
  unit: 'ops/s',
  summary: '10 producers + 10 consumers, items through Queue({ maxsize: 100 }) under run()',
  defaultSize: 1_000_000,
  targets: [{ kind: 'ratio', peer: 'uvloop', atLeast: 3 }],
  coro: (size) => coroQueue(size, 10),
  node: (size) => nodeQueue(size, 10),
};

/**
 * Heap growth over a long run: `size` items (10,000,000) through one
 * `Queue({ maxsize: 100 })`, 1 producer + 1 consumer. heapUsed after a full GC is read
 * once the queue and both tasks exist and again once every item went through (the
 * queue and the tasks still referenced); the figure is after − before, in bytes, and
 * stays flat (near 0) if the queue keeps nothing per item. Node peers only.
 */
export const queueMemory: Workload = {
  name: 'queue-memory',
  unit: 'bytes',
  unitLabel: 'B heap growth (lower is better)',
  signed: true,
  summary: 'heap growth after GC over 10,000,000 items through Queue({ maxsize: 100 }), 1x1',
  defaultSize: 10_000_000,
  nodeFlags: ['--expose-gc'],

  coro(size) {
    return run(async () => {
      const queue = new Queue<number>({ maxsize: 100 });
      let go: () => void = () => {};
      const start = new Promise<void>((resolve) => {
        go = resolve;
      });
      const producer = createTask(async () => {
        await start;
        for (let i = 0; i < size; i++) await queue.put(i);
      });
      const consumer = createTask(async () => {
        await start;
        for (let i = 0; i < size; i++) await queue.get();
      });
      const before = heapUsedAfterGc();
      go();
      await gather([producer, consumer]);
      const after = heapUsedAfterGc();
      report(before, after);
      return after - before;
    });
  },

  async node(size) {
    const queue = new FloorQueue<number>(100);
    let go: () => void = () => {};
    const start = new Promise<void>((resolve) => {
      go = resolve;
    });
    const producer = (async () => {
      await start;
      for (let i = 0; i < size; i++) await queue.put(i);
    })();
    const consumer = (async () => {
      await start;
      for (let i = 0; i < size; i++) await queue.get();
    })();
    const before = heapUsedAfterGc();
    go();
    await Promise.all([producer, consumer]);
    const after = heapUsedAfterGc();
    report(before, after);
    return after - before;
  },
};

/** The two readings, on stderr (stdout carries the one measurement). */
function report(before: number, after: number): void {
  if (process.env.CORO_BENCH_VERBOSE)
    console.error(`heap before ${before} B, after ${after} B, growth ${after - before} B`);
}
