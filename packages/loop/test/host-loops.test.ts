/*
 * What every loop driven by a real host clock does, whatever wakes it: NodeLoop
 * (setImmediate + setTimeout), BrowserLoop on a MessageChannel (Node's own, which behaves
 * as a browser's), and BrowserLoop without one (setTimeout(0)). What only one kind does
 * lives in node-loop.test.ts and browser-loop.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type BaseLoop,
  BrowserLoop,
  type ExceptionContext,
  NodeLoop,
  type TimerHandle,
} from '../src/index.js';

interface LoopKind {
  name: string;
  create: () => BaseLoop;
  /** Globals the host lacks for this kind (stubbed as undefined). */
  missingGlobals: string[];
}

const loopKinds: LoopKind[] = [
  { name: 'NodeLoop', create: () => new NodeLoop(), missingGlobals: [] },
  { name: 'BrowserLoop on a MessageChannel', create: () => new BrowserLoop(), missingGlobals: [] },
  {
    name: 'BrowserLoop without a MessageChannel',
    create: () => new BrowserLoop(),
    missingGlobals: ['MessageChannel', 'setImmediate'],
  },
];

describe.each(loopKinds)('$name', ({ create, missingGlobals }) => {
  const loops: BaseLoop[] = [];
  const newLoop = (): BaseLoop => {
    const loop = create();
    loops.push(loop);
    return loop;
  };

  beforeEach(() => {
    for (const name of missingGlobals) vi.stubGlobal(name, undefined);
  });
  afterEach(() => {
    for (const loop of loops.splice(0)) if (!loop.isClosed()) loop.close();
    vi.unstubAllGlobals();
  });

  it('runs callSoon callbacks FIFO, with their arguments, without being started', async () => {
    const loop = newLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => trace.push('a'));
      loop.callSoon((value: string) => trace.push(value), 'b');
      loop.callSoon(resolve);
    });

    expect(trace).toEqual(['a', 'b']);
    expect(loop.isRunning()).toBe(false);
  });

  it('fires timers in deadline order, ties in scheduling order', async () => {
    const loop = newLoop();
    const trace: string[] = [];
    const base = loop.time();

    await new Promise<void>((resolve) => {
      loop.callAt(base + 30, () => {
        trace.push('late');
        resolve();
      });
      loop.callAt(base + 5, () => trace.push('first'));
      loop.callAt(base + 5, () => trace.push('second'));
      loop.callAt(base + 1, () => trace.push('earliest'));
    });

    expect(trace).toEqual(['earliest', 'first', 'second', 'late']);
  });

  it('never fires a timer before its deadline on the loop clock', async () => {
    const loop = newLoop();
    const delays = [0, 0.3, 1, 1.5, 2.7, 4, 7.25, 12];
    const handles: TimerHandle[] = [];

    const firedAt = await Promise.all(
      delays.map(
        (delayMs) =>
          new Promise<number>((resolve) => {
            handles.push(loop.callLater(delayMs, () => resolve(loop.time())));
          }),
      ),
    );

    for (const [index, handle] of handles.entries()) {
      expect(firedAt[index]).toBeGreaterThanOrEqual(handle.when());
    }
  });

  it('re-arms for an earlier timer scheduled after a later one', async () => {
    const loop = newLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callLater(40, () => {
        trace.push('late');
        resolve();
      });
      loop.callLater(1, () => trace.push('early'));
    });

    expect(trace).toEqual(['early', 'late']);
  });

  it('fires timers scheduled from inside a callback', async () => {
    const loop = newLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => {
        trace.push('callback');
        loop.callLater(2, () => {
          trace.push('timer');
          resolve();
        });
      });
    });

    expect(trace).toEqual(['callback', 'timer']);
  });

  it('keeps the iteration order of every loop: A, B, T, C (CPython _run_once)', async () => {
    const loop = newLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => {
        trace.push('A');
        loop.callLater(0, () => trace.push('T'));
        loop.callSoon(() => {
          trace.push('B');
          loop.callSoon(() => {
            trace.push('C');
            resolve();
          });
        });
      });
    });

    expect(trace).toEqual(['A', 'B', 'T', 'C']);
  });

  it('never fires a cancelled timer', async () => {
    const loop = newLoop();
    const trace: string[] = [];

    loop.callLater(1, () => trace.push('cancelled')).cancel();
    await new Promise<void>((resolve) => loop.callLater(10, resolve));

    expect(trace).toEqual([]);
  });

  it('reports an exception from a callback and keeps running', async () => {
    const loop = newLoop();
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));

    await new Promise<void>((resolve) => {
      loop.callSoon(function failing() {
        throw new Error('boom');
      });
      loop.callLater(1, resolve);
    });

    expect(reports.map((report) => report.message)).toEqual([expect.stringContaining('failing')]);
  });

  it('runUntilComplete resolves once a timer settles the awaitable', async () => {
    const loop = newLoop();

    const result = await loop.runUntilComplete(
      new Promise<string>((resolve) => loop.callLater(5, resolve, 'timer value')),
    );

    expect(result).toBe('timer value');
    expect(loop.isRunning()).toBe(false);
  });

  it('waits quietly for a timer beyond setTimeout’s 2^31-1 ms limit (no wake-up spin, no TimeoutOverflowWarning)', async () => {
    const loop = newLoop();
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    const thirtyDays = 30 * 86_400_000;
    const handle = loop.callLater(thirtyDays, () => {});

    try {
      await new Promise((resolve) => setTimeout(resolve, 50));

      // A wake-up now and then is harmless; one every millisecond is a spin.
      expect(loop.tickCount).toBeLessThan(5);
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      handle.cancel();
      process.off('warning', onWarning);
    }
  });

  it('drops its timers and ready callbacks on close(): none runs', async () => {
    const loop = newLoop();
    const trace: string[] = [];
    loop.callLater(1, () => trace.push('timer'));
    loop.callSoon(() => trace.push('soon'));

    loop.close();
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(trace).toEqual([]);
    expect(loop.isClosed()).toBe(true);
  });
});
