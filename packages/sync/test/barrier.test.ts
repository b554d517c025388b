import { CancelledError, createTask, gather, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { Barrier, BrokenBarrierError } from '../src/index.js';
import { runVirtual } from './helpers.js';

describe('Barrier', () => {
  it('rejects parties below 1 with a RangeError naming parties (test_barrier_parties)', () => {
    expect(() => new Barrier(0)).toThrow(new RangeError('parties must be an integer >= 1; got 0'));
    expect(() => new Barrier(-4)).toThrow(RangeError);
    expect(new Barrier(5).parties).toBe(5);
  });

  it('releases a single party at once, twice (test_filling_one_task_twice)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(1);
      expect(await barrier.wait()).toBe(0);
      expect(await barrier.wait()).toBe(0);
      expect(barrier.nWaiting).toBe(0);
      expect(barrier.broken).toBe(false);
    });
  });

  it('counts arrivals, then releases them all with their arrival indexes (test_filling_task_by_task)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(3);
      const first = createTask(() => barrier.wait());
      await sleep(0);
      expect(barrier.nWaiting).toBe(1);
      const second = createTask(() => barrier.wait());
      await sleep(0);
      expect(barrier.nWaiting).toBe(2);
      const third = createTask(() => barrier.wait());

      expect(await gather([first, second, third])).toEqual([0, 1, 2]);
      expect(barrier.nWaiting).toBe(0);
    });
  });

  it('serves two rounds in a row (test_filling_tasks_wait_twice)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(3);
      const results: string[] = [];
      const twice = async () => {
        await barrier.wait();
        results.push('first');
        await barrier.wait();
        results.push('second');
      };
      await gather([createTask(twice), createTask(twice), createTask(twice)]);
      expect(results).toEqual(['first', 'first', 'first', 'second', 'second', 'second']);
    });
  });

  it('blocks newcomers while the previous round drains (test_blocking_tasks_while_draining)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(2);
      const round = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
      await sleep(0);
      const late = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
      expect(await gather(round)).toEqual([0, 1]);
      expect(await gather(late)).toEqual([0, 1]);
    });
  });

  it('takes a cancelled waiter out of the count without breaking (test_filling_tasks_cancel_one)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      const party = async () => {
        await barrier.wait();
        results.push(true);
      };
      const t1 = createTask(party);
      await sleep(0);
      const t2 = createTask(party);
      await sleep(0);
      expect(barrier.nWaiting).toBe(2);

      t1.cancel();
      await sleep(0);
      expect(barrier.nWaiting).toBe(1);
      await expect(t1).rejects.toBeInstanceOf(CancelledError);

      const t3 = createTask(party);
      await sleep(0);
      expect(barrier.nWaiting).toBe(2);
      await gather([t2, t3, createTask(party)]);

      expect(results).toEqual([true, true, true]);
      expect(barrier.broken).toBe(false);
    });
  });

  it('breaks the waiting tasks on reset() and is usable again (test_reset_barrier_while_tasks_waiting)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(3);
      const waiting = [createTask(() => barrier.wait()), createTask(() => barrier.wait())];
      await sleep(0);

      await barrier.reset();

      const outcomes = await gather(waiting, { returnExceptions: true });
      for (const outcome of outcomes) expect(outcome).toBeInstanceOf(BrokenBarrierError);
      expect(barrier.broken).toBe(false);
      expect(barrier.nWaiting).toBe(0);
      expect(await gather([1, 2, 3].map(() => createTask(() => barrier.wait())))).toEqual([
        0, 1, 2,
      ]);
    });
  });

  it('breaks current and later waits on abort() until reset() (test_abort_barrier)', async () => {
    await runVirtual(async () => {
      const barrier = new Barrier(2);
      const waiting = createTask(() => barrier.wait());
      await sleep(0);

      await barrier.abort();

      await expect(waiting).rejects.toThrow(BrokenBarrierError);
      expect(barrier.broken).toBe(true);
      await expect(barrier.wait()).rejects.toThrow(
        new BrokenBarrierError('the barrier is broken (aborted)'),
      );
      await barrier.reset();
      expect(barrier.broken).toBe(false);
    });
  });

  it('names BrokenBarrierError on its prototype', () => {
    const error = new BrokenBarrierError('x');
    expect(error.name).toBe('BrokenBarrierError');
    expect(error).toBeInstanceOf(Error);
  });
});
