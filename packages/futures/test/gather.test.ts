import { type ExceptionContext, VirtualLoop } from '@coro/loop';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  Future,
  gather,
  run,
  sleep,
  type Task,
} from '../src/index.js';

describe('gather', () => {
  it('resolves to the results in argument order, whatever order the children finish in', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const finished: string[] = [];
    const note = async <T>(label: string, ms: number, value: T): Promise<T> => {
      await sleep(ms);
      finished.push(label);
      return value;
    };

    const results = await run(
      async () => {
        const all = gather([
          createTask(() => note('slow', 30, 'slow')),
          createTask(() => note('fast', 10, 1)),
          () => note('middle', 20, true),
        ]);
        return await all;
      },
      { loop },
    );

    expect(results).toEqual(['slow', 1, true]);
    expect(finished).toEqual(['fast', 'middle', 'slow']);
    expect(loop.time()).toBe(30); // concurrently: the longest child, not the sum
  });

  it('types its result as a tuple of the children results', async () => {
    await run(
      async () => {
        const all = gather([
          sleep(1, 'text'),
          createTask(async () => 42),
          async () => true,
          Promise.resolve(null),
        ]);
        const results = await all;

        expectTypeOf(results).toEqualTypeOf<[string, number, boolean, null]>();
        expect(results).toEqual(['text', 42, true, null]);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('accepts Futures, Tasks, Promises, thenables and async functions (run as new tasks)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const results = await run(
      async () => {
        const main = currentTask();
        const future = new Future<string>();
        loop.callLater(5, () => future.setResult('future'));
        const thenable: PromiseLike<string> = {
          then: (onFulfilled) => {
            loop.callLater(7, () => onFulfilled?.('thenable'));
            return thenable as PromiseLike<never>;
          },
        };
        const functionTask = async () => {
          await sleep(3);
          const self = currentTask();
          return self !== undefined && self !== main
            ? 'function ran in its own task'
            : 'function ran inline';
        };
        return await gather([
          future,
          createTask(async () => 'task'),
          Promise.resolve('promise'),
          thenable,
          functionTask,
        ]);
      },
      { loop },
    );

    expect(results).toEqual([
      'future',
      'task',
      'promise',
      'thenable',
      'function ran in its own task',
    ]);
  });

  it('resolves at once to [] for an empty list', async () => {
    await run(
      async () => {
        const all = gather([]);

        expect(all.done()).toBe(true);
        expect(all.result()).toEqual([]);
        expectTypeOf(await all).toEqualTypeOf<[]>();
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('rejects with the first failure while the other children keep running', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const failure = new RangeError('first failure');
    const trace: string[] = [];

    await run(
      async () => {
        const sibling = createTask(async () => {
          await sleep(20);
          trace.push(`sibling finished at ${loop.time()}`);
          return 'sibling result';
        });
        const failing = createTask(async () => {
          await sleep(10);
          throw failure;
        });
        try {
          await gather([sibling, failing]);
        } catch (error) {
          trace.push(`gather rejected at ${loop.time()} with ${(error as Error).message}`);
        }
        expect(sibling.done()).toBe(false);
        expect(await sibling).toBe('sibling result');
      },
      { loop },
    );

    expect(trace).toEqual(['gather rejected at 10 with first failure', 'sibling finished at 20']);
  });

  it('puts errors and CancelledErrors in the results with returnExceptions', async () => {
    const failure = new TypeError('bad input');

    const results: unknown[] = await run(
      async () => {
        const cancelledChild = createTask(() => sleep(50));
        const all = gather(
          [
            sleep(10, 'value'),
            Promise.reject(failure),
            cancelledChild,
            createTask(async () => 'late'),
          ],
          { returnExceptions: true },
        );
        await sleep(1);
        cancelledChild.cancel('stop');
        return await all;
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(results[0]).toBe('value');
    expect(results[1]).toBe(failure);
    expect(results[2]).toBeInstanceOf(CancelledError);
    expect((results[2] as CancelledError).message).toBe('stop');
    expect(results[3]).toBe('late');
  });

  it('rejects with CancelledError (carrying the message) when a child is cancelled from outside', async () => {
    await run(
      async () => {
        const child = createTask(() => sleep(100));
        const sibling = createTask(() => sleep(200, 'sibling'));
        const all = gather([child, sibling]);
        await sleep(10);

        child.cancel('from outside');

        const error = await all.then(
          () => null,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(CancelledError);
        expect((error as CancelledError).message).toBe('from outside');
        expect(sibling.cancelled()).toBe(false); // only the gather failed, the sibling runs on
        sibling.cancel();
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  describe('cancel()', () => {
    it('cancels every pending child and returns true (DESIGN §4)', async () => {
      const cancelledInside: string[] = [];
      const child = (name: string) => async () => {
        try {
          await sleep(1_000);
        } catch (error) {
          if (error instanceof CancelledError) cancelledInside.push(`${name}: ${error.message}`);
          throw error;
        }
      };

      await run(
        async () => {
          const done = new Future<string>();
          done.setResult('already done');
          const first = createTask(child('first'));
          const second = createTask(child('second'));
          const all = gather([done, first, second]);
          await sleep(10);

          expect(all.cancel('shutdown')).toBe(true);

          await expect(all).rejects.toBeInstanceOf(CancelledError);
          expect(first.cancelled()).toBe(true);
          expect(second.cancelled()).toBe(true);
          expect(done.cancelled()).toBe(false);
          expect(all.cancelled()).toBe(false); // asyncio: the gather fails with CancelledError
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );

      expect(cancelledInside).toEqual(['first: shutdown', 'second: shutdown']);
    });

    it('returns false and cancels nothing when every child is already done', async () => {
      await run(
        async () => {
          const done = new Future<number>();
          done.setResult(1);
          const all = gather([done, Promise.resolve(2)]);
          await sleep(0); // the Promise settles its wrapper

          expect(all.cancel()).toBe(false);
          expect(await all).toEqual([1, 2]);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('returns false once the gather is done', async () => {
      await run(
        async () => {
          const all = gather([sleep(5, 'x')]);
          await all;

          expect(all.cancel()).toBe(false);
          expect(all.result()).toEqual(['x']);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('rejects with CancelledError even with returnExceptions', async () => {
      await run(
        async () => {
          const child = createTask(() => sleep(1_000));
          const all = gather([child, sleep(2_000)], { returnExceptions: true });
          await sleep(10);

          expect(all.cancel('bye')).toBe(true);

          const error = await all.then(
            () => null,
            (reason: unknown) => reason,
          );
          expect(error).toBeInstanceOf(CancelledError);
          expect(child.cancelled()).toBe(true);
        },
        { loop: new VirtualLoop({ autojump: true }) },
      );
    });

    it('is what cancelling the task awaiting the gather does: the children are cancelled (DESIGN §4)', async () => {
      const loop = new VirtualLoop({ autojump: true });

      await run(
        async () => {
          const children: Task<unknown>[] = [
            createTask(() => sleep(1_000)),
            createTask(() => sleep(2_000)),
          ];
          const waiting = createTask(() => gather(children));
          await sleep(10);

          waiting.cancel();

          await expect(waiting).rejects.toBeInstanceOf(CancelledError);
          expect(waiting.cancelled()).toBe(true);
          expect(children.map((child) => child.cancelled())).toEqual([true, true]);
          expect(allTasks(loop).size).toBe(1); // only main is left
        },
        { loop },
      );
    });
  });

  it('still reports a later sibling failure nobody retrieved (DESIGN §4)', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));
    const first = new Error('first failure');
    const later = new Error('later failure');

    const caught = await gatherTwoFailures(loop, first, later);
    await collectGarbageUntil(() => reports.length > 0);

    expect(caught).toBe(first);
    const reported = reports.map((report) => report.exception);
    expect(reported).toContain(later);
    expect(reported).not.toContain(first); // gather retrieved it
    const report = reports.find((each) => each.exception === later);
    expect(report?.message).toMatch(/exception was never retrieved/);
  });

  it('throws TypeError for a non-array or a non-awaitable', () => {
    const loop = new VirtualLoop();

    expect(() => gather('ab' as never, { loop })).toThrow(/^awaitables must be an array; got "ab"/);
    expect(() => gather([42 as never], { loop })).toThrow(TypeError);
    expect(() => gather([42 as never], { loop })).toThrow(/awaitable must be/);
    expect(() => gather([], { loop, returnExceptions: 'yes' as never })).toThrow(
      /options.returnExceptions must be a boolean/,
    );
  });
});

/**
 * Gathers two tasks that fail at 10 and 20 ms and catches the first failure; the
 * second is never looked at. Nothing of the run stays referenced afterwards.
 */
async function gatherTwoFailures(loop: VirtualLoop, first: Error, later: Error): Promise<unknown> {
  const failAfter = (ms: number, error: Error) => async () => {
    await sleep(ms);
    throw error;
  };
  return run(
    async () => {
      let caught: unknown;
      try {
        await gather([failAfter(10, first), failAfter(20, later)]);
      } catch (error) {
        caught = error;
      }
      await sleep(30); // the later sibling fails meanwhile
      return caught;
    },
    { loop },
  );
}

async function collectGarbageUntil(condition: () => boolean): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('global.gc is missing: run vitest with --expose-gc');
  for (let attempt = 0; attempt < 50 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    collect();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
