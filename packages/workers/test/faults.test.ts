/*
 * Workers that crash, exit, run out of memory or are killed: the job that was running
 * fails with BrokenExecutorError, the others are not lost, the worker is replaced and
 * the pool keeps serving; shutdown leaves no thread or process behind.
 */
import { describe, expect, it } from 'vitest';
import {
  BrokenExecutorError,
  type PoolExecutor,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
} from '../src/index.js';
import { isAlive, pools, rejection, whoAmI } from './helpers.js';

describe.each(pools)('%s faults', (name, Pool) => {
  const workerKind = name === 'ThreadPoolExecutor' ? 'worker thread' : 'worker process';

  it('fails the job that calls process.exit with BrokenExecutorError and replaces the worker', async () => {
    const pool: PoolExecutor = new Pool({ maxWorkers: 1 });
    const before = await pool.submit(whoAmI);

    const error = await rejection(pool.submit(() => process.exit(3)));
    const after = await pool.submit(whoAmI);
    await pool.shutdown();

    expect(error).toBeInstanceOf(BrokenExecutorError);
    expect((error as Error).message).toBe(
      `the job's worker died while running it: its ${workerKind} exited (exit code 3)`,
    );
    expect(after).not.toBe(before);
  });

  it('fails only the crashing job of a batch: the jobs before and after it are not lost', async () => {
    const pool: PoolExecutor = new Pool({ maxWorkers: 1 });
    const job = (x: number) => (x === 3 ? process.exit(1) : x);
    // The worker is up and the job measured short: the jobs below go as one batch.
    await pool.submit(job, 0);

    const jobs = [1, 2, 3, 4].map((x) => pool.submit(job, x));
    const outcomes = await Promise.allSettled(jobs);
    await pool.shutdown();

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(BrokenExecutorError);
    expect(outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value)).toEqual([1, 2, 4]);
  });

  it('fails the job whose stray callback throws (an uncaught error kills the worker)', async () => {
    const pool: PoolExecutor = new Pool({ maxWorkers: 1 });

    const error = await rejection(
      pool.submit(
        () =>
          new Promise(() => {
            setTimeout(() => {
              throw new Error('thrown outside the job');
            }, 1);
          }),
      ),
    );
    const stillServing = await pool.submit(() => 'yes');
    await pool.shutdown();

    expect(error).toBeInstanceOf(BrokenExecutorError);
    expect(stillServing).toBe('yes');
  });

  it('replaces a worker that goes over maxMemoryMb and fails its job', async () => {
    const pool: PoolExecutor = new Pool({ maxWorkers: 1, maxMemoryMb: 32 });

    const error = await rejection(
      pool.submit(() => {
        const hoard: number[][] = [];
        for (;;) hoard.push(new Array(100_000).fill(Math.random()));
      }),
    );
    const stillServing = await pool.submit((x: number) => x * 2, 21);
    await pool.shutdown();

    expect(error).toBeInstanceOf(BrokenExecutorError);
    expect((error as Error).message).toMatch(/memory/);
    expect(stillServing).toBe(42);
  }, 60_000);

  it('fails every job with BrokenExecutorError when workers cannot start, instead of respawning forever', async () => {
    const pool: PoolExecutor = new Pool({ maxWorkers: 1, execArgv: ['--no-such-node-option'] });

    const error = await rejection(pool.submit(() => 1));
    await pool.shutdown();

    expect(error).toBeInstanceOf(BrokenExecutorError);
  });
});

describe('ProcessPoolExecutor faults', () => {
  it('fails a job whose process is killed outright, and finds it among a batch by re-running the others alone', async () => {
    const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    const job = (x: number) => (x === 2 ? process.kill(process.pid, 'SIGKILL') : x);
    await pool.submit(job, 0); // measured short: the jobs below go as one batch

    const jobs = [1, 2, 3].map((x) => pool.submit(job, x));
    const outcomes = await Promise.allSettled(jobs);
    await pool.shutdown();

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(BrokenExecutorError);
    expect((outcomes[1] as PromiseRejectedResult).reason.message).toMatch(/SIGKILL/);
  });

  it('leaves no child process alive after shutdown', async () => {
    const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
    const pids = new Set(
      await Promise.all(
        Array.from({ length: 6 }, () =>
          pool.submit(async () => {
            await new Promise((resolve) => setTimeout(resolve, 20));
            return process.pid;
          }),
        ),
      ),
    );

    await pool.shutdown();

    expect(pids.size).toBe(2);
    expect([...pids].filter(isAlive)).toEqual([]);
  });

  it('leaves no child process alive after shutdown, even with a job that would run forever', async () => {
    const pool = new ProcessPoolExecutor({ maxWorkers: 1, cancelGraceMs: 10 });
    const pid = await pool.submit(() => process.pid);
    const endless = pool.submit(() => new Promise(() => {}));

    await pool.shutdown({ wait: false, cancelFutures: true });
    endless.cancel();
    await pool.shutdown();

    expect(isAlive(pid)).toBe(false);
  });
});

describe('ThreadPoolExecutor shutdown', () => {
  it('leaves no worker thread running after shutdown', async () => {
    const pool = new ThreadPoolExecutor({ maxWorkers: 2 });
    await Promise.all(
      Array.from({ length: 4 }, () =>
        pool.submit(async () => {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }),
      ),
    );
    const workers = [...pool.workers];

    await pool.shutdown();

    // `exited` is set by each Worker's 'exit' event: Node says the thread has stopped.
    expect(workers).toHaveLength(2);
    expect(workers.every((worker) => worker.exited)).toBe(true);
    expect(pool.workers).toEqual([]);
  });
});
