import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryObjects } from 'node:v8';
import { CancelledError, createTask, run, TimeoutError } from '@coro/futures';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobLostError, QueueExecutor } from '../src/index.js';
import {
  appears,
  killWorker,
  newQueue,
  type RedisServer,
  scratch,
  startRedis,
  startWorker,
  type WorkerProcess,
} from './helpers.js';

let redis: RedisServer;
let workers: WorkerProcess[] = [];
let executor: QueueExecutor;
let markers: { path: string; remove: () => void };
const queue = newQueue('executor');

beforeAll(async () => {
  redis = await startRedis();
  markers = scratch();
  workers = await Promise.all([
    startWorker(redis, queue, ['--concurrency', '4']),
    startWorker(redis, queue, ['--concurrency', '4']),
  ]);
  executor = new QueueExecutor({ queue, connection: redis.url });
}, 60_000);

afterAll(async () => {
  await executor?.shutdown({ cancelFutures: true });
  await Promise.all(workers.map(killWorker));
  await redis?.stop();
  markers?.remove();
});

describe('QueueExecutor.submit', () => {
  it("resolves to the result of the workers' export", async () => {
    expect(await executor.submit('double', 21)).toBe(42);
    expect(await executor.submit('add', 2, 3)).toBe(5);
    expect(await executor.submit('echo', { nested: ['json', 1, null, true] })).toEqual({
      nested: ['json', 1, null, true],
    });
  });

  it('resolves a job that returns undefined to null (JSON has no undefined)', async () => {
    expect(await executor.submit('nothing')).toBeNull();
  });

  it('runs the jobs on the worker processes', async () => {
    const pids = await Promise.all(Array.from({ length: 16 }, () => executor.submit('whoAmI')));
    for (const pid of pids) expect(workers.map((worker) => worker.pid)).toContain(pid);
  });

  it("rejects with the worker's error: its class, message and stack", async () => {
    const error = await executor.submit('fail', 'size must be positive').then(
      () => null,
      (reason: unknown) => reason as Error,
    );
    expect(error).toBeInstanceOf(RangeError);
    expect(error?.message).toBe('size must be positive');
    expect(error?.stack).toMatch(/jobs\.mjs/);
  });

  it("keeps the name of the worker's own error class", async () => {
    await expect(executor.submit('invalid', 'no email')).rejects.toMatchObject({
      name: 'ValidationError',
      message: 'no email',
    });
  });

  it('fails with a TypeError when the result cannot travel as JSON', async () => {
    await expect(executor.submit('aDate')).rejects.toThrow(
      "the result of job 'aDate'.when must be a JSON value; got",
    );
    await expect(executor.submit('aBigInt')).rejects.toThrow(TypeError);
  });

  it('fails when the module has no such export', async () => {
    await expect(executor.submit('noSuchJob')).rejects.toThrow(
      "job name must be a function exported by the workers' module; got 'noSuchJob'",
    );
  });

  it('refuses, at submit, arguments that would not survive JSON', () => {
    expect(() => executor.submit('echo', { when: new Date() })).toThrow(
      'args[0].when must be a JSON value',
    );
    expect(() => executor.submit('echo', 1, [undefined])).toThrow(
      'args[1][0] must be a JSON value; got undefined',
    );
    expect(() => executor.submit('echo', 5n)).toThrow(TypeError);
    expect(() => executor.submit('echo', new Map())).toThrow(TypeError);
    expect(executor.unsettledCount).toBe(0);
  });

  it("refuses a function: work is named by an export of the workers' module", () => {
    expect(() => executor.submit((x: number) => x * 2, 1)).toThrow(
      "task must be the name of an export of the workers' module (a function cannot travel to another machine)",
    );
  });
});

