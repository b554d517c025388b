/*
 * Faults, each ending with "every submitted Future settles exactly once, nothing is
 * lost": a worker killed mid-job, a worker stopped with SIGTERM, Redis restarted (with
 * and without its data), Redis gone for longer than the client waits.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Future } from '@coro/futures';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobLostError, QueueExecutor, RedisConnectionError } from '../src/index.js';
import {
  appearsStartingWith,
  freePort,
  killWorker,
  newQueue,
  type RedisServer,
  scratch,
  startRedis,
  startWorker,
} from './helpers.js';

let redis: RedisServer;
let markers: { path: string; remove: () => void };
/** Short lock and stall check, so a dead worker's job moves on in about a second. */
const quickStalls = ['--lock-duration-ms', '1000', '--stalled-interval-ms', '300'];

beforeAll(async () => {
  redis = await startRedis();
  markers = scratch();
});

afterAll(async () => {
  await redis?.stop();
  markers?.remove();
});

/** Counts how often each Future settles (a done callback per Future). */
function settlements(futures: Future<unknown>[]): number[] {
  const counts = futures.map(() => 0);
  futures.forEach((future, index) => {
    future.addDoneCallback(() => {
      counts[index] = (counts[index] as number) + 1;
    });
  });
  return counts;
}

async function inRedis(queue: string, count: number): Promise<void> {
  const inspector = new Queue(queue, { connection: { url: redis.url } });
  try {
    const deadline = Date.now() + 10_000;
    while ((await inspector.getJobCountByTypes('wait', 'prioritized', 'delayed')) < count) {
      if (Date.now() > deadline) throw new Error(`${count} jobs did not reach ${queue}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await inspector.close();
  }
}

describe('a worker killed with SIGKILL mid-job', () => {
  it('has its job picked up by another worker after the stall interval', async () => {
    const queue = newQueue('killed');
    const marker = join(markers.path, 'killed');
    const release = join(markers.path, 'killed-release');
    const first = await startWorker(redis, queue, quickStalls);
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      const job = executor.submit<number>('untilReleased', marker, release);
      const counts = settlements([job]);
      await appearsStartingWith(markers.path, `killed.started.${first.pid}`);

      await killWorker(first); // kill -9: no chance to hand the job back
      writeFileSync(release, '');
      const second = await startWorker(redis, queue, quickStalls);
      try {
        expect(await job).toBe(second.pid);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(counts).toEqual([1]);
      } finally {
        await killWorker(second);
      }
    } finally {
      await executor.shutdown();
    }
  });
});

describe('a worker stopped with SIGTERM while jobs run', () => {
  it('finishes its running jobs within the grace period, then exits', async () => {
    const queue = newQueue('term-finish');
    const worker = await startWorker(redis, queue, ['--concurrency', '2']);
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      const jobs = [executor.submit('nap', 1_500, 'a'), executor.submit('nap', 1_500, 'b')];
      const counts = settlements(jobs);
      await waitForRunning(queue, 2);

      worker.child.kill('SIGTERM');

      expect(await Promise.all(jobs)).toEqual(['a', 'b']);
      expect(await worker.exited).toBe(0);
      expect(worker.lines).toContain('coro-worker: stopped');
      expect(counts).toEqual([1, 1]);
    } finally {
      await killWorker(worker);
      await executor.shutdown();
    }
  });

  it('hands back the jobs still running after the grace period; another worker runs them', async () => {
    const queue = newQueue('term-hand-back');
    const marker = join(markers.path, 'handback');
    const release = join(markers.path, 'handback-release');
    const first = await startWorker(redis, queue, ['--concurrency', '2', '--grace-ms', '100']);
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      const jobs = [
        executor.submit<number>('untilReleased', `${marker}-1`, release),
        executor.submit<number>('untilReleased', `${marker}-2`, release),
      ];
      const counts = settlements(jobs);
      await appearsStartingWith(markers.path, `handback-1.started.${first.pid}`);
      await appearsStartingWith(markers.path, `handback-2.started.${first.pid}`);

      first.child.kill('SIGTERM');

      expect(await first.exited).toBe(0);
      expect(first.lines.some((line) => /2 handed back/.test(line))).toBe(true);
      expect(jobs.some((job) => job.done())).toBe(false);
      const second = await startWorker(redis, queue, ['--concurrency', '2']);
      try {
        writeFileSync(release, '');
        expect(await Promise.all(jobs)).toEqual([second.pid, second.pid]);
        expect(counts).toEqual([1, 1]);
      } finally {
        await killWorker(second);
      }
    } finally {
      await killWorker(first);
      await executor.shutdown();
    }
  });
});

describe('a worker whose output pipe is closed', () => {
  it('keeps serving jobs when its progress line cannot be written (EPIPE)', async () => {
    const queue = newQueue('closed-stdout');
    const worker = await startWorker(redis, queue);
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      worker.child.stdout?.destroy(); // whoever read it went away
      expect(await executor.submit('double', 1)).toBe(2); // a progress line is due now

      // the progress line is written within a second of the job: let it fail to arrive
      const exited = await Promise.race([
        worker.exited.then(() => 'exited'),
        new Promise((resolve) => setTimeout(resolve, 2_500, 'running')),
      ]);

      expect(exited).toBe('running');
      expect(await executor.submit('double', 2)).toBe(4);
    } finally {
      await killWorker(worker);
      await executor.shutdown();
    }
  });
});

describe('Redis restarted while jobs are queued', () => {
  it('keeps the jobs when Redis kept its data: the client and the workers reconnect', async () => {
    const queue = newQueue('restart-kept');
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      const jobs = [1, 2, 3, 4, 5].map((n) => executor.submit<number>('double', n));
      const counts = settlements(jobs);
      await inRedis(queue, 5);

      await redis.stop({ keepData: true });
      await redis.start();

      const worker = await startWorker(redis, queue);
      try {
        expect(await Promise.all(jobs)).toEqual([2, 4, 6, 8, 10]);
        expect(counts).toEqual([1, 1, 1, 1, 1]);
      } finally {
        await killWorker(worker);
      }
    } finally {
      await executor.shutdown();
    }
  });

  it('fails the Futures of jobs Redis lost with JobLostError once it is back', async () => {
    const queue = newQueue('restart-lost');
    const executor = new QueueExecutor({ queue, connection: redis.url });
    try {
      const jobs = [1, 2, 3].map((n) => executor.submit<number>('double', n));
      const counts = settlements(jobs);
      await inRedis(queue, 3);

      await redis.stop({ keepData: false });
      await redis.start();

      for (const job of jobs) await expect(job).rejects.toBeInstanceOf(JobLostError);
      expect(counts).toEqual([1, 1, 1]);
    } finally {
      await executor.shutdown({ cancelFutures: true });
    }
  });

  it('fails the waiting Futures with RedisConnectionError when Redis stays away past connectionTimeoutMs', async () => {
    const queue = newQueue('gone');
    const executor = new QueueExecutor({ queue, connection: redis.url, connectionTimeoutMs: 500 });
    try {
      const job = executor.submit('double', 1);
      const counts = settlements([job]);
      await inRedis(queue, 1);

      await redis.stop();
      const error = await job.then(
        () => null,
        (reason: unknown) => reason,
      );

      expect(error).toBeInstanceOf(RedisConnectionError);
      expect((error as Error).message).toMatch(
        /^no connection to redis:\/\/127\.0\.0\.1:\d+ for \d+ ms$/,
      );
      expect(counts).toEqual([1]);
    } finally {
      await redis.start();
      await executor.shutdown();
    }
  });
});

describe('Redis that cannot be reached', () => {
  it('fails the Future with RedisConnectionError, and shutdown still resolves', async () => {
    const port = await freePort(); // nothing listens there
    const executor = new QueueExecutor({
      queue: 'nowhere',
      connection: `redis://127.0.0.1:${port}`,
    });
    const job = executor.submit('double', 1);
    const counts = settlements([job]);

    const error = await job.then(
      () => null,
      (reason: unknown) => reason,
    );
    await executor.shutdown();

    expect(error).toBeInstanceOf(RedisConnectionError);
    expect((error as Error).message).toMatch(`no connection to redis://127.0.0.1:${port}`);
    expect(executor.unsettledCount).toBe(0);
    expect(counts).toEqual([1]);
  });
});

async function waitForRunning(queue: string, count: number): Promise<void> {
  const inspector = new Queue(queue, { connection: { url: redis.url } });
  try {
    const deadline = Date.now() + 10_000;
    while ((await inspector.getActiveCount()) < count) {
      if (Date.now() > deadline) throw new Error(`${count} jobs did not start`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await inspector.close();
  }
}
