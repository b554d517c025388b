/*
 * Signals that mean "the work I am doing now is cancelled" (issue 11, case 1).
 *
 *   - `task.signal` follows the task's cancellation state: aborted (a CancelledError
 *     reason with the cancel message) once cancel() is requested, and a fresh,
 *     unaborted signal once uncancel() brings cancelling() back to 0, so a caught
 *     timeout does not poison the task's later fetches.
 *   - every cancel scope has its own `.signal`, aborted only when THAT scope cancels:
 *     a timeout's at its deadline, a task group's when the group aborts.
 *   - a CancelledError escaping a task-group child nobody cancelled is a failure of
 *     the group (in its ExceptionGroup), not a quiet cancellation.
 */

import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  Future,
  run,
  sleep,
  type Task,
  TimeoutError,
  type TimeoutScope,
  taskGroup,
  timeout,
} from '../src/index.js';
import { rejection, runVirtual, self } from './helpers.js';

/** An AbortSignal API, as `fetch` is: settles after `ms` of virtual time, or rejects with the signal's reason. */
function abortableWork(ms: number, signal: AbortSignal, value = 'done'): Promise<string> {
  if (signal.aborted) return Promise.reject(signal.reason);
  const loop = self().getLoop();
  return new Promise((resolve, reject) => {
    const timer = loop.callLater(ms, resolve, value);
    signal.addEventListener('abort', () => {
      timer.cancel();
      reject(signal.reason);
    });
  });
}

describe('task.signal follows the cancellation state (issue 11, case 1)', () => {
  it('is a fresh, unaborted signal once uncancel() brings cancelling() back to 0; the old one stays aborted', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });
    await loop.advance(0);
    const before = task.signal;

    task.cancel('first');
    const during = task.signal;
    const remaining = task.uncancel();
    const after = task.signal;

    expect(during).toBe(before);
    expect(before.aborted).toBe(true);
    expect(remaining).toBe(0);
    expect(after).not.toBe(before);
    expect(after.aborted).toBe(false);
    expect(task.signal).toBe(after); // one signal per cancellation state, not one per read
    task.cancel('second');
    expect(after.aborted).toBe(true);
    expect((after.reason as Error).message).toBe('second');
    await loop.advance(0);
  });

  it('stays aborted while cancellation requests remain (cancelling() > 0)', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });
    await loop.advance(0);
    const { signal } = task;

    task.cancel();
    task.cancel();
    task.uncancel();

    expect(task.cancelling()).toBe(1);
    expect(task.signal).toBe(signal);
    expect(signal.aborted).toBe(true);
    await loop.advance(0);
  });

  it('is aborted with the message of the cancel() even when read after it landed on the awaited future', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });
    await loop.advance(0); // suspended on its future: cancel() lands there

    task.cancel('shutting down');

    expect(task.signal.aborted).toBe(true);
    expect(task.signal.reason).toBeInstanceOf(CancelledError);
    expect((task.signal.reason as Error).message).toBe('shutting down');
    await loop.advance(0);
  });

  it('lets the task use its signal again after a caught TimeoutError', async () => {
    const outcomes = await runVirtual(async () => {
      const outcomes: string[] = [];
      for (const ms of [50, 500, 5]) {
        try {
          outcomes.push(await timeout(100, () => abortableWork(ms, self().signal, `took ${ms}`)));
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          outcomes.push('timed out');
        }
      }
      return outcomes;
    });

    expect(outcomes).toEqual(['took 50', 'timed out', 'took 5']);
  });
});

describe('a timeout scope has its own signal (issue 11, case 1)', () => {
  it('aborts at the deadline with a CancelledError reason, and not before', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        const error = await rejection(
          timeout(100, async (scope) => {
            scope.signal.addEventListener('abort', () =>
              trace.push(`aborted at ${loop.time()}: ${(scope.signal.reason as Error).name}`),
            );
            await sleep(60);
            trace.push(`at 60: aborted=${scope.signal.aborted}`);
            await abortableWork(1_000, scope.signal);
          }),
        );
        expect(error).toBeInstanceOf(TimeoutError);
      },
      { loop },
    );

    expect(trace).toEqual(['at 60: aborted=false', 'aborted at 100: CancelledError']);
  });

  it('is never aborted when the block ends in time, nor by a later scope', async () => {
    await runVirtual(async () => {
      let first: TimeoutScope | undefined;
      await timeout(100, async (scope) => {
        first = scope;
        await sleep(10);
      });
      await timeout(5, () => sleep(50)).catch(() => {});

      expect(first?.signal.aborted).toBe(false);
    });
  });

  it('aborts only the inner scope when the inner one expires', async () => {
    await runVirtual(async () => {
      let outer: TimeoutScope | undefined;
      let inner: TimeoutScope | undefined;
      await timeout(1_000, async (entered) => {
        outer = entered;
        await timeout(10, async (scope) => {
          inner = scope;
          await sleep(100);
        }).catch(() => {});
        await abortableWork(10, entered.signal);
      });

      expect(inner?.signal.aborted).toBe(true);
      expect(outer?.signal.aborted).toBe(false);
    });
  });
});

