import { setEventLoop, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  Future,
  run,
  shield,
  sleep,
  TimeoutError,
  waitFor,
} from '../src/index.js';
import { rejection } from './helpers.js';

describe('waitFor', () => {
  it('resolves to the result when the awaitable finishes in time', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const value = await run(() => waitFor(sleep(10, 'quick'), 1_000), { loop });

    expect(value).toBe('quick');
    expect(loop.time()).toBe(10);
  });

  it('throws TimeoutError at the deadline and cancels the inner task', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        const inner = createTask(async () => {
          try {
            await sleep(3_600_000);
          } finally {
            trace.push(`inner stopped at ${loop.time()}`);
          }
        });

        const error = await rejection(waitFor(inner, 100));

        trace.push(`waitFor threw ${(error as Error).name} at ${loop.time()}`);
        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as TimeoutError).cause).toBeInstanceOf(CancelledError);
        expect(inner.cancelled()).toBe(true);
      },
      { loop },
    );

    expect(trace).toEqual(['inner stopped at 100', 'waitFor threw TimeoutError at 100']);
  });

  it('waits for the inner task to finish its cancellation before throwing TimeoutError', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        let innerDone = false;
        const inner = createTask(async () => {
          try {
            await sleep(10_000);
          } catch (error) {
            await sleep(5); // cleanup takes a while
            throw error;
          } finally {
            innerDone = true;
          }
        });

        await expect(waitFor(inner, 10)).rejects.toBeInstanceOf(TimeoutError);
        expect(innerDone).toBe(true);
        expect(loop.time()).toBe(15);
      },
      { loop },
    );
  });

  it('rethrows an error the inner task raises while being cancelled', async () => {
    class CleanupError extends Error {}

    await run(
      async () => {
        const inner = createTask(async () => {
          try {
            await sleep(200);
          } finally {
            // biome-ignore lint/correctness/noUnsafeFinally: the point is an error thrown during cancellation
            throw new CleanupError('cleanup failed');
          }
        });

        await expect(waitFor(inner, 10)).rejects.toBeInstanceOf(CleanupError);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('returns the value of an inner function that suppresses the cancellation (asyncio GH-86296)', async () => {
    const value = await run(
      () =>
        waitFor(async () => {
          try {
            await sleep(10_000);
          } catch {
            return 42;
          }
          return 0;
        }, 100),
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(value).toBe(42);
  });

  it('times out on a Promise that never settles', async () => {
    // runUntilComplete, not run(): if the timeout never fires, the loop reports a
    // deadlock (DeadlockError) instead of hanging on the leftover task.
    const loop = new VirtualLoop({ autojump: true, deadlockTimeoutMs: 200 });
    loop.setExceptionHandler(() => {});

    const outcome = loop.runUntilComplete(() => waitFor(new Promise<never>(() => {}), 100));

    try {
      await expect(outcome).rejects.toBeInstanceOf(TimeoutError);
      expect(loop.time()).toBe(100);
    } finally {
      loop.close();
    }
  });

  it('resolves to the value of a Promise that settles in time', async () => {
    const value = await run(() => waitFor(Promise.resolve('promised'), 100), {
      loop: new VirtualLoop({ autojump: true }),
    });

    expect(value).toBe('promised');
  });

  describe('with a timeout of 0', () => {
    it('returns the result of an awaitable that is already done', async () => {
      await run(
        async () => {
          const done = new Future<string>();
          done.setResult('done');

          expect(await waitFor(done, 0)).toBe('done');
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('throws the error of an awaitable that already failed', async () => {
      const failure = new Error('failed before');

      await run(
        async () => {
          const failed = new Future<string>();
          failed.setException(failure);

          await expect(waitFor(failed, 0)).rejects.toBe(failure);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('cancels a pending task, waits for it to end, and throws TimeoutError', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          let running: boolean | null = null;
          const inner = createTask(async () => {
            running = true;
            try {
              await sleep(10_000);
            } catch (error) {
              await sleep(5);
              throw error;
            } finally {
              running = false;
            }
          });
          await sleep(1);

          const error = await rejection(waitFor(inner, 0));

          expect(error).toBeInstanceOf(TimeoutError);
          expect(inner.cancelled()).toBe(true);
          expect(running).toBe(false);
          expect(loop.time()).toBe(6);
        },
        { loop },
      );
    });

    it('never starts an async function', async () => {
      let started = false;

      const outcome = run(
        () =>
          waitFor(async () => {
            started = true;
          }, 0),
        { loop: new VirtualLoop({ autojump: true }) },
      );

      await expect(outcome).rejects.toBeInstanceOf(TimeoutError);
      expect(started).toBe(false);
    });

    it('cancels a shield but not the shielded task', async () => {
      await run(
        async () => {
          const task = createTask(() => sleep(10, 'done'));
          const shielded = shield(task);

          await expect(waitFor(shielded, 0)).rejects.toBeInstanceOf(TimeoutError);
          expect(shielded.cancelled()).toBe(true);
          expect(task.cancelled()).toBe(false);
          expect(await task).toBe('done');
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  it('waits without limit for a null timeout', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const value = await run(() => waitFor(sleep(3_600_000, 'an hour later'), null), { loop });

    expect(value).toBe('an hour later');
    expect(loop.time()).toBe(3_600_000);
  });

  it.each([
    ['with a timeout', 60_000],
    ['with a null timeout', null],
  ] as const)(
    'cancels the inner task when the waiting task is cancelled (%s)',
    async (_label, timeoutMs) => {
      await run(
        async () => {
          const inner = createTask(() => new Future<never>()); // never done on its own
          const waiting = createTask(() => waitFor(inner, timeoutMs));
          await sleep(1);

          waiting.cancel();

          await expect(waiting).rejects.toBeInstanceOf(CancelledError);
          expect(inner.cancelled()).toBe(true);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    },
  );

  it('never swallows an outside cancellation when the inner future finishes at the same moment (DESIGN §4)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const inner = new Future<string>();
        let reachedEnd = false;
        const waiting = createTask(async () => {
          await waitFor(inner, 100);
          await sleep(1);
          reachedEnd = true;
        });
        await sleep(1); // waiting is suspended on inner

        inner.setResult('done');
        waiting.cancel();

        await expect(waiting).rejects.toBeInstanceOf(CancelledError);
        expect(waiting.cancelled()).toBe(true);
        expect(reachedEnd).toBe(false);
      },
      { loop },
    );
  });

  it('never swallows an outside cancellation when the deadline passes at the same moment (DESIGN §4)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const waiting = createTask(() => waitFor(sleep(1_000), 100));
        await sleep(1);
        loop.callAt(100, () => waiting.cancel()); // after the deadline's own timer, at the same time

        const error = await rejection(waiting);

        expect(error).toBeInstanceOf(CancelledError);
        expect(waiting.cancelled()).toBe(true);
      },
      { loop },
    );
  });

  it('leaves no task behind after a timeout', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const main = currentTask();
        const inner = createTask(() => sleep(1_000));

        await expect(waitFor(inner, 10)).rejects.toBeInstanceOf(TimeoutError);
        await expect(waitFor(() => sleep(1_000), 10)).rejects.toBeInstanceOf(TimeoutError);
        await expect(waitFor(sleep(1_000), 10)).rejects.toBeInstanceOf(TimeoutError);

        expect(allTasks(loop)).toEqual(new Set([main]));
      },
      { loop },
    );
  });

  it('works outside a task, on the running loop', async () => {
    const loop = new VirtualLoop({ autojump: true });
    setEventLoop(loop);
    try {
      expect(currentTask()).toBeUndefined();

      expect(await waitFor(sleep(10, 'in time'), 100)).toBe('in time');
      await expect(waitFor(sleep(1_000), 100)).rejects.toBeInstanceOf(TimeoutError);

      expect(loop.time()).toBe(110);
      expect(allTasks(loop).size).toBe(0);
    } finally {
      setEventLoop(null);
    }
  });

  it('throws RangeError for a NaN or infinite timeout (a negative one times out at once)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        await expect(waitFor(sleep(1), Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
        await expect(waitFor(sleep(1), Number.NaN)).rejects.toThrow(/timeoutMs/);
      },
      { loop },
    );
  });
});