describe('QueueExecutor cancellation', () => {
  it('cancels a running job on its worker: CancelledError at its await, its signal aborted', async () => {
    const marker = join(markers.path, 'running');
    const job = executor.submit('forever', marker);
    await appears(`${marker}.started`);

    expect(job.cancel()).toBe(true);

    expect(job.cancelled()).toBe(true);
    await appears(`${marker}.cancelled`);
    expect(readFileSync(`${marker}.cancelled`, 'utf8')).toBe('CancelledError');
    expect(existsSync(`${marker}.aborted`)).toBe(true);
  });

  it('cancels the job when the task awaiting it is cancelled', async () => {
    const marker = join(markers.path, 'awaiting');
    const outcome = await run(async () => {
      const waiter = createTask(() => executor.submit('forever', marker));
      await new Promise<void>((resolve, reject) =>
        appears(`${marker}.started`).then(resolve, reject),
      );
      waiter.cancel();
      return waiter.then(
        () => 'resolved',
        (error: unknown) => error,
      );
    });
    expect(outcome).toBeInstanceOf(CancelledError);
    await appears(`${marker}.cancelled`);
  });

  it('removes a job that is still waiting: it never runs', async () => {
    const idle = newQueue('idle');
    const producer = new QueueExecutor({ queue: idle, connection: redis.url });
    const inspector = new Queue(idle, { connection: { url: redis.url } });
    try {
      const marker = join(markers.path, 'waiting');
      const job = producer.submitWith({ jobId: 'waiting-job' }, 'forever', marker);
      await waitUntil(async () => (await inspector.getJob('waiting-job')) !== undefined);

      job.cancel();

      await waitUntil(async () => (await inspector.getJob('waiting-job')) === undefined);
      const late = await startWorker(redis, idle);
      try {
        expect(await producer.submit('double', 1)).toBe(2); // the worker took what was there
        expect(existsSync(`${marker}.started`)).toBe(false);
      } finally {
        await killWorker(late);
      }
    } finally {
      await producer.shutdown();
      await inspector.close();
    }
  });

  it('cancels the job when the submitWith signal aborts', async () => {
    const marker = join(markers.path, 'signal');
    const controller = new AbortController();
    const job = executor.submitWith({ signal: controller.signal }, 'forever', marker);
    await appears(`${marker}.started`);

    controller.abort(new Error('no longer wanted'));

    await expect(job).rejects.toThrow('no longer wanted');
    await appears(`${marker}.cancelled`);
  });
});

describe('QueueExecutor.submitWith', () => {
  it('cancels the job on the worker past its timeout, failing with TimeoutError', async () => {
    const marker = join(markers.path, 'timeout');
    const error = await executor.submitWith({ timeout: 200 }, 'forever', marker).then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("job 'forever' ran past its timeout of 200 ms");
    expect(readFileSync(`${marker}.cancelled`, 'utf8')).toBe('CancelledError');
  });

  it('retries a failing job as many times as attempts allows', async () => {
    const counter = join(markers.path, 'flaky-3');
    expect(await executor.submitWith({ attempts: 3, backoff: 10 }, 'flaky', counter, 3)).toBe(3);
  });

  it('fails with the last error once the attempts are spent', async () => {
    const counter = join(markers.path, 'flaky-5');
    await expect(executor.submitWith({ attempts: 2 }, 'flaky', counter, 5)).rejects.toThrow(
      'attempt 2 fails',
    );
  });

  it('runs a job with its jobId once, however often it is submitted', async () => {
    const counter = join(markers.path, 'once');
    const first = executor.submitWith({ jobId: 'only-once' }, 'flaky', counter, 1);
    const second = executor.submitWith({ jobId: 'only-once' }, 'flaky', counter, 1);
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(await executor.submitWith({ jobId: 'only-once' }, 'flaky', counter, 1)).toBe(1);
  });

  it('starts a delayed job after its delay, and takes a priority', async () => {
    expect(await executor.submitWith({ delay: 50, priority: 3 }, 'double', 8)).toBe(16);
  });

  it('refuses bad options', () => {
    expect(() => executor.submitWith({ attempts: 0 }, 'double', 1)).toThrow(RangeError);
    expect(() => executor.submitWith({ jobId: '42' }, 'double', 1)).toThrow(
      "options.jobId must be a string that is not an integer and has no ':'",
    );
    expect(() => executor.submitWith({ timeout: Number.NaN }, 'double', 1)).toThrow(TypeError);
  });
});

