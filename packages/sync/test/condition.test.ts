import {
  CancelledError,
  createTask,
  InvalidStateError,
  sleep,
  TimeoutError,
  timeout,
} from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { Condition, Lock } from '../src/index.js';
import { runVirtual } from './helpers.js';

describe('Condition', () => {
  it('wakes one waiter per notify(), each returning once it has the lock back (test_wait)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      const result: number[] = [];
      const waiter = (n: number) => async () => {
        await condition.acquire();
        if (await condition.wait()) result.push(n);
        return true;
      };
      const tasks = [1, 2, 3].map((n) => createTask(waiter(n)));
      await sleep(0);
      expect(result).toEqual([]);
      expect(condition.locked()).toBe(false);

      await condition.acquire();
      condition.notify();
      await sleep(0);
      expect(result).toEqual([]); // woken, but the lock is still ours
      expect(condition.locked()).toBe(true);

      condition.release();
      await sleep(0);
      expect(result).toEqual([1]);
      expect(condition.locked()).toBe(true);

      condition.notify(2);
      await sleep(0);
      expect(result).toEqual([1]);

      condition.release();
      await sleep(0);
      expect(result).toEqual([1, 2]);

      condition.release();
      await sleep(0);
      expect(result).toEqual([1, 2, 3]);
      for (const task of tasks) expect(task.result()).toBe(true);
    });
  });

  it('re-acquires the lock before a cancelled wait() throws (test_wait_cancel)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      await condition.acquire();
      const waiting = createTask(async () => {
        try {
          await condition.wait();
        } finally {
          expect(condition.locked()).toBe(true);
        }
      });
      waiting.getLoop().callSoon(() => waiting.cancel());
      await expect(waiting).rejects.toBeInstanceOf(CancelledError);
      expect(condition.locked()).toBe(true);
    });
  });

  it('surfaces the cancellation only once the contested lock is free again (test_wait_cancel_contested)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      await condition.acquire();
      expect(condition.locked()).toBe(true);
      const waitTask = createTask(() => condition.wait());
      await sleep(0);
      expect(condition.locked()).toBe(false);

      await condition.acquire(); // the waiter's lock
      expect(condition.locked()).toBe(true);
      waitTask.cancel();
      await sleep(0);
      expect(waitTask.done()).toBe(false); // cancelled, but waiting for the lock

      condition.release();
      await expect(waitTask).rejects.toBeInstanceOf(CancelledError);
      expect(condition.locked()).toBe(true);
    });
  });

  it('is cancelled cleanly after being notified (test_wait_cancel_after_notify)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      let waited = false;
      const waiter = createTask(() =>
        condition.runExclusive(async () => {
          waited = true;
          await condition.wait();
        }),
      );
      await sleep(0);

      await condition.acquire();
      condition.notify();
      await sleep(0);
      waiter.cancel();
      await sleep(0);
      condition.release();
      await sleep(0);

      expect(waiter.cancelled()).toBe(true);
      expect(waited).toBe(true);
    });
  });

  it('wakes n waiters with notify(n) and all with a large n (test_notify)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      const result: number[] = [];
      const waiter = (n: number) => async () => {
        await condition.acquire();
        if (await condition.wait()) {
          result.push(n);
          condition.release();
        }
      };
      for (const n of [1, 2, 3]) createTask(waiter(n));
      await sleep(0);

      await condition.acquire();
      condition.notify(1);
      condition.release();
      await sleep(0);
      expect(result).toEqual([1]);

      await condition.acquire();
      condition.notify(1);
      condition.notify(2048);
      condition.release();
      await sleep(0);
      expect(result).toEqual([1, 2, 3]);
    });
  });

  it('wakes everyone with notifyAll() (test_notify_all)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      const result: number[] = [];
      for (const n of [1, 2]) {
        createTask(async () => {
          await condition.acquire();
          await condition.wait();
          result.push(n);
          condition.release();
        });
      }
      await sleep(0);

      await condition.acquire();
      condition.notifyAll();
      condition.release();
      await sleep(0);

      expect(result).toEqual([1, 2]);
    });
  });

  it('waits in waitFor() until the predicate holds, returning its value (test_wait_for)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      let presult: string | false = false;
      const result: boolean[] = [];
      const waiter = createTask(async () => {
        await condition.acquire();
        result.push((await condition.waitFor(() => presult)) === 'ready');
        condition.release();
      });
      await sleep(0);

      for (const value of [false, 'ready'] as const) {
        await condition.acquire();
        presult = value;
        condition.notify();
        condition.release();
        await sleep(0);
      }

      await waiter;
      expect(result).toEqual([true]);
    });
  });

  it('throws InvalidStateError from wait(), waitFor(), notify() and notifyAll() without the lock', async () => {
    const condition = new Condition();
    await expect(condition.wait()).rejects.toThrow(
      new InvalidStateError(
        'wait() called on a Condition whose lock is not held; acquire it first',
      ),
    );
    await expect(condition.waitFor(() => false)).rejects.toBeInstanceOf(InvalidStateError);
    expect(() => condition.notify()).toThrow(
      'notify() called on a Condition whose lock is not held; acquire it first',
    );
    expect(() => condition.notifyAll()).toThrow(InvalidStateError);
  });

  it('rejects a bad n and a non-Lock lock with errors naming the argument', async () => {
    const condition = new Condition();
    await condition.acquire();
    expect(() => condition.notify(-1)).toThrow(new RangeError('n must be an integer >= 0; got -1'));
    expect(() => new Condition({} as never)).toThrow(
      new TypeError('lock must be a Lock; got an object'),
    );
  });

  it('shares an explicit lock with another Condition (test_explicit_lock)', async () => {
    const lock = new Lock();
    const first = new Condition(lock);
    const second = new Condition(lock);
    await first.acquire();
    expect(lock.locked()).toBe(true);
    expect(second.locked()).toBe(true);
    second.release();
    expect(first.locked()).toBe(false);
  });

  it('rethrows the very CancelledError that interrupted the wait (test_cancelled_error_wakeup)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      let raised: unknown;
      const task = createTask(() =>
        condition.runExclusive(async () => {
          try {
            await condition.waitFor(() => false);
          } catch (error) {
            raised = error;
            throw error;
          }
        }),
      );
      await sleep(0);
      task.cancel('foo');
      const error = await task.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe('foo');
      expect(raised).toBeInstanceOf(CancelledError);
    });
  });

  it('does not lose a notify() when the woken task is cancelled before it runs (test_cancelled_wakeup)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      let state = 0;
      const consumer = () =>
        condition.runExclusive(async () => {
          for (;;) {
            await condition.waitFor(() => state !== 0);
            if (state < 0) return;
            state--;
          }
        });
      const consumers = [createTask(consumer), createTask(consumer)];
      await sleep(0);

      await condition.runExclusive(async () => {
        state++;
        condition.notify(1);
        consumers[0]?.cancel();
        await timeout(10, () => condition.waitFor(() => state === 0)).catch((error) => {
          if (!(error instanceof TimeoutError)) throw error;
        });
        expect(state).toBe(0);
        state = -1;
        condition.notifyAll();
      });
      await consumers[1];
    });
  });

  it('does not lose a notify() when the woken task is cancelled while re-locking (test_cancelled_wakeup_relock)', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      let state = 0;
      const consumer = () =>
        condition.runExclusive(async () => {
          for (;;) {
            await condition.waitFor(() => state !== 0);
            if (state < 0) return;
            state--;
          }
        });
      const consumers = [createTask(consumer), createTask(consumer)];
      await sleep(0);

      await condition.runExclusive(async () => {
        state++;
        condition.notify(1);
        await sleep(0);
        consumers[0]?.cancel();
        await timeout(10, () => condition.waitFor(() => state === 0)).catch((error) => {
          if (!(error instanceof TimeoutError)) throw error;
        });
        expect(state).toBe(0);
        state = -1;
        condition.notifyAll();
      });
      await consumers[1];
    });
  });

  it('re-acquires the lock when the wait is aborted through its signal', async () => {
    await runVirtual(async () => {
      const condition = new Condition();
      await condition.acquire();
      const error = await condition.wait({ signal: AbortSignal.abort('late') }).catch((e) => e);
      expect(error).toBe('late');
      expect(condition.locked()).toBe(true);

      const controller = new AbortController();
      const waiting = condition.wait({ signal: controller.signal });
      await sleep(0);
      controller.abort('stop');
      await expect(waiting).rejects.toBe('stop');
      expect(condition.locked()).toBe(true);
    });
  });
});
