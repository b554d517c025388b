/*
 * Random submits and cancellations on a small long-lived pool: every job settles exactly
 * once (its result, its error, or cancelled), nothing is left unsettled, and the pool
 * keeps serving afterwards.
 */
import { sleep } from '@coro/futures';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JobContext, ThreadPoolExecutor } from '../src/index.js';

type Operation =
  | { kind: 'value'; value: number }
  | { kind: 'throw'; value: number }
  | { kind: 'nap'; ms: number }
  | { kind: 'spin'; ms: number }
  | { kind: 'cancel'; index: number }
  | { kind: 'pause'; ms: number };

const anyOperation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('value' as const), value: fc.integer() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('throw' as const), value: fc.integer() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('nap' as const), ms: fc.integer({ min: 0, max: 3 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('spin' as const),
      ms: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('pause' as const),
      ms: fc.integer({ min: 0, max: 2 }),
    }),
  },
);

const addOne = (x: number) => x + 1;
const fail = (x: number) => {
  throw new RangeError(`failed ${x}`);
};
/** Sleeps, but stops early when cancelled (a cooperative job). */
const nap = function (this: JobContext, ms: number) {
  const signal = this.signal;
  return new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('rested'), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve('woken');
    });
  });
};
/** Busy for `ms` (ignores its signal: cancelled while it runs, its worker is replaced). */
const spin = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
  return 'spun';
};

describe('PoolExecutor under random submits and cancellations', () => {
  let pool: ThreadPoolExecutor;
  beforeAll(() => {
    pool = new ThreadPoolExecutor({ maxWorkers: 2, cancelGraceMs: 5 });
  });
  afterAll(async () => {
    await pool.shutdown();
  });

  it('settles every job exactly once and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyOperation, { maxLength: 8 }), async (operations) => {
        const jobs: { future: ReturnType<ThreadPoolExecutor['submit']>; operation: Operation }[] =
          [];
        const settledTimes: number[] = [];
        for (const operation of operations) {
          if (operation.kind === 'cancel') {
            if (jobs.length > 0) jobs[operation.index % jobs.length]?.future.cancel();
            continue;
          }
          if (operation.kind === 'pause') {
            await new Promise((resolve) => setTimeout(resolve, operation.ms));
            continue;
          }
          const future =
            operation.kind === 'value'
              ? pool.submit(addOne, operation.value)
              : operation.kind === 'throw'
                ? pool.submit(fail, operation.value)
                : operation.kind === 'nap'
                  ? pool.submit(nap, operation.ms)
                  : pool.submit(spin, operation.ms);
          const index = jobs.length;
          settledTimes.push(0);
          future.addDoneCallback(() => {
            settledTimes[index] = (settledTimes[index] ?? 0) + 1;
          });
          jobs.push({ future, operation });
        }

        await Promise.allSettled(jobs.map((job) => job.future));
        // A future already done when awaited resolves in a microtask, before the loop ran
        // its done callbacks: a loop timer comes after them.
        await sleep(1);

        for (const { future, operation } of jobs) {
          if (future.cancelled()) continue;
          if (operation.kind === 'value') expect(future.result()).toBe(operation.value + 1);
          if (operation.kind === 'throw') {
            expect((future.exception() as Error).message).toBe(`failed ${operation.value}`);
          }
          if (operation.kind === 'nap') expect(future.result()).toBe('rested');
          if (operation.kind === 'spin') expect(future.result()).toBe('spun');
        }
        expect(settledTimes.every((times) => times === 1)).toBe(true);
        expect(pool.unsettledCount).toBe(0);
        expect(await pool.submit(addOne, 1)).toBe(2);
      }),
      { numRuns: 1_000, seed: 20_240_611 },
    );
  }, 180_000);
});

type TinyOperation =
  | { kind: 'submit'; value: number }
  | { kind: 'cancel'; index: number }
  | { kind: 'microtask' }
  | { kind: 'macrotask' };

const anyTinyOperation: fc.Arbitrary<TinyOperation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('submit' as const), value: fc.integer() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'microtask' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'macrotask' as const }) },
);

describe('ThreadPoolExecutor under many tiny jobs and random cancels', () => {
  let pool: ThreadPoolExecutor;
  beforeAll(() => {
    pool = new ThreadPoolExecutor({ maxWorkers: 1 });
  });
  afterAll(async () => {
    await pool.shutdown();
  });

  it('a job cancelled after it was handed to a worker but before it started leaves its function usable there (issue 11 case 12)', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(anyTinyOperation, { maxLength: 12 }), async (operations) => {
        // A function this worker has never seen: its first job carries its source.
        const offset = ++round;
        const addOffset = new Function('x', `return x + ${offset};`) as (x: number) => number;
        const jobs: { future: ReturnType<ThreadPoolExecutor['submit']>; value: number }[] = [];
        for (const operation of operations) {
          if (operation.kind === 'submit') {
            jobs.push({ future: pool.submit(addOffset, operation.value), value: operation.value });
          } else if (operation.kind === 'cancel') {
            if (jobs.length > 0) jobs[operation.index % jobs.length]?.future.cancel();
          } else if (operation.kind === 'microtask') {
            await null; // the pool dispatches in a microtask: the job is now in the worker
          } else {
            await new Promise((resolve) => setImmediate(resolve));
          }
        }

        await Promise.allSettled(jobs.map((job) => job.future));

        for (const { future, value } of jobs) {
          if (!future.cancelled()) expect(future.result()).toBe(value + offset);
        }
        expect(await pool.submit(addOffset, 1)).toBe(1 + offset);
      }),
      {
        numRuns: 1_000,
        // What fast-check found first: the function's first job, revoked before its
        // worker started it, took the function's source with it.
        examples: [
          [[{ kind: 'submit', value: 0 }, { kind: 'macrotask' }, { kind: 'cancel', index: 0 }]],
        ],
      },
    );
  }, 180_000);
});