describe('QueueExecutor.future', () => {
  it('re-attaches to a job by id from another client, before and after it finished', async () => {
    const release = join(markers.path, 'release-reattach');
    const marker = join(markers.path, 'reattach');
    const first = new QueueExecutor({ queue, connection: redis.url });
    first.submitWith({ jobId: 'report-7' }, 'untilReleased', marker, release);
    const inspector = new Queue(queue, { connection: { url: redis.url } });
    await waitUntil(async () => (await inspector.getJob('report-7')) !== undefined);
    await inspector.close();
    await first.shutdown({ wait: false }); // the first client goes away

    const second = new QueueExecutor({ queue, connection: redis.url });
    try {
      const attached = second.future<number>('report-7');
      require('node:fs').writeFileSync(release, '');
      const pid = await attached;
      expect(workers.map((worker) => worker.pid)).toContain(pid);
      expect(await second.future('report-7')).toBe(pid); // finished: settles from its record
    } finally {
      await second.shutdown();
    }
  });

  it('fails with JobLostError for an id Redis does not know', async () => {
    await expect(executor.future('never-submitted')).rejects.toBeInstanceOf(JobLostError);
  });
});

describe('job ids', () => {
  it("lets BullMQ choose the id of a job submitted without one (its counter, as a plain producer's)", async () => {
    expect(await executor.submit('echo', 'id-of-its-own')).toBe('id-of-its-own');
    const inspector = new Queue(queue, { connection: { url: redis.url } });
    try {
      const finished = await inspector.getJobs(['completed']);
      const job = finished.find((each) => each.data.args?.[0] === 'id-of-its-own');
      // No id of the client's own: BullMQ's add then checks no key per job in Redis.
      expect(job?.id).toMatch(/^\d+$/);
    } finally {
      await inspector.close();
    }
  });

  it('settles every job of a large stretch, whose results come before the add has answered', async () => {
    // addBulk answers once all its adds have run; the workers finish the first jobs before.
    const values = Array.from({ length: 2_000 }, (_, i) => i);
    const results = await Promise.all(values.map((i) => executor.submit<number>('double', i)));
    expect(results).toEqual(values.map((i) => 2 * i));
    expect(executor.unsettledCount).toBe(0);
  });

  it('removes a job cancelled while its add is in flight: it never runs', async () => {
    const idle = newQueue('idle-in-flight');
    const producer = new QueueExecutor({ queue: idle, connection: redis.url });
    const inspector = new Queue(idle, { connection: { url: redis.url } });
    try {
      const marker = join(markers.path, 'in-flight');
      const job = producer.submit('forever', marker);
      await Promise.resolve(); // the stretch is flushed: its add has left, not answered
      expect(job.cancel()).toBe(true);

      await producer.shutdown(); // waits for the cancel's remove in Redis
      expect(job.cancelled()).toBe(true);
      expect(producer.unsettledCount).toBe(0);
      const counts = await inspector.getJobCounts('wait', 'active', 'completed', 'failed');
      expect(counts).toEqual({ wait: 0, active: 0, completed: 0, failed: 0 });
    } finally {
      await producer.shutdown();
      await inspector.close();
    }
  });
});

