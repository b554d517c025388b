/*
 * addLoopShutdownCallback: what run() awaits after cancelling leftover tasks, before
 * closing the loop (asyncio.run's shutdown_default_executor, as a hook).
 */
import { type ExceptionContext, getRunningLoop, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { addLoopShutdownCallback, createTask, Runner, run, sleep } from '../src/index.js';

describe('addLoopShutdownCallback', () => {
  it('runs the callbacks after the leftover tasks are cancelled, in order, each awaited', async () => {
    const trace: string[] = [];

    await run(async () => {
      const loop = getRunningLoop();
      createTask(async () => {
        try {
          await sleep(60_000);
        } finally {
          trace.push('leftover cancelled');
        }
      });
      addLoopShutdownCallback(loop, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        trace.push(`first (loop closed: ${loop.isClosed()})`);
      });
      addLoopShutdownCallback(loop, () => trace.push('second'));
      await sleep(1);
      trace.push('main done');
    });

    expect(trace).toEqual([
      'main done',
      'leftover cancelled',
      'first (loop closed: false)',
      'second',
    ]);
  });

  it('runs each callback once, also on a loop given to run()', async () => {
    const loop = new VirtualLoop({ autojump: true });
    let calls = 0;
    addLoopShutdownCallback(loop, () => calls++);

    await run(async () => {}, { loop });
    await run(async () => {}, { loop });

    expect(calls).toBe(1);
  });

  it('does not run a callback that was unregistered', async () => {
    const loop = new VirtualLoop({ autojump: true });
    let calls = 0;
    const unregister = addLoopShutdownCallback(loop, () => calls++);

    unregister();
    await run(async () => {}, { loop });

    expect(calls).toBe(0);
  });

  it("reports a failing callback through the loop's exception handler and runs the next", async () => {
    const loop = new VirtualLoop({ autojump: true });
    const seen: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => {
      seen.push(context);
    });
    const failure = new Error('pool would not close');
    let nextRan = false;
    addLoopShutdownCallback(loop, async () => {
      throw failure;
    });
    addLoopShutdownCallback(loop, () => {
      nextRan = true;
    });

    const runner = new Runner({ loop });
    await runner.run(async () => {});
    await runner.close();

    expect(seen.map((context) => [context.message, context.exception])).toEqual([
      ['a loop shutdown callback failed', failure],
    ]);
    expect(nextRan).toBe(true);
  });

  it('rejects a callback that is not a function', () => {
    expect(() => addLoopShutdownCallback(new VirtualLoop(), 'close' as never)).toThrow(TypeError);
  });
});
