import { type ExceptionContext, setEventLoop, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  Future,
  run,
  sleep,
  TimeoutError,
  type TimeoutScope,
  timeout,
  timeoutAt,
  waitFor,
} from '../src/index.js';
import { rejection, self } from './helpers.js';

describe('timeout', () => {
  it('throws TimeoutError at the deadline, after the body saw a CancelledError', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        let scope: TimeoutScope | undefined;
        const error = await rejection(
          timeout(3_600_000, async (entered) => {
            scope = entered;
            try {
              await sleep(7_200_000);
            } catch (cancelled) {
              trace.push(`body saw ${(cancelled as Error).name} at ${loop.time()}`);
              throw cancelled;
            }
          }),
        );

        expect(error).toBeInstanceOf(TimeoutError);
        expect((error as TimeoutError).cause).toBeInstanceOf(CancelledError);
        expect(scope?.expired()).toBe(true);
        expect(scope?.when()).toBe(3_600_000);
      },
      { loop },
    );

    expect(trace).toEqual(['body saw CancelledError at 3600000']);
  });

  it("resolves to the body's value when it finishes in time", async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        let scope: TimeoutScope | undefined;
        const value = await timeout(100, async (entered) => {
          scope = entered;
          await sleep(10);
          return 'in time';
        });

        expect(value).toBe('in time');
        expect(scope?.expired()).toBe(false);
        expect(scope?.when()).toBe(100); // still readable after the block
        await sleep(200); // the deadline timer was cancelled: nothing fires later
        expect(self().cancelling()).toBe(0);
      },
      { loop },
    );
  });

  it('has no deadline for null', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const value = await timeout(null, async (scope) => {
          expect(scope.when()).toBeNull();
          await sleep(3_600_000);
          return scope.expired();
        });

        expect(value).toBe(false);
        expect(loop.time()).toBe(3_600_000);
      },
      { loop },
    );
  });

  it('expires on the next iteration for 0, even if the body only yields with sleep(0)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        await expect(timeout(0, () => sleep(0))).rejects.toBeInstanceOf(TimeoutError);
        await expect(timeout(0, () => sleep(10))).rejects.toBeInstanceOf(TimeoutError);

        expect(loop.time()).toBe(0);
      },
      { loop },
    );
  });

  it('lets an error of the body through unchanged', async () => {
    const failure = new RangeError('own error');

    await run(
      async () => {
        let scope: TimeoutScope | undefined;
        const error = await rejection(
          timeout(10, (entered) => {
            scope = entered;
            throw failure;
          }),
        );

        expect(error).toBe(failure);
        expect(scope?.expired()).toBe(false);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('turns a CancelledError into TimeoutError even when the body ends with another await (cleanup)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const error = await rejection(
          timeout(10, async () => {
            try {
              await sleep(1_000);
            } finally {
              await sleep(5); // cleanup after the cancellation
            }
          }),
        );

        expect(error).toBeInstanceOf(TimeoutError);
        expect(loop.time()).toBe(15);
      },
      { loop },
    );
  });

  it('does not cancel the task that ran it', async () => {
    await run(
      async () => {
        const outer = createTask(async () => {
          await expect(timeout(1, () => sleep(10))).rejects.toBeInstanceOf(TimeoutError);
          return 'outer finished';
        });

        expect(await outer).toBe('outer finished');
        expect(outer.cancelled()).toBe(false);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it("throws TimeoutError when the awaited promise settles in the deadline's iteration, before the deadline fires (as asyncio); no cancellation is left behind", async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        // A foreign promise resolved by a timer due at the deadline, scheduled before the
        // timeout's own timer: the body's continuation runs after the deadline cancelled the
        // task, before the cancellation could be thrown in. asyncio raises TimeoutError for
        // a future completed that way (its must_cancel is thrown in at the next step).
        const resolvedAtDeadline = new Promise<string>((resolve) =>
          loop.callAt(100, resolve, 'finished'),
        );
        let scope: TimeoutScope | undefined;

        const error = await rejection(
          timeout(100, async (entered) => {
            scope = entered;
            return await resolvedAtDeadline;
          }),
        );

        expect(error).toBeInstanceOf(TimeoutError);
        expect(scope?.expired()).toBe(true);
        expect(self().cancelling()).toBe(0);
        await sleep(1); // no cancellation left to be thrown in here
        expect(loop.time()).toBe(101);
      },
      { loop },
    );
  });

  describe('a body awaiting a foreign promise (issue 11, case 2)', () => {
    it('ends in TimeoutError once the deadline passed, though the cancellation could not be delivered; the late value is dropped', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          // A plain Promise (no signal, nothing coro can cancel) that settles after the deadline.
          const plainPromise300ms = new Promise<string>((resolve) =>
            loop.callLater(300, resolve, 'late value'),
          );

          const error = await rejection(timeout(20, () => plainPromise300ms));

          expect(error).toBeInstanceOf(TimeoutError);
          expect((error as Error).message).toMatch(/late value is dropped/);
          expect(loop.time()).toBe(300); // the block ends when the foreign promise settles
          expect(self().cancelling()).toBe(0);
          expect(self().signal.aborted).toBe(false);
          await sleep(1); // no cancellation left to be thrown in here
        },
        { loop },
      );
    });

    it('also through timeoutAt and an async body, as waitFor does', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const plain = (ms: number) =>
            new Promise<string>((resolve) => loop.callLater(ms, resolve, 'late'));

          await expect(timeoutAt(20, async () => await plain(300))).rejects.toBeInstanceOf(
            TimeoutError,
          );
          await expect(waitFor(plain(300), 20)).rejects.toBeInstanceOf(TimeoutError);
          await expect(waitFor(async () => plain(300), 20)).rejects.toBeInstanceOf(TimeoutError);
        },
        { loop },
      );
    });

    it("aborts the scope's signal and the task's at the deadline, so an AbortSignal API stops on time", async () => {
      const loop = new VirtualLoop({ autojump: true });
      const trace: string[] = [];

      await run(
        async () => {
          const error = await rejection(
            timeout(20, (scope) => {
              const taskSignal = self().signal;
              scope.signal.addEventListener('abort', () => trace.push(`scope at ${loop.time()}`));
              taskSignal.addEventListener('abort', () => trace.push(`task at ${loop.time()}`));
              return new Promise((resolve, reject) => {
                const timer = loop.callLater(300, resolve, 'late');
                scope.signal.addEventListener('abort', () => {
                  timer.cancel();
                  reject(scope.signal.reason);
                });
              });
            }),
          );

          expect(error).toBeInstanceOf(TimeoutError);
          expect((error as Error).cause).toBeInstanceOf(CancelledError);
          expect(loop.time()).toBe(20);
        },
        { loop },
      );

      expect(trace).toEqual(['task at 20', 'scope at 20']);
    });

    it('never swallows an outside cancel that arrived meanwhile, nor turns it into TimeoutError (DESIGN §4)', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const trace: string[] = [];
          const waiting = createTask(async () => {
            const value = await timeout(
              20,
              () => new Promise<string>((resolve) => loop.callLater(300, resolve, 'late')),
            );
            trace.push(`block returned ${value}`);
            await sleep(1);
            trace.push('never: the outside cancel lands at the next await');
          });
          await sleep(10);
          waiting.cancel('outside');

          const error = await rejection(waiting);

          expect(error).toBeInstanceOf(CancelledError);
          expect(error).not.toBeInstanceOf(TimeoutError);
          expect(trace).toEqual(['block returned late']);
        },
        { loop },
      );
    });

    it('returns the value when the foreign promise settles before the deadline', async () => {
      const loop = new VirtualLoop({ autojump: true });

      const value = await run(
        () =>
          timeout(
            300,
            () => new Promise<string>((resolve) => loop.callLater(20, resolve, 'in time')),
          ),
        { loop },
      );

      expect(value).toBe('in time');
    });
  });

  describe('timeoutAt', () => {
    it('throws TimeoutError at an absolute deadline, which when() returns', async () => {
      const loop = new VirtualLoop({ autojump: true, start: 1_000 });

      await run(
        async () => {
          let scope: TimeoutScope | undefined;
          const deadline = loop.time() + 50;

          const error = await rejection(
            timeoutAt(deadline, async (entered) => {
              scope = entered;
              await sleep(10_000);
            }),
          );

          expect(error).toBeInstanceOf(TimeoutError);
          expect(loop.time()).toBe(1_050);
          expect(scope?.when()).toBe(deadline);
          expect(scope?.expired()).toBe(true);
        },
        { loop },
      );
    });

    it('expires on the next iteration for a deadline in the past', async () => {
      const loop = new VirtualLoop({ autojump: true, start: 1_000 });

      await run(
        async () => {
          const error = await rejection(timeoutAt(loop.time() - 500, () => sleep(0)));

          expect(error).toBeInstanceOf(TimeoutError);
          expect(loop.time()).toBe(1_000);
        },
        { loop },
      );
    });

    it('has no deadline for null', async () => {
      await run(
        async () => {
          const value = await timeoutAt(null, async (scope) => {
            await sleep(10);
            return scope.when();
          });

          expect(value).toBeNull();
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  describe('the scope', () => {
    it('reschedule() moves the deadline later, earlier, or away (null), also from another task', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const entered = new Future<TimeoutScope>();
          const worker = createTask(() =>
            timeoutAt(10, async (scope) => {
              entered.setResult(scope);
              await sleep(50);
              return 'slept 50';
            }),
          );
          const scope = await entered;

          scope.reschedule(30);
          expect(scope.when()).toBe(30);
          scope.reschedule(null);
          expect(scope.when()).toBeNull();

          expect(await worker).toBe('slept 50');
          expect(scope.expired()).toBe(false);
          expect(loop.time()).toBe(50);
        },
        { loop },
      );
    });

    it('reschedule() to a later deadline gives the body more time', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const value = await timeout(10, async (scope) => {
            scope.reschedule((scope.when() ?? 0) + 100);
            await sleep(50);
            return 'done';
          });

          expect(value).toBe('done');
          expect(loop.time()).toBe(50);
        },
        { loop },
      );
    });

    it('reschedule() to the past expires on the next iteration', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          await sleep(100);
          const trace: string[] = [];

          const error = await rejection(
            timeout(1_000, async (scope) => {
              scope.reschedule(loop.time() - 50);
              trace.push(`expired right after reschedule: ${scope.expired()}`);
              await sleep(0);
              trace.push('not reached');
            }),
          );

          expect(error).toBeInstanceOf(TimeoutError);
          expect(trace).toEqual(['expired right after reschedule: false']);
          expect(loop.time()).toBe(100);
        },
        { loop },
      );
    });

    it('refuses reschedule() once the block exited or expired, or while expiring', async () => {
      await run(
        async () => {
          let finished: TimeoutScope | undefined;
          await timeout(10, (scope) => {
            finished = scope;
          });
          let expired: TimeoutScope | undefined;
          await expect(
            timeout(10, async (scope) => {
              expired = scope;
              await sleep(100);
            }),
          ).rejects.toBeInstanceOf(TimeoutError);
          let expiringError: unknown;
          await timeout(10, async (scope) => {
            try {
              await sleep(100);
            } catch {
              self().uncancel(); // handled on purpose
            }
            try {
              scope.reschedule(50);
            } catch (error) {
              expiringError = error;
            }
          });

          expect(() => finished?.reschedule(50)).toThrow(/exited/);
          expect(() => expired?.reschedule(50)).toThrow(/expired/);
          expect(expiringError).toBeInstanceOf(Error);
          expect((expiringError as Error).message).toMatch(/expiring/);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('reschedule() rejects a deadline that is not a time', async () => {
      await run(
        async () => {
          await timeout(10, (scope) => {
            expect(() => scope.reschedule(Number.NaN)).toThrow(RangeError);
            expect(() => scope.reschedule(Number.NaN)).toThrow(/whenMs/);
          });
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  describe('nested', () => {
    it('raises TimeoutError only from the inner scope when it expires first', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          let outerScope: TimeoutScope | undefined;
          let innerScope: TimeoutScope | undefined;
          let innerError: unknown;

          const value = await timeout(100, async (outer) => {
            outerScope = outer;
            innerError = await rejection(
              timeout(10, async (inner) => {
                innerScope = inner;
                await sleep(1_000);
              }),
            );
            await sleep(20);
            return 'outer finished';
          });

          expect(innerError).toBeInstanceOf(TimeoutError);
          expect(value).toBe('outer finished');
          expect(innerScope?.expired()).toBe(true);
          expect(outerScope?.expired()).toBe(false);
          expect(loop.time()).toBe(30);
        },
        { loop },
      );
    });

    it("raises the outer scope's TimeoutError when the outer expires first; the inner sees a CancelledError", async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          let innerScope: TimeoutScope | undefined;
          let innerSaw: unknown;

          const error = await rejection(
            timeout(10, async () => {
              try {
                await timeout(100, async (inner) => {
                  innerScope = inner;
                  await sleep(1_000);
                });
              } catch (thrown) {
                innerSaw = thrown;
                throw thrown;
              }
            }),
          );

          expect(innerSaw).toBeInstanceOf(CancelledError);
          expect(innerSaw).not.toBeInstanceOf(TimeoutError);
          expect(innerScope?.expired()).toBe(false);
          expect(error).toBeInstanceOf(TimeoutError);
          expect(loop.time()).toBe(10);
        },
        { loop },
      );
    });

    it('raises TimeoutError only from the outermost scope when both expire at once', async () => {
      await run(
        async () => {
          let innerSaw: unknown;
          let outerScope: TimeoutScope | undefined;
          let innerScope: TimeoutScope | undefined;

          const error = await rejection(
            timeoutAt(10, async (outer) => {
              outerScope = outer;
              try {
                await timeoutAt(10, async (inner) => {
                  innerScope = inner;
                  await sleep(1_000);
                });
              } catch (thrown) {
                innerSaw = thrown;
                throw thrown;
              }
            }),
          );

          expect(innerSaw).toBeInstanceOf(CancelledError);
          expect(error).toBeInstanceOf(TimeoutError);
          expect(outerScope?.expired()).toBe(true);
          expect(innerScope?.expired()).toBe(true);
          expect(self().cancelling()).toBe(0);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('lets the outer scope interrupt what follows an inner timeout that was caught', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const error = await rejection(
            timeout(100, async () => {
              await expect(timeout(10, () => sleep(1_000))).rejects.toBeInstanceOf(TimeoutError);
              await sleep(10_000); // interrupted by the outer deadline
            }),
          );

          expect(error).toBeInstanceOf(TimeoutError);
          expect(loop.time()).toBe(100);
        },
        { loop },
      );
    });
  });

  describe('outside cancellation (DESIGN §4)', () => {
    it('is not turned into TimeoutError when the deadline has not passed', async () => {
      await run(
        async () => {
          let scope: TimeoutScope | undefined;
          const error = await rejection(
            timeout(10_000, async (entered) => {
              scope = entered;
              self().cancel();
              await sleep(10_000);
            }),
          );

          expect(error).toBeInstanceOf(CancelledError);
          expect(error).not.toBeInstanceOf(TimeoutError);
          expect(scope?.expired()).toBe(false);
          self().uncancel();
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('is not swallowed when the body finishes at the same moment', async () => {
      await run(
        async () => {
          const inner = new Future<string>();
          const trace: string[] = [];
          const waiting = createTask(async () => {
            await timeout(100, () => inner);
            trace.push('after the timeout');
            await sleep(1);
            trace.push('after the next await');
          });
          await sleep(1); // waiting is suspended on inner

          inner.setResult('done');
          waiting.cancel();

          await expect(waiting).rejects.toBeInstanceOf(CancelledError);
          expect(waiting.cancelled()).toBe(true);
          expect(trace).toEqual([]);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('is not turned into TimeoutError when the deadline passes at the same moment', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const waiting = createTask(() => timeout(100, () => sleep(1_000)));
          await sleep(1);
          loop.callAt(100, () => waiting.cancel()); // runs right after the deadline's timer

          const error = await rejection(waiting);

          expect(error).toBeInstanceOf(CancelledError);
          expect(error).not.toBeInstanceOf(TimeoutError);
          expect(waiting.cancelled()).toBe(true);
        },
        { loop },
      );
    });

    it('is not turned into TimeoutError when it arrives during the cleanup after the deadline', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const waiting = createTask(() =>
            timeout(100, async () => {
              try {
                await sleep(1_000);
              } finally {
                await sleep(50); // cleanup, cancelled from outside at 120
              }
            }),
          );
          loop.callAt(120, () => waiting.cancel());

          const error = await rejection(waiting);

          expect(error).toBeInstanceOf(CancelledError);
          expect(error).not.toBeInstanceOf(TimeoutError);
          expect(loop.time()).toBe(120);
        },
        { loop },
      );
    });
  });

  describe('cancelling()', () => {
    it('is restored after the block, whether it expired or not', async () => {
      await run(
        async () => {
          await expect(timeout(10, () => sleep(100))).rejects.toBeInstanceOf(TimeoutError);
          const afterExpired = self().cancelling();
          await timeout(100, () => sleep(10));
          const afterInTime = self().cancelling();

          expect([afterExpired, afterInTime]).toEqual([0, 0]);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('stays at its level when the block is entered with a cancellation already requested', async () => {
      await run(
        async () => {
          try {
            self().cancel();
            await sleep(1_000);
          } catch {
            // handled without uncancel(): cancelling() stays 1
          }

          await expect(timeout(0, () => sleep(1_000))).rejects.toBeInstanceOf(TimeoutError);
          expect(self().cancelling()).toBe(1);

          const error = await rejection(
            timeout(1_000, async () => {
              self().cancel();
              await sleep(2_000);
            }),
          );
          expect(error).toBeInstanceOf(CancelledError);
          expect(error).not.toBeInstanceOf(TimeoutError);
          expect(self().cancelling()).toBe(2);
          self().uncancel();
          self().uncancel();
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });
  });

  describe('a swallowed cancellation', () => {
    const swallower = async (): Promise<string> => {
      try {
        await sleep(1_000);
      } catch {
        return 'swallowed';
      }
      return 'not cancelled';
    };

    it("is reported in debug mode with the task's name", async () => {
      const loop = new VirtualLoop({ autojump: true });
      const reports: ExceptionContext[] = [];
      loop.setExceptionHandler((_loop, context) => reports.push(context));
      loop.slowCallbackDuration = Number.POSITIVE_INFINITY; // a loaded machine must not add slow-callback reports

      const value = await run(
        async () => {
          const task = createTask(() => timeout(10, swallower), { name: 'swallower' });
          return await task;
        },
        { loop, debug: true },
      );

      expect(value).toBe('swallowed');
      expect(reports).toHaveLength(1);
      expect(reports[0]?.message).toMatch(/swallower/);
      expect(reports[0]?.message).toMatch(/swallowed the CancelledError/);
    });

    it('is not reported outside debug mode', async () => {
      const loop = new VirtualLoop({ autojump: true });
      const reports: ExceptionContext[] = [];
      loop.setExceptionHandler((_loop, context) => reports.push(context));
      loop.slowCallbackDuration = Number.POSITIVE_INFINITY; // a loaded machine must not add slow-callback reports

      const value = await run(() => timeout(10, swallower), { loop });

      expect(value).toBe('swallowed');
      expect(reports).toEqual([]);
    });

    it('is not reported for a body that finished as the deadline fired (it ends in TimeoutError)', async () => {
      const loop = new VirtualLoop({ autojump: true });
      const reports: ExceptionContext[] = [];
      loop.setExceptionHandler((_loop, context) => reports.push(context));
      loop.slowCallbackDuration = Number.POSITIVE_INFINITY; // a loaded machine must not add slow-callback reports

      const error = await run(
        async () => {
          const resolvedAtDeadline = new Promise<string>((resolve) =>
            loop.callAt(10, resolve, 'finished'),
          );
          return await rejection(timeout(10, () => resolvedAtDeadline));
        },
        { loop, debug: true },
      );

      expect(error).toBeInstanceOf(TimeoutError);
      expect(reports).toEqual([]);
    });
  });

  it('runs the body in a new task when called outside a task', async () => {
    const loop = new VirtualLoop({ autojump: true });
    setEventLoop(loop);
    try {
      expect(currentTask()).toBeUndefined();

      const ranIn = await timeout(100, async () => currentTask()?.getName());
      await expect(timeout(10, () => sleep(1_000))).rejects.toBeInstanceOf(TimeoutError);

      expect(ranIn).toMatch(/^Task-\d+$/); // a task of its own, named as createTask names them
      expect(loop.time()).toBe(10);
      expect(allTasks(loop).size).toBe(0);
    } finally {
      setEventLoop(null);
    }
  });

  it('rejects a bad delay, deadline or body', async () => {
    await run(
      async () => {
        expect(() => timeout(Number.POSITIVE_INFINITY, () => 1)).toThrow(RangeError);
        expect(() => timeout(Number.NaN, () => 1)).toThrow(/ms/);
        await expect(timeoutAt(Number.NaN, () => 1)).rejects.toThrow(/whenMs/);
        expect(() => timeout(10, 'body' as never)).toThrow(TypeError);
        await expect(timeoutAt(10, 'body' as never)).rejects.toThrow(TypeError);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });
});
