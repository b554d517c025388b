import { afterAll, beforeAll, expect, it } from 'vitest';
import { QueueExecutor } from '../src/index.js';
import { killWorker, newQueue, type RedisServer, startRedis, startWorker } from './helpers.js';

let redis: RedisServer;
beforeAll(async () => { redis = await startRedis(); });
afterAll(async () => { await redis?.stop(); });

it('smoke', async () => {
  const queue = newQueue('smoke');
  const worker = await startWorker(redis, queue);
  const executor = new QueueExecutor({ queue, connection: redis.url });
  expect(await executor.submit('double', 21)).toBe(42);
  await executor.shutdown();
  await killWorker(worker);
});
