import { fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { type Future, gather, run } from '@coro/futures';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '@coro/workers';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import { now } from '../measure.js';
import { benchDirectory } from '../peers.js';
import { burn } from '../pool/jobs.js';
import type { Workload } from '../workload.js';

/*
 * Pools of 2 workers, each peer given the same module of jobs (dist/pool/jobs.js) in
 * the form it takes. Every run starts its pool and waits until each worker has run a job
 * (start-up is not what is measured), then times the jobs, checks every result, and
 * shuts the pool down untimed.
 */

const WORKERS = 2;
const jobsModule = `${benchDirectory}dist/pool/jobs.js`;
const floorWorker = `${benchDirectory}dist/pool/floor-worker.js`;

type Job = 'addOne' | 'burn';

/**
 * A started pool of one peer: `run` sends a job and resolves to its result; `all`
 * awaits many (`Promise.all` unless the peer has its own way).
 */
interface Pool {
  run(job: Job, argument: number): PromiseLike<number>;
  all?(pending: PromiseLike<number>[]): PromiseLike<number[]>;
}

function awaitAll(pool: Pool, pending: PromiseLike<number>[]): PromiseLike<number[]> {
  return pool.all === undefined ? Promise.all(pending) : pool.all(pending);
}

type Kind = 'threads' | 'processes';

function requireKind(variant: string | undefined): Kind {
  if (variant !== 'threads' && variant !== 'processes') {
    throw new RangeError(`variant must be threads or processes; got ${variant}`);
  }
  return variant;
}

/**
 * coro's executors, inside `run()`; jobs named by export of the jobs module, awaited
 * together with `gather` (what a coro program does with many futures).
 */
function coroPool<T>(kind: Kind, body: (pool: Pool) => Promise<T>): Promise<T> {
  return run(async () => {
    const options = { maxWorkers: WORKERS, module: jobsModule };
    const executor =
      kind === 'threads' ? new ThreadPoolExecutor(options) : new ProcessPoolExecutor(options);
    try {
      return await body({
        run: (job, argument) => executor.submit<number>(job, argument),
        all: (pending) => gather(pending as Future<number>[]),
      });
    } finally {
      await executor.shutdown();
    }
  });
}

/**
 * The raw-Node floor: 2 worker threads or 2 forked processes, one message per job
 * (`[id, job, argument]` → `[id, result]`), jobs dealt round-robin, a resolver per job in
 * an array. No queue, no cancellation, no fault handling.
 */
async function floorPool<T>(kind: Kind, body: (pool: Pool) => Promise<T>): Promise<T> {
  const resolvers: ((result: number) => void)[] = [];
  const onReply = ([id, result]: [number, number]): void => {
    const resolve = resolvers[id]!;
    resolvers[id] = undefined as never;
    resolve(result);
  };
  const senders: ((message: [number, Job, number]) => void)[] = [];
  const stops: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < WORKERS; i++) {
    if (kind === 'threads') {
      const worker = new Worker(floorWorker);
      worker.on('message', onReply);
      senders.push((message) => worker.postMessage(message));
      stops.push(() => worker.terminate());
    } else {
      const child = fork(floorWorker, [], { serialization: 'advanced', stdio: 'inherit' });
      child.on('message', onReply as (message: unknown) => void);
      senders.push((message) => child.send(message));
      stops.push(() => {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill();
        return exited;
      });
    }
  }
  let next = 0;
  const pool: Pool = {
    run(job, argument) {
      const id = next++;
      const result = new Promise<number>((resolve) => {
        resolvers[id] = resolve;
      });
      senders[id % WORKERS]!([id, job, argument]);
      return result;
    },
  };
  try {
    return await body(pool);
  } finally {
    await Promise.all(stops.map((stop) => stop()));
  }
}

async function piscinaPool<T>(kind: Kind, body: (pool: Pool) => Promise<T>): Promise<T> {
  if (kind !== 'threads') throw new RangeError('piscina runs worker threads only');
  const piscina = new Piscina({ filename: jobsModule, minThreads: WORKERS, maxThreads: WORKERS });
  try {
    return await body({
      run: (job, argument) => piscina.run(argument, { name: job }) as Promise<number>,
    });
  } finally {
    await piscina.destroy();
  }
}

async function tinypoolPool<T>(kind: Kind, body: (pool: Pool) => Promise<T>): Promise<T> {
  const tinypool = new Tinypool({
    filename: jobsModule,
    minThreads: WORKERS,
    maxThreads: WORKERS,
    runtime: kind === 'threads' ? 'worker_threads' : 'child_process',
  });
  try {
    return await body({
      run: (job, argument) => tinypool.run(argument, { name: job }) as Promise<number>,
    });
  } finally {
    await tinypool.destroy();
  }
}

/** Runs `job` once on each worker (round-robin pools) and once more, so every worker is up. */
async function warmUp(pool: Pool): Promise<void> {
  await awaitAll(
    pool,
    Array.from({ length: WORKERS * 2 }, (_, i) => pool.run('addOne', i)),
  );
}

