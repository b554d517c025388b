/*
 * run() and Runner: asyncio's test_runners.py behaviour. run(main) runs main as a
 * task, then cancels and awaits leftover tasks, and closes the loop it made.
 */
import {
  type ExceptionContext,
  getRunningLoop,
  type Loop,
  NodeLoop,
  VirtualLoop,
} from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  createTask,
  currentTask,
  Runner,
  run,
  sleep,
  type Task,
} from '../src/index.js';

/** Records what reaches `loop`'s exception handler. */
function collectExceptions(loop: Loop): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => {
    seen.push(context);
  });
  return seen;
}

describe('run', () => {
  it("resolves to main's result", async () => {
    const value = await run(async () => {
      await sleep(1);
      return 'answer';
    });

    expect(value).toBe('answer');
  });

  it("rejects with main's error", async () => {
    const failure = new RangeError('main failed');

    await expect(
      run(async () => {
        await sleep(1);
        throw failure;
      }),
    ).rejects.toBe(failure);
  });

  it('runs main as a task', async () => {
    const isTask = await run(async () => currentTask() !== undefined);

    expect(isTask).toBe(true);
  });

  it('accepts an awaitable as main', async () => {
    expect(await run(Promise.resolve('from a promise'))).toBe('from a promise');
  });

  it('rejects a main that is neither a function nor an awaitable with a TypeError naming main', async () => {
    await expect(run(42 as never)).rejects.toThrow(TypeError);
    await expect(run(42 as never)).rejects.toThrow(
      /^main must be an async function or an awaitable; got 42/,
    );
  });

  it('cancels leftover tasks and awaits them (their finally blocks run) before it resolves', async () => {
    const trace: string[] = [];

    await run(async () => {
      for (const name of ['a', 'b']) {
        createTask(async () => {
          try {
            await sleep(60_000);
          } catch (error) {
            trace.push(`${name} got ${(error as Error).name}`);
            throw error;
          } finally {
            await sleep(1); // cleanup that itself awaits
            trace.push(`${name} finally done`);
          }
        });
      }
      await sleep(0);
      trace.push('main returns');
    });
    trace.push('run resolved');

    expect(trace).toEqual([
      'main returns',
      'a got CancelledError',
      'b got CancelledError',
      'a finally done',
      'b finally done',
      'run resolved',
    ]);
  });

  it('cancels leftover tasks even when main fails', async () => {
    const trace: string[] = [];
    const failure = new Error('main failed');

    const outcome = run(async () => {
      createTask(async () => {
        try {
          await sleep(60_000);
        } finally {
          trace.push('leftover cleaned up');
        }
      });
      await sleep(0);
      throw failure;
    });

    await expect(outcome).rejects.toBe(failure);
    expect(trace).toEqual(['leftover cleaned up']);
  });

  it('waits for a leftover task that catches the cancellation and finishes its work', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        createTask(async () => {
          try {
            await sleep(60_000);
          } catch {
            currentTask()?.uncancel();
            await sleep(500);
            trace.push(`finished its work at ${loop.time()}`);
          }
        });
        await sleep(0);
      },
      { loop },
    );

    expect(trace).toEqual(['finished its work at 500']);
  });

  it('reports a leftover task failing with a non-cancel error during shutdown to the exception handler', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const seen = collectExceptions(loop);
    const failure = new Error('cleanup failed');

    const value = await run(
      async () => {
        createTask(
          async () => {
            try {
              await sleep(60_000);
            } catch {
              throw failure;
            }
          },
          { name: 'leftover' },
        );
        await sleep(0);
        return 'main result';
      },
      { loop },
    );

    expect(value).toBe('main result');
    const reports = seen.filter((context) => context.exception === failure);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toBe('unhandled exception during run() shutdown');
    expect((reports[0]?.task as Task | undefined)?.getName()).toBe('leftover');
  });

  it('throws a clear error when called inside a task', async () => {
    const error = await run(async () => {
      try {
        await run(async () => 'nested');
        return undefined;
      } catch (caught) {
        return caught;
      }
    });

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^run\(\) cannot be called from a running task/);
  });

  it('makes a new loop and closes it afterwards', async () => {
    let used: Loop | undefined;

    await run(async () => {
      used = getRunningLoop();
    });

    expect(used).toBeInstanceOf(NodeLoop);
    expect(used?.isClosed()).toBe(true);
  });

  it('runs on the loop given in { loop } and leaves it open', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const used = await run(async () => ({ loop: getRunningLoop() }), { loop });

    expect(used.loop).toBe(loop);
    expect(loop.isClosed()).toBe(false);
    expect(loop.isRunning()).toBe(false);
  });

  it('turns the loop debug mode on with { debug: true }', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const debugInside = await run(async () => getRunningLoop().getDebug(), { debug: true, loop });
    const defaultDebug = await run(async () => getRunningLoop().getDebug());

    expect(debugInside).toBe(true);
    expect(defaultDebug).toBe(false);
  });

  it('rejects options of the wrong type with a TypeError naming the option', async () => {
    await expect(run(async () => {}, { debug: 'yes' as never })).rejects.toThrow(
      /^options\.debug must be a boolean; got "yes"/,
    );
    await expect(run(async () => {}, { loop: {} as never })).rejects.toThrow(
      /^options\.loop must be a coro loop \(a BaseLoop\); got an object/,
    );
    await expect(run(async () => {}, { handleSignals: 1 as never })).rejects.toThrow(
      /^options\.handleSignals must be a boolean; got 1/,
    );
    await expect(run(async () => {}, 'fast' as never)).rejects.toThrow(TypeError);
  });

  it('listens to SIGINT and SIGTERM only while it waits for main, and not with handleSignals: false', async () => {
    const listening = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const before = listening();

    const during = await run(async () => listening());
    const duringOptedOut = await run(async () => listening(), { handleSignals: false });

    expect(during).toEqual(before.map((count) => (count === 0 ? 1 : count)));
    expect(duringOptedOut).toEqual(before);
    expect(listening()).toEqual(before);
  });
});

