import { type ExceptionContext, VirtualLoop } from '@coro/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  Future,
  run,
  sleep,
  type Task,
} from '../src/index.js';

// The task step protocol (src/step.ts): what then() returns, and what it keeps
// once it delivered, inside and outside tasks.

describe('what then() returns, chained after it delivered', () => {
  it('resolves to undefined after a plain await-like then() delivered undefined', async () => {
    await run(
      async () => {
        const future = new Future<number>();
        const returned = future.then(() => undefined);
        future.setResult(1);
        await sleep(0);
        await sleep(0); // the awaiter delivered: nothing was kept for it

        expect(await returned).toBeUndefined();
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it("keeps a callback's value for a chain made after delivery", async () => {
    await run(
      async () => {
        const future = new Future<number>();
        const returned = future.then((value) => value * 2);
        future.setResult(21);
        await sleep(0);
        await sleep(0);

        expect(await returned).toBe(42);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('keeps an error for a chain made after delivery, and reports it once meanwhile', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const reported: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reported.push(context));
    const failure = new Error('disk full');

    await run(
      async () => {
        const future = new Future<number>();
        const returned = future.then(() => {
          throw failure;
        });
        future.setResult(1);
        await sleep(0);
        await sleep(0);

        await expect(Promise.resolve(returned)).rejects.toBe(failure);
      },
      { loop },
    );

    expect(reported.map((context) => context.exception)).toEqual([failure]);
  });

  it('delivers sleep(0, value) inside and outside a task', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const outside = loop.runUntilComplete(() => Promise.resolve(sleep(0, 'outside')));

    expect(await outside).toBe('outside');
    expect(await run(() => sleep(0, 'inside'), { loop })).toBe('inside');
  });

  it('yields a sleep(0) made outside any loop on the loop whose task awaits it', async () => {
    const yieldOnce = sleep(0); // made outside any loop: awaited in a task, it yields on its loop
    for (const loop of [new VirtualLoop(), new VirtualLoop()]) {
      const order: string[] = [];
      await run(
        async () => {
          loop.callSoon(() => order.push('callback scheduled first'));
          await yieldOnce;
          order.push('task resumed');
        },
        { loop },
      );
      expect(order).toEqual(['callback scheduled first', 'task resumed']);
    }
  });

  it("yields a sleep(0) made in a plain callback on that callback's loop", async () => {
    const loop = new VirtualLoop();
    const order: string[] = [];
    await loop.runUntilComplete(() => {
      const done = new Future<void>({ loop });
      loop.callSoon(async () => {
        loop.callSoon(() => order.push('callback scheduled first'));
        await sleep(0); // awaited once the callback returned: no task, no callback running
        order.push('resumed');
        done.setResult();
      });
      return done;
    });
    expect(order).toEqual(['callback scheduled first', 'resumed']);
  });
});

describe('cancellation delivered at an await', () => {
  it('throws in a CancelledError with the cancel message and no loop frames in its stack', async () => {
    const caught = await run(
      async () => {
        const sleeper = createTask(async () => {
          try {
            await sleep(1_000);
          } catch (error) {
            return error;
          }
          return null;
        });
        await sleep(0);
        sleeper.cancel('shutting down');
        return await sleeper;
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(caught).toBeInstanceOf(CancelledError);
    expect((caught as CancelledError).message).toBe('shutting down');
    expect((caught as CancelledError).stack).not.toMatch(/Awaiter|continueTick/);
  });

  it('keeps Error.stackTraceLimit as it was', async () => {
    const limit = Error.stackTraceLimit;
    await run(
      async () => {
        const sleeper = createTask(() => sleep(1_000));
        await sleep(0);
        sleeper.cancel();
        await sleeper.then(
          () => {},
          () => {},
        );
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe('the pending-task list (allTasks)', () => {
  it('lists exactly the pending tasks, whatever order they end in', async () => {
    // Each task waits on its own gate; gates open (or tasks are cancelled) in a random order.
    const scenario = fc.array(fc.record({ gate: fc.nat(), cancel: fc.boolean() }), {
      minLength: 1,
      maxLength: 12,
    });
    await fc.assert(
      fc.asyncProperty(scenario, async (steps) => {
        await run(
          async () => {
            const gates = steps.map(() => new Future<void>());
            const tasks: Task<void>[] = gates.map((gate, index) =>
              createTask(() => gate, { name: `t${index}` }),
            );
            await sleep(0);
            const ended = new Set<Task<void>>();
            const order = steps
              .map((step, index) => ({ ...step, index }))
              .sort((a, b) => a.gate - b.gate);
            for (const { index, cancel } of order) {
              const task = tasks[index] as Task<void>;
              if (cancel) task.cancel();
              else (gates[index] as Future<void>).setResult();
              await sleep(0);
              await sleep(0);
              ended.add(task);
              const expected = tasks
                .filter((each) => !ended.has(each))
                .map((each) => each.getName());
              const listed = [...allTasks()]
                .filter((each) => each !== undefined && each.getName().startsWith('t'))
                .map((each) => each.getName());
              expect(listed.sort()).toEqual(expected.sort());
            }
          },
          { loop: new VirtualLoop({ autojump: true }) },
        );
      }),
      { numRuns: 40 },
    );
  });
});