describe('a task group has its own signal (issue 11, case 1)', () => {
  it('aborts when the group aborts at its first failure, with a CancelledError reason', async () => {
    const trace: string[] = [];

    const error = await runVirtual(() =>
      rejection(
        taskGroup(async (group) => {
          group.signal.addEventListener('abort', () =>
            trace.push(`group aborted: ${(group.signal.reason as Error).name}`),
          );
          group.createTask(async () => {
            try {
              await abortableWork(1_000, group.signal);
            } catch (error) {
              trace.push(`sibling stopped: ${(error as Error).name}`);
              throw error;
            }
          });
          group.createTask(async () => {
            await sleep(10);
            trace.push(`before the failure: aborted=${group.signal.aborted}`);
            throw new Error('disk full');
          });
        }),
      ),
    );

    expect(error).toBeInstanceOf(ExceptionGroup);
    expect(trace).toEqual([
      'before the failure: aborted=false',
      'group aborted: CancelledError',
      'sibling stopped: CancelledError',
    ]);
  });

  it('aborts when the task running the group is cancelled from outside', async () => {
    await runVirtual(async () => {
      let signal: AbortSignal | undefined;
      const parent = createTask(() =>
        taskGroup(async (group) => {
          signal = group.signal;
          group.createTask(() => sleep(1_000));
          await sleep(1_000);
        }),
      );
      await sleep(10);
      expect(signal?.aborted).toBe(false);

      parent.cancel();
      await expect(parent).rejects.toBeInstanceOf(CancelledError);

      expect(signal?.aborted).toBe(true);
    });
  });

  it('is never aborted when every child succeeds', async () => {
    await runVirtual(async () => {
      let signal: AbortSignal | undefined;
      await taskGroup(async (group) => {
        signal = group.signal;
        group.createTask(() => abortableWork(10, group.signal));
      });

      expect(signal?.aborted).toBe(false);
      expect(self().signal.aborted).toBe(false);
    });
  });
});

describe('a CancelledError nobody asked for (issue 11, case 1)', () => {
  it('escaping a task-group child is a failure of the group, which cancels the siblings', async () => {
    const trace: string[] = [];

    const error = await runVirtual(() =>
      rejection(
        taskGroup(async (group) => {
          group.createTask(async () => {
            await sleep(10);
            throw new CancelledError('from a stale signal'); // as a fetch given an aborted signal would
          });
          group.createTask(async () => {
            try {
              await sleep(1_000);
            } catch (cancelled) {
              trace.push('sibling cancelled');
              throw cancelled;
            }
          });
        }),
      ),
    );

    expect(error).toBeInstanceOf(ExceptionGroup);
    const inner = (error as ExceptionGroup).errors;
    expect(inner).toHaveLength(1);
    expect(inner[0]).toBeInstanceOf(CancelledError);
    expect((inner[0] as Error).message).toBe('from a stale signal');
    expect(trace).toEqual(['sibling cancelled']);
  });

  it("is still a cancellation when it comes from the parent's signal as the parent is cancelled", async () => {
    await runVirtual(async () => {
      const parent = createTask(() =>
        taskGroup(async (group) => {
          const parentSignal = self().signal; // handed to the children, aborted with the parent
          group.createTask(() => abortableWork(1_000, parentSignal));
          group.createTask(() => abortableWork(1_000, parentSignal));
          // A foreign await: the parent's cancel lands after it, so the children stop first.
          await new Promise<void>((resolve) =>
            self()
              .getLoop()
              .callLater(100, () => resolve()),
          );
        }),
      );
      await sleep(10);

      parent.cancel('shutting down');
      const error = await rejection(parent);

      expect(error).toBeInstanceOf(CancelledError);
      expect(error).not.toBeInstanceOf(ExceptionGroup);
    });
  });

  it('is still a quiet cancellation when someone cancelled that child', async () => {
    const value = await runVirtual(() =>
      taskGroup(async (group) => {
        const child: Task<void> = group.createTask(() => sleep(1_000));
        await sleep(10);
        child.cancel('not needed');
        return 'group returned';
      }),
    );

    expect(value).toBe('group returned');
  });

  it('reading currentTask().signal in a child after a caught timeout does not fail the group', async () => {
    const fetched = await runVirtual(async () => {
      const fetched: string[] = [];
      await taskGroup(async (group) => {
        group.createTask(async () => {
          for (const ms of [500, 10, 20]) {
            try {
              fetched.push(
                await timeout(100, () =>
                  abortableWork(ms, (currentTask() as Task).signal, `page ${ms}`),
                ),
              );
            } catch (error) {
              if (!(error instanceof TimeoutError)) throw error;
              fetched.push('timed out');
            }
          }
        });
      });
      return fetched;
    });

    expect(fetched).toEqual(['timed out', 'page 10', 'page 20']);
  });
});
