/*
 * How the pools deal jobs out (pool-executor, invariant 3): batches are sized per task,
 * so tiny jobs measured earlier never get a long task's jobs batched, and long jobs go
 * one at a time to whichever worker is free, never piling up in one worker while the
 * other idles. No timing is asserted: the long jobs meet in pairs (through files, so
 * threads and processes alike), which only lets them through when every pair runs on
 * two different workers.
 */

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PoolExecutor } from '../src/index.js';
import { pools, scratchDirectory } from './helpers.js';

/**
 * A long job: the `n`th to start (it claims the file `started-n` in `directory`) waits
 * until job 2⌈n/2⌉ has started too, then blocks for `blockMs`; says which worker ran it.
 * Its pair can only start on the other worker if no worker holds two of these jobs at
 * once. A pair that never meets (the dispatch is wrong) ends in 'stuck' after
 * `patienceMs`, so a broken pool fails the test rather than hanging it.
 */
function pairedJob(directory: string, blockMs: number, patienceMs: number): string {
  const fs = require('node:fs');
  const { join } = require('node:path');
  const nap = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const worker = `${process.pid}:${require('node:worker_threads').threadId}`;
  let started = 1;
  for (;;) {
    try {
      fs.writeFileSync(join(directory, `started-${started}`), '', { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
      started++;
    }
  }
  const partner = join(directory, `started-${2 * Math.ceil(started / 2)}`);
  const deadline = Date.now() + patienceMs;
  while (!fs.existsSync(partner)) {
    if (Date.now() > deadline) return 'stuck';
    nap(5);
  }
  nap(blockMs);
  return worker;
}

function countBy(values: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

describe.each(pools)('%s dispatch', (_name, Pool) => {
  let pool: PoolExecutor;
  let scratch: { path: string; remove: () => void };
  beforeEach(() => {
    scratch = scratchDirectory();
  });
  afterEach(async () => {
    await pool?.shutdown();
    scratch.remove();
  });

  it('splits long jobs queued at once evenly between the workers, even after tiny jobs were measured', async () => {
    pool = new Pool({ maxWorkers: 2 });
    // Tiny jobs first: both workers are up and a tiny task is measured short.
    const tiny = await Promise.all(
      Array.from({ length: 200 }, (_, i) => pool.submit((x: number) => x + 1, i)),
    );
    expect(tiny).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

    const ranOn = await Promise.all(
      Array.from({ length: 8 }, () => pool.submit(pairedJob, scratch.path, 100, 20_000)),
    );

    expect(ranOn).not.toContain('stuck');
    expect([...countBy(ranOn).values()]).toEqual([4, 4]);
  }, 120_000);

  it('keeps long jobs apart when they are queued between tiny ones', async () => {
    pool = new Pool({ maxWorkers: 2 });
    const addOne = (x: number) => x + 1;
    await Promise.all(Array.from({ length: 200 }, (_, i) => pool.submit(addOne, i)));

    const jobs: PromiseLike<unknown>[] = [];
    for (let i = 0; i < 8; i++) {
      jobs.push(pool.submit(pairedJob, scratch.path, 50, 20_000), pool.submit(addOne, i));
    }
    const results = await Promise.all(jobs);

    const ranOn = results.filter((_, i) => i % 2 === 0) as string[];
    expect(ranOn).not.toContain('stuck');
    expect([...countBy(ranOn).values()]).toEqual([4, 4]);
    expect(results.filter((_, i) => i % 2 === 1)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);
});
