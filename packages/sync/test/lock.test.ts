import {
  CancelledError,
  captureCallGraph,
  createTask,
  Future,
  InvalidStateError,
  sleep,
} from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { Lock } from '../src/index.js';
import { runVirtual } from './helpers.js';

describe('Lock', () => {
  it('is unlocked when created, locked after acquire(), unlocked after release()', async () => {
    const lock = new Lock();
    expect(lock.locked()).toBe(false);

    await expect(lock.acquire()).resolves.toBe(true);
    expect(lock.locked()).toBe(true);

    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('serves waiters in arrival order, one per release (test_acquire)', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      const result: number[] = [];
      const take = (n: number) => async () => {
        if (await lock.acquire()) result.push(n);
        return true;
      };
      await lock.acquire();
      const t1 = createTask(take(1));
      const t2 = createTask(take(2));
      await sleep(0);
      expect(result).toEqual([]);

      lock.release();
      await sleep(0);
      expect(result).toEqual([1]);
      await sleep(0);
      expect(result).toEqual([1]);

      const t3 = createTask(take(3));
      lock.release();
      await sleep(0);
      expect(result).toEqual([1, 2]);

      lock.release();
      await sleep(0);
      expect(result).toEqual([1, 2, 3]);
      expect([t1.result(), t2.result(), t3.result()]).toEqual([true, true, true]);
    });
  });

  it('lets no new caller barge past a woken waiter', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      const order: string[] = [];
      await lock.acquire();
      const waiting = createTask(async () => {
        await lock.acquire();
        order.push('waiter');
        lock.release();
      });
      await sleep(0);

      lock.release(); // wakes the waiter; it has not run yet
      expect(lock.locked()).toBe(false);
      const barger = lock.acquire().then(() => order.push('newcomer'));

      await waiting;
      await barger;
      expect(order).toEqual(['waiter', 'newcomer']);
    });
  });

  it('removes a cancelled acquire() from the line (test_acquire_cancel)', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const task = createTask(() => lock.acquire());
      await sleep(0);

      task.cancel();

      await expect(task).rejects.toBeInstanceOf(CancelledError);
      lock.release();
      expect(lock.locked()).toBe(false);
      await expect(lock.acquire()).resolves.toBe(true); // the fast path: nobody in line
    });
  });

  it('skips a waiter cancelled in the same iteration as the release (test_cancel_race)', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      const lockit = (blocker: Future<void> | null) => async () => {
        await lock.acquire();
        try {
          if (blocker !== null) await blocker;
        } finally {
          lock.release();
        }
      };
      const fa = new Future<void>();
      const ta = createTask(lockit(fa));
      await sleep(0);
      expect(lock.locked()).toBe(true);
      const tb = createTask(lockit(null));
      await sleep(0);
      const tc = createTask(lockit(null));
      await sleep(0);

      fa.setResult();
      tb.cancel();
      await sleep(0);

      expect(lock.locked()).toBe(false);
      expect(ta.done()).toBe(true);
      expect(tb.cancelled()).toBe(true);
      await tc;
    });
  });

  it('grants one waiter when one is cancelled as the lock is released (test_cancel_release_race)', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      let lockCount = 0;
      let callCount = 0;
      const lockit = async () => {
        callCount++;
        await lock.acquire();
        lockCount++;
      };
      await lock.acquire();
      const t1 = createTask(lockit);
      const t2 = createTask(lockit);
      const t3 = createTask(lockit);
      await sleep(0);

      t1.getLoop().callSoon(() => {
        t1.cancel();
        lock.release();
      });
      await expect(t1).rejects.toBeInstanceOf(CancelledError);

      expect(lockCount).toBe(1);
      expect(callCount).toBe(3);
      expect(t1.cancelled() && t2.done()).toBe(true);
      t3.cancel();
      await sleep(0);
      expect(t3.cancelled()).toBe(true);
    });
  });

  it('passes the lock on when a woken waiter is cancelled before it runs (DESIGN §4, test_finished_waiter_cancelled)', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const tb = createTask(() => lock.acquire());
      await sleep(0);
      const tc = createTask(() => lock.acquire());

      lock.release(); // grants tb
      tb.cancel(); // …which is cancelled before it resumes
      await sleep(0);
      await sleep(0);

      expect(tb.cancelled()).toBe(true);
      await expect(tc).resolves.toBe(true);
      expect(lock.locked()).toBe(true);
    });
  });

  it('throws InvalidStateError when releasing an unlocked lock (test_release_not_acquired)', () => {
    const lock = new Lock();
    expect(() => lock.release()).toThrow(InvalidStateError);
    expect(() => lock.release()).toThrow('release() called on a Lock that is not locked');
  });

  it('releases in runExclusive() whether the body returns or throws (test_context_manager)', async () => {
    const lock = new Lock();
    await expect(lock.runExclusive(async () => (lock.locked() ? 'held' : 'free'))).resolves.toBe(
      'held',
    );
    expect(lock.locked()).toBe(false);

    await expect(
      lock.runExclusive(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lock.locked()).toBe(false);
  });

  it('rejects runExclusive() with a TypeError naming fn when it is not a function', async () => {
    const lock = new Lock();
    await expect(lock.runExclusive(42 as never)).rejects.toThrow(
      new TypeError('fn must be a function; got 42'),
    );
  });

  it('holds the lock to the end of an `await using` block', async () => {
    const lock = new Lock();
    {
      await using held = await lock.hold();
      expect(lock.locked()).toBe(true);
      expect(held.released()).toBe(false);
    }
    expect(lock.locked()).toBe(false);
  });

  it('releases a Held only once, even when released early inside the block', async () => {
    const lock = new Lock();
    {
      using held = await lock.hold();
      held.release();
      expect(lock.locked()).toBe(false);
      await lock.acquire(); // someone else takes it
    }
    expect(lock.locked()).toBe(true); // leaving the block did not release the other holder
  });

  it('rejects with the signal reason when the AbortSignal fires, freeing its place', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const controller = new AbortController();
      const gaveUp = lock.acquire({ signal: controller.signal });
      const next = createTask(() => lock.acquire());
      await sleep(0);

      controller.abort(new Error('enough'));

      await expect(gaveUp).rejects.toThrow('enough');
      lock.release();
      await expect(next).resolves.toBe(true);
    });
  });

  it('rejects at once, without taking the lock, when the signal is already aborted', async () => {
    const lock = new Lock();
    await expect(lock.acquire({ signal: AbortSignal.abort('no') })).rejects.toBe('no');
    expect(lock.locked()).toBe(false);
  });

  it('throws a TypeError naming options.signal when it is not an AbortSignal', () => {
    const lock = new Lock();
    expect(() => lock.acquire({ signal: 'soon' as never })).toThrow(
      new TypeError('options.signal must be an AbortSignal; got "soon" (a string)'),
    );
  });

  it('times out through AbortSignal.timeout outside any task', async () => {
    const lock = new Lock();
    await lock.acquire();
    const error = await lock.acquire({ signal: AbortSignal.timeout(5) }).catch((e) => e);
    expect((error as Error).name).toBe('TimeoutError');
    lock.release();
    expect(lock.locked()).toBe(false);
  });

  it('describes its waiters for the call graph, naming the holder', async () => {
    await runVirtual(async () => {
      const lock = new Lock();
      const writer = createTask(
        async () => {
          await lock.acquire();
          await sleep(1_000);
          lock.release();
        },
        { name: 'writer' },
      );
      await sleep(0);
      const reader = createTask(() => lock.acquire(), { name: 'reader' });
      await sleep(0);

      expect(captureCallGraph(reader)?.description).toBe(
        "Task 'reader' waiting for Lock.acquire: held by task 'writer'",
      );
      await writer;
      await reader;
    });
  });
});