/** pool-tiny on one pool: `size` jobs `x + 1`, all submitted at once; jobs/s. */
async function tinyJobs(pool: Pool, size: number): Promise<number> {
  await warmUp(pool);
  const started = now();
  const pending: PromiseLike<number>[] = new Array(size);
  for (let i = 0; i < size; i++) pending[i] = pool.run('addOne', i);
  const results = await awaitAll(pool, pending);
  const seconds = (now() - started) / 1000;
  for (let i = 0; i < size; i++) {
    if (results[i] !== i + 1) throw new Error(`job ${i} returned ${results[i]}, not ${i + 1}`);
  }
  return size / seconds;
}

/** How long one pool-cpu job runs, sequentially on the main thread. */
const CPU_JOB_MS = 200;

/**
 * The iteration count that makes `burn` take about CPU_JOB_MS on this thread: doubled
 * until a run takes 20 ms or more (which also optimizes it), then scaled.
 */
function calibrate(): number {
  let iterations = 1 << 20;
  for (;;) {
    const started = now();
    burn(iterations);
    const elapsed = now() - started;
    if (elapsed >= 20) return Math.round((iterations * CPU_JOB_MS) / elapsed);
    iterations *= 2;
  }
}

/**
 * pool-cpu on one pool: `size` jobs of ~200 ms run one after another in this process,
 * then on the pool's 2 workers; the speedup is sequential time over pool time.
 */
async function cpuJobs(pool: Pool, size: number, iterations: number, sequentialMs: number) {
  await warmUp(pool);
  const expected = burn(iterations);
  const started = now();
  const results = await awaitAll(
    pool,
    Array.from({ length: size }, () => pool.run('burn', iterations)),
  );
  const parallelMs = now() - started;
  for (const result of results) {
    if (result !== expected) throw new Error(`burn returned ${result}, not ${expected}`);
  }
  return sequentialMs / parallelMs;
}

function sequential(size: number): { iterations: number; sequentialMs: number } {
  const iterations = calibrate();
  const started = now();
  for (let i = 0; i < size; i++) burn(iterations);
  return { iterations, sequentialMs: now() - started };
}

type PoolOf = <T>(kind: Kind, body: (pool: Pool) => Promise<T>) => Promise<T>;

function tinyOn(poolOf: PoolOf) {
  return (size: number, variant?: string) =>
    poolOf(requireKind(variant), (pool) => tinyJobs(pool, size));
}

function cpuOn(poolOf: PoolOf) {
  return (size: number, variant?: string) => {
    const kind = requireKind(variant);
    const { iterations, sequentialMs } = sequential(size);
    return poolOf(kind, (pool) => cpuJobs(pool, size, iterations, sequentialMs));
  };
}

/**
 * 20,000 jobs `x + 1` through a pool of 2, all submitted at once: the cost of a job's
 * round trip. Python twin: python/pool-tiny.py (concurrent.futures).
 */
export const poolTiny: Workload = {
  name: 'pool-tiny',
  unit: 'ops/s',
  unitLabel: 'jobs/s',
  summary: 'jobs x + 1 through a pool of 2 workers, all submitted at once',
  defaultSize: 20_000,
  peers: [
    { peer: 'coro', variants: ['threads', 'processes'] },
    { peer: 'node', variants: ['threads', 'processes'] },
    { peer: 'piscina', variants: ['threads'] },
    { peer: 'tinypool', variants: ['threads', 'processes'] },
    { peer: 'python', variants: ['threads', 'processes'] },
  ],
  targets: [
    { kind: 'ratio', peer: 'piscina', atLeast: 2.5, variant: 'threads' },
    { kind: 'ratio', peer: 'python', atLeast: 1, variant: 'threads' },
    { kind: 'ratio', peer: 'tinypool', atLeast: 1.5, variant: 'processes' },
  ],
  coro: tinyOn(coroPool),
  node: tinyOn(floorPool),
  piscina: tinyOn(piscinaPool),
  tinypool: tinyOn(tinypoolPool),
};

/**
 * 8 CPU-bound jobs of ~200 ms: sequential time in the process over the time on a pool of
 * 2 (ideal: 2×). Python twin: python/pool-cpu.py (ProcessPoolExecutor).
 */
export const poolCpu: Workload = {
  name: 'pool-cpu',
  unit: 'speedup',
  unitLabel: 'speedup (×)',
  summary: 'CPU-bound jobs of ~200 ms on a pool of 2, speedup over running them in sequence',
  defaultSize: 8,
  peers: [
    { peer: 'coro', variants: ['threads', 'processes'] },
    { peer: 'node', variants: ['threads', 'processes'] },
    { peer: 'piscina', variants: ['threads'] },
    { peer: 'python', variants: ['processes'] },
  ],
  targets: [{ kind: 'atLeast', value: 1.85 }],
  coro: cpuOn(coroPool),
  node: cpuOn(floorPool),
  piscina: cpuOn(piscinaPool),
};
