import { CancelledError, createTask, gather, sleep, taskGroup } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { BoundedSemaphore, Semaphore } from '../src/index.js';
import { runVirtual } from './helpers.js';

describe('Semaphore', () => {
  it('is locked at value 0 and counts permits (test_initial_value_zero, test_semaphore)', async () => {
    expect(new Semaphore(0).locked()).toBe(true);
    const semaphore = new Semaphore();
    expect(semaphore.locked()).toBe(false);
    await semaphore.acquire();
    expect(semaphore.locked()).toBe(true);
    semaphore.release();
    expect(semaphore.locked()).toBe(false);
  });

  it('rejects a negative or fractional value with a RangeError naming value', () => {
    expect(() => new Semaphore(-1)).toThrow(
      new RangeError('value must be an integer >= 0; got -1'),
    );
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    expect(() => new Semaphore('2' as never)).toThrow(TypeError);
  });

  it('grows past its initial value on release() without an acquire (test_release_no_waiters)', async () => {
    const semaphore = new Semaphore(0);
    semaphore.release();
    semaphore.release();
    await semaphore.acquire();
    await semaphore.acquire();
    expect(semaphore.locked()).toBe(true);
  });

  it('wakes the first live waiter when earlier ones were cancelled (test_acquire_cancel_before_awoken)', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(0);
      const [t1, t2, t3, t4] = [1, 2, 3, 4].map(() => createTask(() => semaphore.acquire()));
      await sleep(0);

      t1?.cancel();
      t2?.cancel();
      semaphore.release();
      await sleep(0);
      await sleep(0);

      expect(t3?.done()).toBe(true);
      expect(t4?.done()).toBe(false);
      t4?.cancel();
      await sleep(0);
    });
  });

  it('does not hang when the first waiter is cancelled as a permit arrives (test_acquire_hang)', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(0);
      const t1 = createTask(() => semaphore.acquire());
      const t2 = createTask(() => semaphore.acquire());
      await sleep(0);

      t1.cancel();
      semaphore.release();
      await sleep(0);
      await sleep(0);

      expect(semaphore.locked()).toBe(true);
      expect(t2.done()).toBe(true);
    });
  });

  it('gives the permit back when a waiter is cancelled after being granted one (DESIGN §4)', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(0);
      const t1 = createTask(() => semaphore.acquire());
      const t2 = createTask(() => semaphore.acquire());
      await sleep(0);

      semaphore.release(); // grants t1
      t1.cancel(); // before t1 resumes
      await expect(t1).rejects.toBeInstanceOf(CancelledError);

      await expect(t2).resolves.toBe(true);
      expect(semaphore.locked()).toBe(true);
    });
  });

  it('serves acquirers in FIFO order across rounds (test_acquire_fifo_order)', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(1);
      const result: string[] = [];
      const worker = (tag: string) => async () => {
        for (const round of [1, 2]) {
          await semaphore.acquire();
          result.push(`${tag}_${round}`);
          await sleep(10);
          semaphore.release();
        }
      };
      await taskGroup(async (group) => {
        for (const tag of ['c1', 'c2', 'c3']) group.createTask(worker(tag));
      });
      expect(result).toEqual(['c1_1', 'c2_1', 'c3_1', 'c1_2', 'c2_2', 'c3_2']);
    });
  });

  it('keeps FIFO order when released twice at once (test_acquire_fifo_order_2)', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(1);
      const result: number[] = [];
      const t1 = createTask(async () => {
        await semaphore.acquire();
        result.push(1);
      });
      const t2 = createTask(async () => {
        await semaphore.acquire();
        result.push(2);
        semaphore.release();
        await semaphore.acquire();
        result.push(4);
      });
      const t3 = createTask(async () => {
        await semaphore.acquire();
        result.push(3);
      });
      await sleep(0);

      semaphore.release();
      semaphore.release();
      await gather([t1, t2, t3]);

      expect(result).toEqual([1, 2, 3, 4]);
    });
  });

  it('limits concurrency in runExclusive() to its value', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(2);
      let running = 0;
      let peak = 0;
      const job = () =>
        semaphore.runExclusive(async () => {
          peak = Math.max(peak, ++running);
          await sleep(10);
          running--;
        });
      await gather(Array.from({ length: 6 }, () => createTask(job)));
      expect(peak).toBe(2);
      expect(semaphore.locked()).toBe(false);
    });
  });

  it('frees its place in line when the AbortSignal fires', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(0);
      const controller = new AbortController();
      const first = semaphore.acquire({ signal: controller.signal });
      const second = createTask(() => semaphore.acquire());
      await sleep(0);

      controller.abort(new Error('stop'));
      await expect(first).rejects.toThrow('stop');
      semaphore.release();

      await expect(second).resolves.toBe(true);
    });
  });

  it('gives a permit back at the end of an `await using` block', async () => {
    const semaphore = new Semaphore(1);
    {
      await using permit = await semaphore.hold();
      expect(permit.released()).toBe(false);
      expect(semaphore.locked()).toBe(true);
    }
    expect(semaphore.locked()).toBe(false);
  });

  it('describes a waiter for the call graph', async () => {
    await runVirtual(async () => {
      const semaphore = new Semaphore(0);
      const waiting = createTask(() => semaphore.acquire(), { name: 'w' });
      await sleep(0);
      expect(waiting.describe()).toBe(
        "Task 'w' waiting for Semaphore.acquire: 0 permits free, 1 waiting",
      );
      waiting.cancel();
    });
  });
});

describe('BoundedSemaphore', () => {
  it('throws a RangeError when released more times than acquired (test_release_not_acquired)', async () => {
    const semaphore = new BoundedSemaphore(1);
    expect(() => semaphore.release()).toThrow(
      new RangeError('BoundedSemaphore released too many times: it already holds its 1 permit'),
    );
    await semaphore.acquire();
    semaphore.release();
    expect(() => semaphore.release()).toThrow(RangeError);
  });
});
