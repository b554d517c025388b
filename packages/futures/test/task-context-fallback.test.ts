/*
 * The current task without AsyncLocalStorage (a browser): task-context tracks the task
 * whose step is running by hand. This file hides `node:async_hooks` before @coro/futures
 * is first evaluated (vitest gives each test file its own module graph), so every test
 * below runs on that fallback tracker, on BrowserLoop (the browser's loop, which Node can
 * also run) and on VirtualLoop.
 */
import { describe, expect, it } from 'vitest';

type BuiltinLoader = (id: string) => unknown;
const host = process as unknown as { getBuiltinModule: BuiltinLoader };
const getBuiltinModule = host.getBuiltinModule;
host.getBuiltinModule = (id) =>
  id === 'node:async_hooks' || id === 'async_hooks' ? undefined : getBuiltinModule(id);
const { BrowserLoop, VirtualLoop } = await import('@coro/loop');
const { CancelledError, createTask, currentTask, Future, run, sleep } = await import(
  '../src/index.js'
);
const { tracksAcrossForeignAwaits } = await import('../src/task-context.js');
host.getBuiltinModule = getBuiltinModule;

const loops = [
  ['BrowserLoop', () => new BrowserLoop()],
  ['VirtualLoop', () => new VirtualLoop({ autojump: true })],
] as const;

describe('the current task without AsyncLocalStorage', () => {
  it('is the fallback tracker in this file', () => {
    expect(tracksAcrossForeignAwaits).toBe(false);
  });

  describe.each(loops)('on %s', (_name, makeLoop) => {
    it('is the task in its code after each coro await', async () => {
      const seen = await run(
        async () => {
          const worker = createTask(
            async () => {
              const names = [currentTask()?.getName()];
              await sleep(1);
              names.push(currentTask()?.getName());
              await sleep(0);
              names.push(currentTask()?.getName());
              return names;
            },
            { name: 'worker' },
          );
          return await worker;
        },
        { loop: makeLoop() },
      );

      expect(seen).toEqual(['worker', 'worker', 'worker']);
    });

    it('runs an eager task created inside a task without stalling its parent', async () => {
      const trace = await run(
        async () => {
          currentTask()?.setName('parent');
          const steps: string[] = [];
          const child = createTask(
            async () => {
              steps.push(`child starts in ${currentTask()?.getName()}`);
              await sleep(1);
              steps.push(`child resumes in ${currentTask()?.getName()}`);
              return 'child done';
            },
            { name: 'child', eager: true },
          );
          await sleep(0);
          steps.push(`parent resumes in ${currentTask()?.getName()}`);
          steps.push(await child);
          return steps;
        },
        { loop: makeLoop() },
      );

      // Without AsyncLocalStorage an eager task inside a task starts on the next iteration.
      expect(trace).toEqual([
        'child starts in child',
        'parent resumes in parent',
        'child resumes in child',
        'child done',
      ]);
    });

    it('delivers cancel() at the coro Future the task awaits, after an earlier await', async () => {
      const outcome = await run(
        async () => {
          const reply = new Future<string>({ name: 'reply' });
          const waiting = new Future<void>({ name: 'waiting' });
          const trace: string[] = [];
          const waiter = createTask(async () => {
            await sleep(1); // the await below runs in a resumed step, not the first one
            waiting.setResult();
            try {
              await reply;
            } catch (error) {
              trace.push(`${(error as Error).name} '${(error as Error).message}'`);
              throw error;
            }
          });
          // Resumes after the waiter's step suspended at `await reply` (not on a clock: a
          // loaded machine once woke this task first, and the cancel hit the sleep instead).
          await waiting;
          waiter.cancel('stop waiting');
          await sleep(0);
          return { trace, replyCancelled: reply.cancelled(), waiterCancelled: waiter.cancelled() };
        },
        { loop: makeLoop() },
      );

      expect(outcome.replyCancelled).toBe(true);
      expect(outcome.waiterCancelled).toBe(true);
      expect(outcome.trace).toEqual(["CancelledError 'stop waiting'"]);
    });

    it('throws CancelledError into a task sleeping in its first await', async () => {
      const error = await run(
        async () => {
          const sleeper = createTask(() => sleep(3_600_000));
          await sleep(0);
          sleeper.cancel('wake up');
          return await Promise.resolve(sleeper).catch((caught: unknown) => caught);
        },
        { loop: makeLoop() },
      );

      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).message).toBe('wake up');
    });

    it('is undefined in plain loop callbacks between task steps', async () => {
      const seen = await run(
        async () => {
          const names: (string | undefined)[] = [];
          const worker = createTask(async () => {
            await sleep(1);
            await sleep(1);
          });
          const loop = worker.getLoop();
          loop.callLater(1, () => names.push(currentTask()?.getName()));
          loop.callLater(2, () => names.push(currentTask()?.getName()));
          await worker;
          return names;
        },
        { loop: makeLoop() },
      );

      expect(seen).toEqual([undefined, undefined]);
    });
  });
});