describe('Runner', () => {
  it('runs several mains on one loop', async () => {
    const runner = new Runner({ loop: new VirtualLoop({ autojump: true }) });

    const first = await runner.run(async () => ({ loop: getRunningLoop(), value: 'first' }));
    const second = await runner.run(async () => ({ loop: getRunningLoop(), value: 'second' }));
    await runner.close();

    expect([first.value, second.value]).toEqual(['first', 'second']);
    expect(second.loop).toBe(first.loop);
  });

  it('keeps tasks of one run alive into the next, and cancels what is left on close()', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const runner = new Runner({ loop });
    const trace: string[] = [];

    await runner.run(async () => {
      createTask(async () => {
        try {
          for (;;) {
            await sleep(10);
            trace.push(`tick at ${loop.time()}`);
          }
        } catch (error) {
          trace.push(`background ${(error as Error).name}`);
          throw error;
        }
      });
    });
    await runner.run(() => sleep(25));
    await runner.close();

    expect(trace).toEqual(['tick at 10', 'tick at 20', 'background CancelledError']);
  });

  it('closes the loop it made, and close() is idempotent', async () => {
    const runner = new Runner();
    const loop = runner.getLoop();
    await runner.run(async () => 'ran');

    await runner.close();
    await runner.close();

    expect(loop.isClosed()).toBe(true);
  });

  it('throws when run after close()', async () => {
    const runner = new Runner();
    await runner.run(async () => {});
    await runner.close();

    await expect(runner.run(async () => {})).rejects.toThrow(/Runner is closed/);
    expect(() => runner.getLoop()).toThrow(/Runner is closed/);
  });

  it('leaves a loop given in options open on close()', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const runner = new Runner({ loop });
    await runner.run(async () => {});

    await runner.close();

    expect(loop.isClosed()).toBe(false);
  });

  it('closes when used with `await using`', async () => {
    let loop: Loop | undefined;
    {
      await using runner = new Runner();
      loop = runner.getLoop();
      await runner.run(async () => {});
    }

    expect(loop.isClosed()).toBe(true);
  });

  it('rejects a second run() while the first is still running', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const runner = new Runner({ loop });

    const first = runner.run(() => sleep(10, 'first'));
    const second = runner.run(async () => 'second');

    await expect(second).rejects.toThrow(/already running/);
    expect(await first).toBe('first');
    await runner.close();
  });

  it("rejects run() with main's CancelledError when main is cancelled", async () => {
    const runner = new Runner({ loop: new VirtualLoop({ autojump: true }) });

    const outcome = runner.run(async () => {
      currentTask()?.cancel('main cancelled');
      await sleep(0);
    });

    await expect(outcome).rejects.toBeInstanceOf(CancelledError);
    await expect(outcome).rejects.toThrow('main cancelled');
    await runner.close();
  });
});
