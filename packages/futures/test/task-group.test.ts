import { type ExceptionContext, setEventLoop, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  run,
  sleep,
  type Task,
  type TaskGroup,
  taskGroup,
} from '../src/index.js';
import { rejection, self } from './helpers.js';

const failAfter = (ms: number, error: unknown) => async (): Promise<never> => {
  await sleep(ms);
  throw error;
};

/** A child that records whether it was cancelled. */
const sleeper = (ms: number, trace: string[], name: string) => async (): Promise<string> => {
  try {
    await sleep(ms);
  } catch (error) {
    if (error instanceof CancelledError) trace.push(`${name} cancelled`);
    throw error;
  }
  trace.push(`${name} finished`);
  return name;
};

describe('taskGroup', () => {
  it("returns the body's value only when every child is done", async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        let first: Task<string> | undefined;
        let second: Task<string> | undefined;
        const value = await taskGroup(async (group) => {
          first = group.createTask(sleeper(100, trace, 'first'));
          await sleep(150);
          second = group.createTask(sleeper(200, trace, 'second'));
          trace.push('body returned');
          return 'body value';
        });
        trace.push(`group returned at ${loop.time()}`);

        expect(value).toBe('body value');
        expect(first?.result()).toBe('first');
        expect(second?.result()).toBe('second');
      },
      { loop },
    );

    expect(trace).toEqual([
      'first finished',
      'body returned',
      'second finished',
      'group returned at 350',
    ]);
  });

  it('waits for children that children start', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        await taskGroup((group) => {
          group.createTask(async () => {
            await sleep(10);
            group.createTask(sleeper(10, trace, 'grandchild a'));
            group.createTask(sleeper(20, trace, 'grandchild b'));
          });
        });
      },
      { loop },
    );

    expect(trace).toEqual(['grandchild a finished', 'grandchild b finished']);
    expect(loop.time()).toBe(30);
  });

  it('runs on when a child is cancelled on its own (a cancellation is not a failure)', async () => {
    await run(
      async () => {
        const trace: string[] = [];
        let cancelled: Task<string> | undefined;
        await taskGroup(async (group) => {
          cancelled = group.createTask(sleeper(1_000, trace, 'cancelled'));
          group.createTask(sleeper(200, trace, 'other'));
          await sleep(150);
          cancelled.cancel();
        });

        expect(cancelled?.cancelled()).toBe(true);
        expect(trace).toEqual(['cancelled cancelled', 'other finished']);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('cancels the other children and the body at the first failure, and throws an ExceptionGroup of it', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const failure = new RangeError('child failed');
    const trace: string[] = [];

    await run(
      async () => {
        const error = await rejection(
          taskGroup(async (group) => {
            group.createTask(failAfter(10, failure));
            group.createTask(sleeper(1_000, trace, 'sibling'));
            try {
              await sleep(10_000);
            } catch (cancelled) {
              trace.push(`body saw ${(cancelled as Error).name}`);
              throw cancelled;
            }
            trace.push('body went on');
          }),
        );

        expect(error).toBeInstanceOf(ExceptionGroup);
        expect((error as ExceptionGroup).errors).toEqual([failure]);
        expect(loop.time()).toBe(10);
        expect(self().cancelling()).toBe(0); // the group took its cancellation back
      },
      { loop },
    );

    expect(trace).toEqual(['sibling cancelled', 'body saw CancelledError']);
  });

  it('collects every failure in one ExceptionGroup, in the order they happened', async () => {
    const early = new Error('early');
    const sameTime = new Error('same time');
    const duringCancel = new Error('during cancellation');

    await run(
      async () => {
        const error = await rejection(
          taskGroup((group) => {
            group.createTask(async () => {
              try {
                await sleep(1_000);
              } finally {
                // biome-ignore lint/correctness/noUnsafeFinally: a child failing while being cancelled
                throw duringCancel;
              }
            });
            group.createTask(failAfter(10, early));
            group.createTask(failAfter(10, sameTime));
          }),
        );

        expect(error).toBeInstanceOf(ExceptionGroup);
        expect((error as ExceptionGroup).errors).toEqual([early, sameTime, duringCancel]);
        expect((error as ExceptionGroup).exceptions).toBe((error as ExceptionGroup).errors);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it("includes the body's own error, after the children's", async () => {
    const childError = new Error('child');
    const bodyError = new Error('body');

    await run(
      async () => {
        let child: Task<void> | undefined;
        const bodyOnly = await rejection(
          taskGroup((group) => {
            child = group.createTask(() => sleep(1_000));
            throw bodyError;
          }),
        );
        const both = await rejection(
          taskGroup(async (group) => {
            group.createTask(failAfter(10, childError));
            try {
              await sleep(1_000);
            } finally {
              // biome-ignore lint/correctness/noUnsafeFinally: the body fails while being cancelled
              throw bodyError;
            }
          }),
        );

        expect((bodyOnly as ExceptionGroup).errors).toEqual([bodyError]);
        expect(child?.cancelled()).toBe(true);
        expect((both as ExceptionGroup).errors).toEqual([childError, bodyError]);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  describe('outside cancellation', () => {
    it('cancels the children and the body and propagates as CancelledError, not swallowed', async () => {
      const trace: string[] = [];

      await run(
        async () => {
          const runner = createTask(() =>
            taskGroup(async (group) => {
              for (const name of ['a', 'b', 'c']) group.createTask(sleeper(5_000, trace, name));
              try {
                await sleep(10_000);
              } catch (error) {
                trace.push('body cancelled');
                throw error;
              }
            }),
          );
          await sleep(100);

          runner.cancel();

          await expect(runner).rejects.toBeInstanceOf(CancelledError);
          expect(runner.cancelled()).toBe(true);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );

      expect(trace).toEqual(['body cancelled', 'a cancelled', 'b cancelled', 'c cancelled']);
    });

    it('propagates as CancelledError while the group waits for its children at the end of the body', async () => {
      await run(
        async () => {
          const trace: string[] = [];
          const runner = createTask(() =>
            taskGroup((group) => {
              group.createTask(sleeper(1_000, trace, 'a'));
              group.createTask(sleeper(2_000, trace, 'b'));
            }),
          );
          await sleep(50);

          runner.cancel();

          await expect(runner).rejects.toBeInstanceOf(CancelledError);
          expect(trace).toEqual(['a cancelled', 'b cancelled']);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('becomes an ExceptionGroup when children fail while being cancelled', async () => {
      const cleanupError = new Error('cleanup failed');

      await run(
        async () => {
          const runner = createTask(() =>
            taskGroup(async (group) => {
              group.createTask(async () => {
                try {
                  await sleep(1_000);
                } finally {
                  // biome-ignore lint/correctness/noUnsafeFinally: a child failing while being cancelled
                  throw cleanupError;
                }
              });
              await sleep(1_000);
            }),
          );
          await sleep(10);

          runner.cancel();

          const error = await rejection(runner);
          expect(error).toBeInstanceOf(ExceptionGroup);
          expect((error as ExceptionGroup).errors).toEqual([cleanupError]);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('is still delivered after the group when it arrives as a child fails (asyncio test_error_and_cancel)', async () => {
      await run(
        async () => {
          const childError = new Error('child');
          const trace: string[] = [];
          let childStarted = false;
          const inner = createTask(async () => {
            try {
              await taskGroup(async (group) => {
                group.createTask(async () => {
                  childStarted = true;
                  await sleep(0);
                  throw childError;
                });
                await sleep(1_000);
                trace.push('not reached: the body sleep is cancelled');
              });
            } catch (error) {
              trace.push(
                `group threw ${(error as Error).name}, cancelling() = ${self().cancelling()}`,
              );
            }
            await sleep(1_000);
            trace.push('not reached: the outside cancel is delivered here');
          });
          while (!childStarted) await sleep(0);

          inner.cancel();

          await expect(inner).rejects.toBeInstanceOf(CancelledError);
          expect(inner.cancelled()).toBe(true);
          expect(trace).toEqual(['group threw ExceptionGroup, cancelling() = 1']);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  describe('createTask', () => {
    it('throws once the group has returned', async () => {
      await run(
        async () => {
          let escaped: TaskGroup | undefined;
          await taskGroup((group) => {
            escaped = group;
          });

          expect(() => escaped?.createTask(async () => 1)).toThrow(/finished/);
          expect(allTasks().size).toBe(1); // nothing was started
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('throws while the group shuts down after a failure', async () => {
      await run(
        async () => {
          let refused: unknown;
          const error = await rejection(
            taskGroup((group) => {
              group.createTask(failAfter(1, new Error('boom')));
              group.createTask(async () => {
                try {
                  await sleep(1_000);
                } catch (cancelled) {
                  try {
                    group.createTask(async () => 1);
                  } catch (thrown) {
                    refused = thrown;
                  }
                  throw cancelled;
                }
              });
            }),
          );

          expect(error).toBeInstanceOf(ExceptionGroup);
          expect(refused).toBeInstanceOf(Error);
          expect((refused as Error).message).toMatch(/shutting down/);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('names the child task as asked', async () => {
      await run(
        async () => {
          await taskGroup((group) => {
            const child = group.createTask(() => sleep(0), { name: 'yolo' });
            expect(child.getName()).toBe('yolo');
          });
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  describe('nested', () => {
    it('lets an outer child failure cancel the inner group, which then ends with CancelledError', async () => {
      const outerError = new Error('outer child');

      await run(
        async () => {
          let innerSaw: unknown;
          const error = await rejection(
            taskGroup(async (outer) => {
              outer.createTask(failAfter(10, outerError));
              try {
                await taskGroup((inner) => {
                  inner.createTask(failAfter(1_000, new Error('inner child, cancelled first')));
                });
              } catch (thrown) {
                innerSaw = thrown;
                throw thrown;
              }
            }),
          );

          expect(innerSaw).toBeInstanceOf(CancelledError);
          expect((error as ExceptionGroup).errors).toEqual([outerError]);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it("nests the inner group's ExceptionGroup in the outer one", async () => {
      const innerError = new Error('inner child');

      await run(
        async () => {
          const trace: string[] = [];
          const error = await rejection(
            taskGroup(async (outer) => {
              outer.createTask(sleeper(1_000, trace, 'outer child'));
              await taskGroup((inner) => {
                inner.createTask(failAfter(10, innerError));
              });
            }),
          );

          expect(error).toBeInstanceOf(ExceptionGroup);
          const [nested] = (error as ExceptionGroup).errors;
          expect(nested).toBeInstanceOf(ExceptionGroup);
          expect((nested as ExceptionGroup).errors).toEqual([innerError]);
          expect(trace).toEqual(['outer child cancelled']);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('keeps cancelling() at its level when both groups fail (asyncio test_nested_groups_both_cancelled)', async () => {
      await run(
        async () => {
          const levels: number[] = [];
          const error = await rejection(
            taskGroup(async (outer) => {
              const innerError = await rejection(
                taskGroup((inner) => {
                  inner.createTask(failAfter(0, new RangeError('inner')));
                  outer.createTask(failAfter(0, new TypeError('outer')));
                }),
              );
              expect(innerError).toBeInstanceOf(ExceptionGroup);
              levels.push(self().cancelling());
            }),
          );
          levels.push(self().cancelling());

          expect(error).toBeInstanceOf(ExceptionGroup);
          expect((error as ExceptionGroup).errors.map((each) => (each as Error).name)).toEqual([
            'TypeError',
          ]);
          expect(levels).toEqual([1, 0]);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  it('reports a child that fails after the parent task finished', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));
    const lateError = new Error('late child');

    await run(
      async () => {
        let groupOutcome: unknown;
        const parent = createTask(async () => {
          // Not awaited: the parent returns while its group still runs.
          taskGroup((group) => {
            group.createTask(failAfter(10, lateError));
          }).then(
            () => {},
            (error: unknown) => {
              groupOutcome = error;
            },
          );
          return 'parent done';
        });

        expect(await parent).toBe('parent done');
        await sleep(20);

        expect(groupOutcome).toBeInstanceOf(ExceptionGroup);
      },
      { loop },
    );

    expect(reports).toHaveLength(1);
    expect(reports[0]?.exception).toBe(lateError);
    expect(reports[0]?.message).toMatch(/parent task finished/);
  });

  describe('a swallowed cancellation', () => {
    const swallowingBody = (group: TaskGroup) => async (): Promise<string> => {
      group.createTask(failAfter(10, new Error('child')));
      try {
        await sleep(1_000);
      } catch {
        return 'swallowed'; // caught the group's CancelledError without uncancel()
      }
      return 'not cancelled';
    };

    it("is reported in debug mode with the task's name", async () => {
      const loop = new VirtualLoop({ autojump: true });
      const reports: ExceptionContext[] = [];
      loop.setExceptionHandler((_loop, context) => reports.push(context));
      loop.slowCallbackDuration = Number.POSITIVE_INFINITY; // a loaded machine must not add slow-callback reports

      await run(
        async () => {
          const task = createTask(() => taskGroup((group) => swallowingBody(group)()), {
            name: 'swallower',
          });
          await expect(task).rejects.toBeInstanceOf(ExceptionGroup);
        },
        { loop, debug: true },
      );

      expect(reports).toHaveLength(1);
      expect(reports[0]?.message).toMatch(/swallower/);
      expect(reports[0]?.message).toMatch(/swallowed the CancelledError/);
    });

    it('is not reported outside debug mode', async () => {
      const loop = new VirtualLoop({ autojump: true });
      const reports: ExceptionContext[] = [];
      loop.setExceptionHandler((_loop, context) => reports.push(context));

      await run(
        async () => {
          await expect(taskGroup((group) => swallowingBody(group)())).rejects.toBeInstanceOf(
            ExceptionGroup,
          );
        },
        { loop },
      );

      expect(reports).toEqual([]);
    });
  });

  it('runs in a new task when called outside a task', async () => {
    const loop = new VirtualLoop({ autojump: true });
    setEventLoop(loop);
    try {
      const value = await taskGroup(async (group) => {
        const child = group.createTask(() => sleep(10, 'child'));
        return `${currentTask() === undefined ? 'no task' : 'in a task'}, ${await child}`;
      });

      expect(value).toBe('in a task, child');
      expect(allTasks(loop).size).toBe(0);
    } finally {
      setEventLoop(null);
    }
  });

  it('rejects a body that is not a function', async () => {
    await expect(taskGroup('body' as never)).rejects.toThrow(TypeError);
    await expect(taskGroup('body' as never)).rejects.toThrow(/^body must be a function/);
  });
});
