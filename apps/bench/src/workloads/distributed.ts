import { run } from '@coro/futures';
import type { Queue, QueueEvents } from 'bullmq';
import {
  bullmqWorker,
  type Cluster,
  coroWorker,
  jobsModule,
  percentile,
  startCluster,
  WORKER_CONCURRENCY,
  workersOf,
} from '../distributed/cluster.js';
import { now } from '../measure.js';
import type { Workload } from '../workload.js';

/*
 * @coro/distributed against raw BullMQ (the floor: a Queue with addBulk, plain Workers
 * with the same concurrency, results through QueueEvents), Dask's LocalCluster and
 * Celery with a Redis broker (python/distributed*.py). Each sample starts its own
 * redis-server and worker processes (not timed), warms up, then times the jobs and
 * checks every result.
 */

const WORKER_VARIANTS = ['1 worker', '2 workers', '4 workers'] as const;
const WARM_UP = 200;

function coroCluster(workers: number): Promise<Cluster> {
  return startCluster(
    workers,
    (url) => [
      coroWorker,
      '--redis',
      url,
      '--queue',
      'bench',
      '--module',
      jobsModule,
      '--concurrency',
      String(WORKER_CONCURRENCY),
    ],
    /coro-worker ready/,
  );
}

function bullmqCluster(workers: number): Promise<Cluster> {
  return startCluster(
    workers,
    (url) => [bullmqWorker, url, 'bench', String(WORKER_CONCURRENCY)],
    /bullmq-worker ready/,
  );
}

/**
 * @coro/distributed and BullMQ (with its Redis client) are loaded by the samples that
 * use them, not by every runner: loaded at start they grew every other workload's heap
 * enough that a major GC fell inside short timed windows (`cancel`: 10,000 cancels in
 * about 100 ms), and only for the peers whose allocation brought it on.
 */
const loadExecutor = async () => (await import('@coro/distributed')).QueueExecutor;
const loadBullmq = () => import('bullmq');

function check(results: number[], from: number): void {
  results.forEach((value, index) => {
    if (value !== 2 * (from + index)) throw new Error(`job ${index} returned ${value}`);
  });
}

/** `size` jobs through a QueueExecutor, all submitted at once, awaited with Promise.all. */
async function coroThroughput(size: number, workers: number): Promise<number> {
  const QueueExecutor = await loadExecutor();
  const cluster = await coroCluster(workers);
  try {
    return await run(async () => {
      await using executor = new QueueExecutor({ queue: 'bench', connection: cluster.url });
      const submitAll = (from: number, count: number) =>
        Promise.all(
          Array.from({ length: count }, (_, i) => executor.submit<number>('double', from + i)),
        );
      await submitAll(0, WARM_UP);
      const start = now();
      const results = await submitAll(WARM_UP, size);
      const seconds = (now() - start) / 1000;
      check(results, WARM_UP);
      return size / seconds;
    });
  } finally {
    await cluster.stop();
  }
}

/**
 * The raw floor's queue and event reader, set up as a QueueExecutor sets up its own: the
 * event stream keeps 200,000 entries (BullMQ's default, 10,000, is 2,500 jobs' events: a
 * reader that falls further behind loses completions), and the reader starts at the
 * stream's beginning (the sample's redis-server is new), not at the first entry written
 * after its blocking read reached Redis, which may come after the first completions. A
 * sample that lost a completion waited for it until the harness's timeout and was
 * dropped: only the samples whose reader kept up were counted.
 */
async function bullmqClient(url: string): Promise<{ queue: Queue; events: QueueEvents }> {
  const { Queue, QueueEvents } = await loadBullmq();
  const queue = new Queue('bench', {
    connection: { url },
    streams: { events: { maxLen: 200_000 } },
  });
  const events = new QueueEvents('bench', { connection: { url }, lastEventId: '0-0' });
  return { queue, events };
}

