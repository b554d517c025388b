/*
 * What only the process pool does: jobs run in other processes, arguments are copied
 * (a transfer list is accepted and ignored), a job's console output reaches the parent's.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ProcessPoolExecutor } from '../src/index.js';
import { fileAppears, isAlive, scratchDirectory, spinForever } from './helpers.js';

describe('ProcessPoolExecutor', () => {
  let pool: ProcessPoolExecutor;
  beforeAll(() => {
    pool = new ProcessPoolExecutor({ maxWorkers: 2 });
  });
  afterAll(async () => {
    await pool.shutdown();
  });

  it('runs jobs in child processes of this one', async () => {
    const [pid, parent] = await pool.submit(() => [process.pid, process.ppid]);

    expect(pid).not.toBe(process.pid);
    expect(parent).toBe(process.pid);
  });

  it('copies a buffer even when it is in the transfer list (processes share no memory)', async () => {
    const bytes = new Uint8Array(8).fill(2);

    const length = await pool.submitWith(
      { transfer: [bytes.buffer] },
      (b: Uint8Array) => b.length,
      bytes,
    );

    expect(length).toBe(8);
    expect(bytes.byteLength).toBe(8);
  });

  it('passes the environment given in options', async () => {
    const custom = new ProcessPoolExecutor({
      maxWorkers: 1,
      env: { ...process.env, CORO_TEST_FLAVOUR: 'plum' },
    });

    const flavour = await custom.submit(() => process.env.CORO_TEST_FLAVOUR);
    await custom.shutdown();

    expect(flavour).toBe('plum');
  });

  it('runs many tiny jobs, in batches, each with its own result', async () => {
    const jobs = Array.from({ length: 2_000 }, (_, i) => pool.submit((x: number) => x + 1, i));

    const results = await Promise.all(jobs);

    expect(results).toEqual(Array.from({ length: 2_000 }, (_, i) => i + 1));
  });

  it('shutdown() stops a child still running a cancelled job once cancelGraceMs has passed, not after a fixed 5 s (issue 11 case 8)', async () => {
    const graceMs = 50;
    const single = new ProcessPoolExecutor({ maxWorkers: 1, cancelGraceMs: graceMs });
    const scratch = scratchDirectory();
    const marker = join(scratch.path, 'started');
    const pid = await single.submit(() => process.pid);
    const spinning = single.submit(spinForever, marker);
    await fileAppears(marker);
    // The pool's timers run on a fake clock from here: only the time we let pass passes.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      spinning.cancel();
      const closed = single.shutdown();

      vi.advanceTimersByTime(graceMs); // the grace period, and not a millisecond more
      await closed; // the child exits: killed when its grace ran out

      expect(spinning.cancelled()).toBe(true);
      expect(isAlive(pid)).toBe(false);
    } finally {
      vi.useRealTimers();
      scratch.remove();
    }
  });
});
