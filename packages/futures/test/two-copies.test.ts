/*
 * Two copies of coro in one process (issue 11, case 5): the ESM and the CJS build of a
 * package, or two versions of it, each with its own module state. Here the second copy
 * is the same sources evaluated again after `vi.resetModules()`: every module of
 * @coro/loop and @coro/futures is a fresh instance (its own classes, its own module-level
 * variables), as a second build would be. They must share one runtime (DESIGN §2).
 *
 * The packed ESM + CJS builds are checked the same way in tooling/package-check.
 */
import * as firstLoop from '@coro/loop';
import { describe, expect, it, vi } from 'vitest';
import * as first from '../src/index.js';

async function loadSecondCopy() {
  vi.resetModules();
  const loop = (await import('@coro/loop')) as typeof firstLoop;
  const futures = (await import('../src/index.js')) as typeof first;
  return { loop, futures };
}

const second = await loadSecondCopy();

describe('two copies of coro in one process', () => {
  it('are really two copies: their classes differ', () => {
    expect(second.futures.Future).not.toBe(first.Future);
    expect(second.loop.BaseLoop).not.toBe(firstLoop.BaseLoop);
  });

  it("end a timeout around the other copy's sleep in TimeoutError at the deadline", async () => {
    const loop = new firstLoop.VirtualLoop({ autojump: true });

    const outcome = await first.run(
      async () => {
        const error = await first
          .timeout(20, () => second.futures.sleep(1_000))
          .catch((caught: unknown) => caught);
        return { error, at: loop.time() };
      },
      { loop },
    );

    expect(outcome.error).toBeInstanceOf(first.TimeoutError);
    expect(outcome.at).toBe(20);
  });

  it("deliver one copy's task.cancel() at an await on the other copy's Future", async () => {
    const loop = new firstLoop.VirtualLoop({ autojump: true });

    const result = await first.run(
      async () => {
        const reply = new first.Future<string>();
        const waiter = second.futures.createTask(() => reply, { name: 'waiter' });
        await first.sleep(10);
        waiter.cancel('stop waiting');
        const error = await Promise.resolve(waiter).catch((caught: unknown) => caught);
        return { error, cancelled: waiter.cancelled(), replyCancelled: reply.cancelled() };
      },
      { loop },
    );

    expect(result.cancelled).toBe(true);
    expect(result.replyCancelled).toBe(true);
    expect(result.error).toBeInstanceOf(first.CancelledError);
    expect(result.error).toBeInstanceOf(second.futures.CancelledError);
    expect((result.error as Error).message).toBe('stop waiting');
  });

  it('agree on currentTask() and on the running loop', async () => {
    const loop = new firstLoop.VirtualLoop({ autojump: true });

    const seen = await first.run(
      async () => {
        const task = first.currentTask();
        await second.futures.sleep(5);
        return {
          same: second.futures.currentTask() === task && task !== undefined,
          loop: second.loop.getRunningLoop() === loop,
        };
      },
      { loop },
    );

    expect(seen).toEqual({ same: true, loop: true });
    expect(second.loop.getEventLoop()).toBe(firstLoop.getEventLoop());
  });

  it("run() drives the other copy's tasks and cancels those left over", async () => {
    const loop = new firstLoop.VirtualLoop({ autojump: true });
    let leftover: first.Task<unknown> | undefined;

    const total = await first.run(
      async () => {
        const worker = second.futures.createTask(async () => {
          await second.futures.sleep(10);
          return 41;
        });
        leftover = second.futures.createTask(() => second.futures.sleep(60_000));
        expect(first.allTasks()).toContain(worker);
        return (await worker) + 1;
      },
      { loop },
    );

    expect(total).toBe(42);
    expect(leftover?.cancelled()).toBe(true);
  });

  it("report the other copy's unretrieved exceptions when run() ends", async () => {
    const loop = new firstLoop.VirtualLoop({ autojump: true });
    const reports: string[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context.message));

    await first.run(
      async () => {
        second.futures.createTask(
          async () => {
            throw new Error('nobody looks at this');
          },
          { name: 'forgotten' },
        );
        await first.sleep(1);
      },
      { loop },
    );

    expect(reports).toEqual(["Task 'forgotten' exception was never retrieved"]);
  });

  it("recognise each other's errors, futures, tasks and loops with instanceof", async () => {
    const loop = new second.loop.VirtualLoop({ autojump: true });

    await first.run(
      async () => {
        const task = second.futures.createTask(async () => {});
        expect(task).toBeInstanceOf(first.Task);
        expect(task).toBeInstanceOf(first.Future);
        expect(new second.futures.CancelledError('x')).toBeInstanceOf(first.CancelledError);
        expect(new first.TimeoutError()).toBeInstanceOf(second.futures.TimeoutError);
        expect(loop).toBeInstanceOf(firstLoop.BaseLoop);
        expect(new first.Future()).not.toBeInstanceOf(second.futures.Task);
        await task;
      },
      { loop },
    );
  });
});