/** The floor: Queue.addBulk, results counted from QueueEvents' completed events. */
async function bullmqThroughput(size: number, workers: number): Promise<number> {
  const cluster = await bullmqCluster(workers);
  const { queue, events } = await bullmqClient(cluster.url);
  try {
    await events.waitUntilReady();
    const results = new Map<string, number>();
    let expected = 0;
    let done: () => void = () => {};
    events.on('completed', ({ jobId, returnvalue }) => {
      results.set(jobId, returnvalue as unknown as number);
      if (results.size === expected) done();
    });
    const batch = async (from: number, count: number) => {
      results.clear();
      expected = count;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const jobs = await queue.addBulk(
        Array.from({ length: count }, (_, i) => ({ name: 'double', data: { args: [from + i] } })),
      );
      await finished;
      check(
        jobs.map((job) => results.get(job.id as string) as number),
        from,
      );
    };
    await batch(0, WARM_UP);
    const start = now();
    await batch(WARM_UP, size);
    return size / ((now() - start) / 1000);
  } finally {
    await events.close();
    await queue.close();
    await cluster.stop();
  }
}

export const distributed: Workload = {
  name: 'distributed',
  unit: 'ops/s',
  summary:
    'tiny jobs (x → 2x) from one client through Redis to 1, 2 or 4 worker processes, all submitted at once; jobs/s end to end',
  defaultSize: 10_000,
  sizeLabel: 'jobs',
  unitLabel: 'jobs/s',
  peers: [
    { peer: 'coro', variants: WORKER_VARIANTS },
    { peer: 'node', variants: WORKER_VARIANTS },
    { peer: 'python', variants: ['dask', 'celery'] },
  ],
  targets: [{ kind: 'ratio', peer: 'node', atLeast: 0.9, variant: '2 workers' }],
  coro: (size, variant) => coroThroughput(size, workersOf(variant)),
  node: (size, variant) => bullmqThroughput(size, workersOf(variant)),
};

/** One job at a time: per-job latency (ms) as round trips per second, p50 and p99. */
function asRoundTrips(latenciesMs: number[]): Record<string, number> {
  const sorted = latenciesMs.sort((a, b) => a - b);
  return { p50: 1000 / percentile(sorted, 50), p99: 1000 / percentile(sorted, 99) };
}

async function coroLatency(size: number): Promise<Record<string, number>> {
  const QueueExecutor = await loadExecutor();
  const cluster = await coroCluster(2);
  try {
    return await run(async () => {
      await using executor = new QueueExecutor({ queue: 'bench', connection: cluster.url });
      for (let i = 0; i < 50; i++) await executor.submit('double', i);
      const latencies: number[] = [];
      for (let i = 0; i < size; i++) {
        const start = now();
        const value = await executor.submit<number>('double', i);
        latencies.push(now() - start);
        if (value !== 2 * i) throw new Error(`job ${i} returned ${value}`);
      }
      return asRoundTrips(latencies);
    });
  } finally {
    await cluster.stop();
  }
}

async function bullmqLatency(size: number): Promise<Record<string, number>> {
  const cluster = await bullmqCluster(2);
  const { queue, events } = await bullmqClient(cluster.url);
  try {
    await events.waitUntilReady();
    const once = async (i: number) => {
      const job = await queue.add('double', { args: [i] });
      const value = await job.waitUntilFinished(events);
      if (value !== 2 * i) throw new Error(`job ${i} returned ${value}`);
    };
    for (let i = 0; i < 50; i++) await once(i);
    const latencies: number[] = [];
    for (let i = 0; i < size; i++) {
      const start = now();
      await once(i);
      latencies.push(now() - start);
    }
    return asRoundTrips(latencies);
  } finally {
    await events.close();
    await queue.close();
    await cluster.stop();
  }
}

export const distributedLatency: Workload = {
  name: 'distributed-latency',
  unit: 'ops/s',
  summary:
    'one tiny job at a time through Redis to 2 worker processes; round trips/s at the p50 and p99 latency (1000 / ms)',
  defaultSize: 500,
  sizeLabel: 'jobs',
  unitLabel: 'trips/s',
  peers: [{ peer: 'coro' }, { peer: 'node' }, { peer: 'python', variants: ['dask', 'celery'] }],
  // The target: coro's p50 latency at most 1.2 × raw BullMQ's.
  targets: [{ kind: 'ratio', peer: 'node', atLeast: 1 / 1.2, variant: 'p50' }],
  coro: coroLatency,
  node: bullmqLatency,
};
