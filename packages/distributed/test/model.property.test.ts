/*
 * Many jobs with random cancellations, checked against a model: every Future settles
 * exactly once; one not cancelled resolves to its job's result; one cancelled stays
 * cancelled; and nothing is left waiting or running in Redis afterwards.
 */
import type { Future } from '@coro/futures';
import { Queue } from 'bullmq';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QueueExecutor } from '../src/index.js';
import {
  killWorker,
  newQueue,
  type RedisServer,
  startRedis,
  startWorker,
  type WorkerProcess,
} from './helpers.js';

let redis: RedisServer;
let workers: WorkerProcess[] = [];
const queue = newQueue('model');

beforeAll(async () => {
  redis = await startRedis();
  workers = await Promise.all([
    startWorker(redis, queue, ['--concurrency', '16']),
    startWorker(redis, queue, ['--concurrency', '16']),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map(killWorker));
  await redis?.stop();
});

const aJob = fc.record({
  value: fc.integer({ min: -1_000, max: 1_000 }),
  // null: never cancelled; 0: cancelled at once; else cancelled after that many ms.
  cancelAfterMs: fc.option(fc.integer({ min: 0, max: 40 }), { freq: 3 }),
});

it('settles every Future exactly once and loses nothing, whatever is cancelled (10,000 jobs)', async () => {
  const executor = new QueueExecutor({ queue, connection: redis.url });
  const inspector = new Queue(queue, { connection: { url: redis.url } });
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(aJob, { minLength: 2_500, maxLength: 2_500 }), async (specs) => {
        const settled = specs.map(() => 0);
        const jobs: Future<number>[] = specs.map((spec, index) => {
          const job = executor.submit<number>('double', spec.value);
          job.addDoneCallback(() => {
            settled[index] = (settled[index] as number) + 1;
          });
          if (spec.cancelAfterMs === 0) job.cancel();
          else if (spec.cancelAfterMs !== null) setTimeout(() => job.cancel(), spec.cancelAfterMs);
          return job;
        });
        await Promise.allSettled(jobs);
        await new Promise((resolve) => setTimeout(resolve, 60)); // late cancels and callbacks

        expect(settled.every((count) => count === 1)).toBe(true);
        specs.forEach((spec, index) => {
          const job = jobs[index] as Future<number>;
          if (job.cancelled()) expect(spec.cancelAfterMs).not.toBeNull();
          else expect(job.result()).toBe(2 * spec.value);
        });
        expect(executor.unsettledCount).toBe(0);
        const left = async () =>
          inspector.getJobCountByTypes('wait', 'active', 'delayed', 'prioritized');
        const deadline = Date.now() + 10_000;
        while ((await left()) > 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(await left()).toBe(0);
      }),
      { numRuns: 4 },
    );
  } finally {
    await executor.shutdown();
    await inspector.close();
  }
}, 120_000);
