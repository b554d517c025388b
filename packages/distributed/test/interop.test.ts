/*
 * The wire format (src/wire.ts) with BullMQ alone on the other side: a plain BullMQ
 * Worker serves the jobs a QueueExecutor submits, and a coro worker serves the jobs a
 * plain BullMQ Queue adds.
 */
import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueExecutor } from '../src/index.js';
import { killWorker, newQueue, type RedisServer, startRedis, startWorker } from './helpers.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

describe('a plain BullMQ Worker (no coro)', () => {
  it('serves the jobs a QueueExecutor submits: job name, { args }, result, error', async () => {
    const queue = newQueue('plain-worker');
    const seen: unknown[] = [];
    const worker = new Worker(
      queue,
      async (job) => {
        seen.push({ name: job.name, data: job.data });
        if (job.name === 'reject')
          throw new TypeError(`plain worker says no to ${job.data.args[0]}`);
        return job.data.args[0] * 2;
      },
      { connection: { url: redis.url } },
    );
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      expect(await executor.submit('double', 21)).toBe(42);
      const error = await executor.submit('reject', 'tea').then(
        () => null,
        (reason: unknown) => reason as Error,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toBe('plain worker says no to tea');
      expect(error?.stack).toMatch(/^TypeError: plain worker says no to tea\n\s+at /);
      expect(seen).toEqual([
        { name: 'double', data: { args: [21] } },
        { name: 'reject', data: { args: ['tea'] } },
      ]);
    } finally {
      await executor.shutdown();
      await worker.close();
    }
  });
});

describe('a coro worker', () => {
  it('serves the jobs a plain BullMQ Queue adds', async () => {
    const queue = newQueue('plain-queue');
    const coroWorker = await startWorker(redis, queue);
    const producer = new Queue(queue, { connection: { url: redis.url } });
    const events = new QueueEvents(queue, { connection: { url: redis.url } });
    try {
      await events.waitUntilReady();
      const doubled = await producer.add('double', { args: [21] });
      const failed = await producer.add('fail', { args: ['size must be positive'] });
      const noData = await producer.add('whoAmI', undefined);

      expect(await doubled.waitUntilFinished(events)).toBe(42);
      await expect(failed.waitUntilFinished(events)).rejects.toThrow('size must be positive');
      expect(await noData.waitUntilFinished(events)).toBe(coroWorker.pid);
      const record = await producer.getJob(failed.id as string);
      expect(record?.failedReason).toBe('size must be positive');
      expect(record?.stacktrace?.at(-1)).toMatch(/^RangeError: size must be positive\n\s+at /);
    } finally {
      await events.close();
      await producer.close();
      await killWorker(coroWorker);
    }
  });
});