describe('finished jobs in Redis', () => {
  it("carry no retention option of their own: the worker's applies", async () => {
    expect(await executor.submitWith({ jobId: 'retention-own' }, 'double', 4)).toBe(8);
    const inspector = new Queue(queue, { connection: { url: redis.url } });
    try {
      const job = await inspector.getJob('retention-own');
      expect(job?.returnvalue).toBe(8); // kept, for future(jobId)
      expect(job?.opts.removeOnComplete).toBeUndefined();
      expect(job?.opts.removeOnFail).toBeUndefined();
    } finally {
      await inspector.close();
    }
  });

  it('are removed by a coro worker once older than an hour, whoever added them', async () => {
    const inspector = new Queue(queue, { connection: { url: redis.url } });
    const client = new Redis(redis.url);
    try {
      const twoHoursAgo = Date.now() - 2 * 3_600_000;
      await client.hset(`bull:${queue}:old-report`, {
        name: 'double',
        data: '{"args":[1]}',
        returnvalue: '2',
        timestamp: String(twoHoursAgo),
        finishedOn: String(twoHoursAgo),
      });
      await client.zadd(`bull:${queue}:completed`, twoHoursAgo, 'old-report');
      // A plain BullMQ producer's job: no options, so only the worker's retention applies.
      const added = await inspector.add('double', { args: [3] });
      expect(await executor.future(added.id as string)).toBe(6);
      expect(await inspector.getJob('old-report')).toBeUndefined();
      expect(await inspector.getJob(added.id as string)).toBeDefined(); // an hour to go
    } finally {
      client.disconnect();
      await inspector.close();
    }
  });
});

describe('the event stream consumer', () => {
  it('keeps nothing per read: a long-lived client does not grow with the jobs it ran', async () => {
    // One job at a time: every job wakes the consumer's blocking read several times.
    const liveFunctions = () => queryObjects(Function, { format: 'count' }) as number;
    for (let i = 0; i < 20; i++) await executor.submit('double', i);
    const before = liveFunctions();
    for (let i = 0; i < 300; i++) await executor.submit('double', i);
    // Each read left a pair of callbacks on a Promise that lives until shutdown.
    expect(liveFunctions() - before).toBeLessThan(300);
  });

  it("keeps none of BullMQ's Job objects alive through the Futures it returned", async () => {
    const futures = Array.from({ length: 200 }, (_, i) => executor.submit('double', i));
    await Promise.all(futures);
    const alone = executor.submit('double', 200); // a stretch of one: add(), not addBulk()
    expect(await alone).toBe(400);
    // The Futures are still held here; what they keep must not include the add's answer.
    expect(queryObjects(Job, { format: 'count' })).toBeLessThan(50);
    expect(futures.every((future) => future.done()) && alone.done()).toBe(true);
  });
});

describe('QueueExecutor.map', () => {
  it('yields the results in input order, with at most maxInFlight jobs in flight', async () => {
    const mapper = new QueueExecutor({ queue, connection: redis.url, maxInFlight: 3 });
    const results: number[] = [];
    let most = 0;
    for await (const value of mapper.map<number, number>(
      'double',
      Array.from({ length: 20 }, (_, i) => i),
    )) {
      most = Math.max(most, mapper.unsettledCount);
      results.push(value);
    }
    await mapper.shutdown();
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i));
    expect(most).toBeLessThanOrEqual(3);
  });

  it('throws a job error where its result would come, and cancels the rest', async () => {
    const seen: unknown[] = [];
    const iterate = async () => {
      for await (const value of executor.map('onlyNumbers', [1, 2, 'x', 4])) seen.push(value);
    };
    await expect(iterate()).rejects.toThrow('not a number: x');
    expect(seen).toEqual([1, 2]);
  });
});

describe('QueueExecutor.shutdown', () => {
  it('cancels the jobs no worker started with cancelFutures, and refuses new jobs', async () => {
    const idle = newQueue('idle-shutdown');
    const producer = new QueueExecutor({ queue: idle, connection: redis.url });
    const jobs = [producer.submit('double', 1), producer.submit('double', 2)];

    await producer.shutdown({ cancelFutures: true });

    expect(jobs.every((job) => job.cancelled())).toBe(true);
    expect(() => producer.submit('double', 3)).toThrow('cannot submit a job after shutdown()');
  });

  it('waits for the jobs in flight, then closes (await using)', async () => {
    let answer: ReturnType<QueueExecutor['submit']> | undefined;
    {
      await using scoped = new QueueExecutor({ queue, connection: redis.url });
      answer = scoped.submit('nap', 50, 'slept');
    }
    expect(answer.done()).toBe(true);
    expect(answer.result()).toBe('slept');
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
