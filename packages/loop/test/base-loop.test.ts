import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ExceptionContext,
  Handle,
  type Loop,
  LoopClosedError,
  TimerHandle,
  VirtualLoop,
} from '../src/index.js';

/** Resolves after one real macrotask (the loop's own ticks are macrotasks). */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A loop whose exception handler records every context it receives. */
function recordingLoop(options?: ConstructorParameters<typeof VirtualLoop>[0]): {
  loop: VirtualLoop;
  reports: ExceptionContext[];
} {
  const loop = new VirtualLoop(options);
  const reports: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => reports.push(context));
  return { loop, reports };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('callSoon', () => {
  it('runs callbacks in FIFO order, with their arguments', async () => {
    const loop = new VirtualLoop();
    const trace: unknown[] = [];
    loop.callSoon((a: string, b: number) => trace.push([a, b]), 'first', 1);
    loop.callSoon(() => trace.push('second'));
    loop.callSoon((value: null) => trace.push(value), null);

    await loop.advance(0);

    expect(trace).toEqual([['first', 1], 'second', null]);
  });

  it('never runs the callback synchronously', () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];

    loop.callSoon(() => trace.push('ran'));

    expect(trace).toEqual([]);
  });

  it('returns a Handle whose cancel() keeps the callback from running', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];

    const handle = loop.callSoon(() => trace.push('cancelled'));
    loop.callSoon(() => trace.push('kept'));
    handle.cancel();
    await loop.advance(0);

    expect(handle).toBeInstanceOf(Handle);
    expect(handle.cancelled()).toBe(true);
    expect(trace).toEqual(['kept']);
  });

  it('runs a callback cancelled by an earlier one of the same iteration never', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    let later: Handle | undefined;
    loop.callSoon(() => {
      trace.push('first');
      later?.cancel();
    });
    later = loop.callSoon(() => trace.push('cancelled'));

    await loop.advance(0);

    expect(trace).toEqual(['first']);
  });

  it('runs callbacks scheduled during an iteration in the next one, after the timers due by then (CPython _run_once)', async () => {
    // CPython 3.13 prints A, B, T, C for the same program: T became due at the
    // start of the second iteration, C was scheduled during it.
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => {
      trace.push('A');
      loop.callLater(0, () => trace.push('T'));
      loop.callSoon(() => {
        trace.push('B');
        loop.callSoon(() => trace.push('C'));
      });
    });

    await loop.advance(0);

    expect(trace).toEqual(['A', 'B', 'T', 'C']);
  });

  it('lets a due timer in after one iteration of a callback storm (no starvation)', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    let remaining = 10_000;
    const storm = (): void => {
      trace.push('storm');
      if (--remaining > 0) loop.callSoon(storm);
    };
    loop.callSoon(storm);
    loop.callSoon(() => loop.callLater(0, () => trace.push('timer')));

    await loop.advance(0);

    // Iteration 1: storm, scheduler. Iteration 2: storm (queued in 1), then the timer.
    expect(trace.indexOf('timer')).toBe(2);
    expect(trace.length).toBe(10_001);
  });
});

describe('callLater and callAt', () => {
  it('runs due timers in deadline order, ties in scheduling order', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callLater(20, () => trace.push('late'));
    loop.callAt(10, () => trace.push('first'));
    loop.callLater(10, () => trace.push('second'));
    loop.callAt(10, () => trace.push('third'));
    loop.callLater(5, () => trace.push('early'));

    await loop.advance(20);

    expect(trace).toEqual(['early', 'first', 'second', 'third', 'late']);
  });

  it('returns a TimerHandle whose when() is exactly loop.time() + delayMs, not rounded', () => {
    const loop = new VirtualLoop({ start: 0.1 });

    const handle = loop.callLater(0.2, () => {});

    expect(handle).toBeInstanceOf(TimerHandle);
    expect(handle.when()).toBe(0.1 + 0.2); // 0.30000000000000004
    expect(loop.callAt(12.345, () => {}).when()).toBe(12.345);
  });

  it('runs callLater(0) after the callbacks that were already ready (CPython order)', async () => {
    // CPython 3.13: call_later(0, x); call_soon(a); call_soon(b) runs a, b, x.
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callLater(0, () => trace.push('later0'));
    loop.callSoon(() => trace.push('a'));
    loop.callSoon(() => trace.push('b'));

    await loop.advance(0);

    expect(trace).toEqual(['a', 'b', 'later0']);
  });

  it('does not run a timer before its deadline', async () => {
    const loop = new VirtualLoop();
    const trace: number[] = [];
    loop.callLater(10, () => trace.push(loop.time()));

    await loop.advance(9.999);
    expect(trace).toEqual([]);
    await loop.advance(0.001);

    expect(trace).toEqual([loop.time()]);
    expect(trace[0]).toBeGreaterThanOrEqual(10);
  });

  it('runs a timer set in the past on the next iteration', async () => {
    const loop = new VirtualLoop({ start: 100 });
    const trace: number[] = [];
    loop.callAt(-5, () => trace.push(loop.time()));

    await loop.advance(0);

    expect(trace).toEqual([100]);
  });

  it('passes the arguments to the timer callback', async () => {
    const loop = new VirtualLoop();
    const trace: unknown[] = [];
    loop.callLater(1, (a: string, b: number) => trace.push(a, b), 'x', 2);
    loop.callAt(1, (a: string) => trace.push(a), 'y');

    await loop.advance(1);

    expect(trace).toEqual(['x', 2, 'y']);
  });

  it('never runs a cancelled timer', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callLater(5, () => trace.push('cancelled')).cancel();
    loop.callLater(5, () => trace.push('kept'));

    await loop.advance(10);

    expect(trace).toEqual(['kept']);
  });

  it('never runs a due timer cancelled by a timer that ran before it (CPython order)', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    let second: TimerHandle | undefined;
    loop.callLater(10, () => {
      trace.push('first');
      second?.cancel();
    });
    second = loop.callLater(10, () => trace.push('second'));

    await loop.advance(10);

    expect(trace).toEqual(['first']);
  });
});

describe('exceptions in callbacks', () => {
  it('go to the exception handler with the callback named, and later callbacks still run', async () => {
    const { loop, reports } = recordingLoop();
    const trace: string[] = [];
    const error = new Error('boom');
    const failingCallback = (): never => {
      throw error;
    };
    loop.callSoon(() => trace.push('before'));
    const handle = loop.callSoon(failingCallback);
    loop.callSoon(() => trace.push('after'));

    await loop.advance(0);

    expect(trace).toEqual(['before', 'after']);
    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toContain('failingCallback');
    expect(reports[0]?.exception).toBe(error);
    expect(reports[0]?.handle).toBe(handle);
  });

  it('never stop the loop: timers and later iterations still run', async () => {
    const { loop, reports } = recordingLoop();
    const trace: string[] = [];
    loop.callLater(1, function failingTimer() {
      throw new TypeError('timer failed');
    });
    loop.callLater(1, () => {
      trace.push('same deadline');
      loop.callSoon(() => trace.push('next iteration'));
    });
    loop.callLater(2, () => trace.push('later timer'));

    await loop.advance(2);

    expect(trace).toEqual(['same deadline', 'next iteration', 'later timer']);
    expect(reports.map((report) => report.message)).toEqual([
      expect.stringContaining('failingTimer'),
    ]);
    expect(reports[0]?.exception).toBeInstanceOf(TypeError);
  });

  it('are delivered as thrown, even when not Errors', async () => {
    const { loop, reports } = recordingLoop();
    loop.callSoon(() => {
      throw 'a string';
    });

    await loop.advance(0);

    expect(reports[0]?.exception).toBe('a string');
  });

  it('pass the loop itself to the handler', async () => {
    const loop = new VirtualLoop();
    const loops: Loop[] = [];
    loop.setExceptionHandler((receivingLoop) => loops.push(receivingLoop));
    loop.callSoon(() => {
      throw new Error('boom');
    });

    await loop.advance(0);

    expect(loops).toEqual([loop]);
  });

  it('go to console.error through the default handler when none is set', async () => {
    const loop = new VirtualLoop();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    loop.callSoon(function explode() {
      throw new Error('default handler sees this');
    });

    await loop.advance(0);

    expect(consoleError).toHaveBeenCalledTimes(1);
    const written = String(consoleError.mock.calls[0]?.[0]);
    expect(written).toContain('explode');
    expect(written).toContain('default handler sees this');
  });

  it('reach the default handler when the exception handler itself throws, and the loop goes on', async () => {
    const loop = new VirtualLoop();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const trace: string[] = [];
    loop.setExceptionHandler(() => {
      throw new Error('handler broke');
    });
    loop.callSoon(() => {
      throw new Error('callback broke');
    });
    loop.callSoon(() => trace.push('still running'));

    await loop.advance(0);

    expect(trace).toEqual(['still running']);
    expect(consoleError).toHaveBeenCalledTimes(1);
    const written = String(consoleError.mock.calls[0]?.[0]);
    expect(written).toContain('Unhandled error in the exception handler');
    expect(written).toContain('handler broke');
  });
});

describe('exception handler', () => {
  it('is null until set, and setExceptionHandler(null) restores the default', async () => {
    const loop = new VirtualLoop();
    const handler = vi.fn();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});

    expect(loop.getExceptionHandler()).toBeNull();
    loop.setExceptionHandler(handler);
    expect(loop.getExceptionHandler()).toBe(handler);
    loop.setExceptionHandler(null);
    expect(loop.getExceptionHandler()).toBeNull();
    loop.callExceptionHandler({ message: 'after reset' });

    expect(handler).not.toHaveBeenCalled();
    expect(consoleError).toHaveBeenCalledTimes(1);
  });

  it('rejects a handler that is not a function with a TypeError naming handler', () => {
    const loop = new VirtualLoop();

    expect(() => loop.setExceptionHandler('log' as never)).toThrow(TypeError);
    expect(() => loop.setExceptionHandler('log' as never)).toThrow(/handler must be a function/);
  });

  it('receives what callExceptionHandler is given', () => {
    const { loop, reports } = recordingLoop();
    const context: ExceptionContext = { message: 'a future was never retrieved', future: 'f1' };

    loop.callExceptionHandler(context);

    expect(reports).toEqual([context]);
  });

  it('writes the message, the other fields and the stack with defaultExceptionHandler', () => {
    const loop = new VirtualLoop();
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    const error = new RangeError('out of range');

    loop.defaultExceptionHandler({ message: 'something failed', exception: error, task: 'main' });

    expect(consoleError).toHaveBeenCalledTimes(1);
    const written = String(consoleError.mock.calls[0]?.[0]);
    expect(written.split('\n')[0]).toBe('something failed');
    expect(written).toContain('task: main');
    expect(written).toContain('RangeError: out of range');
  });
});

describe('what the default exception handler prints (issue 11, case 14)', () => {
  /** What one defaultExceptionHandler call wrote to console.error. */
  function printed(loop: VirtualLoop, context: ExceptionContext): string {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
    loop.callExceptionHandler(context);
    expect(consoleError).toHaveBeenCalledTimes(1);
    return String(consoleError.mock.calls[0]?.[0]);
  }

  it('prints every inner error of an AggregateError-style group, nested groups indented', () => {
    const loop = new VirtualLoop();
    const inner = new AggregateError(
      [new TypeError('second, inside'), new RangeError('third, inside')],
      'nested group',
    );
    const group = new AggregateError(
      [new Error('first'), inner],
      'unhandled errors in a TaskGroup',
    );

    const text = printed(loop, { message: 'Task exception was never retrieved', exception: group });
    const lines = text.split('\n');

    expect(lines[0]).toBe('Task exception was never retrieved');
    expect(lines).toContain('AggregateError: unhandled errors in a TaskGroup (2 sub-exceptions)');
    expect(lines).toContain('+-+---------------- 1 ----------------');
    expect(lines).toContain('  | Error: first');
    expect(lines).toContain('  +---------------- 2 ----------------');
    expect(lines).toContain('  | AggregateError: nested group (2 sub-exceptions)');
    expect(lines).toContain('  +-+---------------- 1 ----------------');
    expect(lines).toContain('    | TypeError: second, inside');
    expect(lines).toContain('    +---------------- 2 ----------------');
    expect(lines).toContain('    | RangeError: third, inside');
    expect(text.indexOf('first')).toBeLessThan(text.indexOf('second, inside'));
    expect(text.indexOf('second, inside')).toBeLessThan(text.indexOf('third, inside'));
    expect(text).toMatch(/\| {5}at /); // inner stacks are printed, under their error
  });

  it("prints both the original error and the handler's own when a handler throws", () => {
    const loop = new VirtualLoop();
    loop.setExceptionHandler(() => {
      throw new Error('the handler broke');
    });

    const text = printed(loop, {
      message: 'Task exception was never retrieved',
      exception: new RangeError('the original failure'),
    });

    expect(text.split('\n')[0]).toBe('Unhandled error in the exception handler');
    expect(text).toContain('context: Task exception was never retrieved');
    expect(text).toContain('RangeError: the original failure');
    expect(text).toContain('Error: the handler broke');
    expect(text.indexOf('the original failure')).toBeLessThan(text.indexOf('the handler broke'));
  });

  it("prints the error's cause under it", () => {
    const loop = new VirtualLoop();
    const error = new Error('request failed', { cause: new Error('socket hang up') });

    const text = printed(loop, { message: 'failed', exception: error });

    expect(text).toContain('Error: request failed');
    expect(text).toContain('[cause]: Error: socket hang up');
  });
});

describe('debug mode', () => {
  it('is off by default and follows setDebug', () => {
    const loop = new VirtualLoop();

    expect(loop.getDebug()).toBe(false);
    loop.setDebug(true);
    expect(loop.getDebug()).toBe(true);
    loop.setDebug(false);
    expect(loop.getDebug()).toBe(false);
  });

  it('has a slowCallbackDuration of 100 ms by default', () => {
    expect(new VirtualLoop().slowCallbackDuration).toBe(100);
  });

  it('reports a callback slower than slowCallbackDuration, with its name, duration and creation stack', async () => {
    const { loop, reports } = recordingLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 0; // every callback takes at least 0 ms
    const handle = loop.callSoon(function slowCallback() {});

    await loop.advance(0);

    expect(reports).toHaveLength(1);
    expect(reports[0]?.message).toMatch(/slowCallback took [\d.]+ ms/);
    expect(reports[0]?.handle).toBe(handle);
    expect(reports[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(String(reports[0]?.createdAt)).toContain('base-loop.test.ts');
  });

  it('reports slow timer callbacks too', async () => {
    const { loop, reports } = recordingLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 0;
    loop.callLater(5, function slowTimer() {});

    await loop.advance(5);

    expect(reports.map((report) => report.message)).toEqual([expect.stringContaining('slowTimer')]);
  });

  it('does not report callbacks faster than slowCallbackDuration', async () => {
    const { loop, reports } = recordingLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = 60_000;
    loop.callSoon(() => {});

    await loop.advance(0);

    expect(reports).toEqual([]);
  });

  it('reports no slow callbacks when debug mode is off', async () => {
    const { loop, reports } = recordingLoop();
    loop.slowCallbackDuration = 0;
    loop.callSoon(function slowCallback() {});

    await loop.advance(0);

    expect(reports).toEqual([]);
  });

  it('still reports an exception from a callback', async () => {
    const { loop, reports } = recordingLoop();
    loop.setDebug(true);
    const error = new Error('boom in debug');
    loop.callSoon(function failingCallback() {
      throw error;
    });

    await loop.advance(0);

    const exceptionReports = reports.filter((report) => report.exception !== undefined);
    expect(exceptionReports).toHaveLength(1);
    expect(exceptionReports[0]?.exception).toBe(error);
    expect(exceptionReports[0]?.message).toContain('failingCallback');
  });
});

describe('runUntilComplete', () => {
  it("resolves to an awaitable's result", async () => {
    const loop = new VirtualLoop();

    await expect(loop.runUntilComplete(Promise.resolve(42))).resolves.toBe(42);
  });

  it("resolves to a function's result", async () => {
    const loop = new VirtualLoop();

    await expect(loop.runUntilComplete(async () => 'done')).resolves.toBe('done');
    await expect(loop.runUntilComplete(() => 7 as unknown as PromiseLike<number>)).resolves.toBe(7);
  });

  it('rejects with the error of the awaitable or of the function', async () => {
    const loop = new VirtualLoop();
    const error = new Error('main failed');

    await expect(loop.runUntilComplete(Promise.reject(error))).rejects.toBe(error);
    await expect(
      loop.runUntilComplete(() => {
        throw error;
      }),
    ).rejects.toBe(error);
  });

  it("runs the loop's callbacks and timers while it waits", async () => {
    const loop = new VirtualLoop({ autojump: true });

    const result = await loop.runUntilComplete(
      new Promise<string>((resolve) => loop.callLater(3_600_000, resolve, 'an hour later')),
    );

    expect(result).toBe('an hour later');
    expect(loop.time()).toBe(3_600_000);
  });

  it('marks the loop running until it settles, whether it resolves or rejects', async () => {
    const loop = new VirtualLoop();
    let release!: () => void;
    const pending = new Promise<void>((resolve) => {
      release = resolve;
    });

    expect(loop.isRunning()).toBe(false);
    const outcome = loop.runUntilComplete(pending);
    expect(loop.isRunning()).toBe(true);
    release();
    await outcome;
    expect(loop.isRunning()).toBe(false);

    await loop.runUntilComplete(Promise.reject(new Error('x'))).catch(() => {});
    expect(loop.isRunning()).toBe(false);
  });

  it('rejects with an Error when the loop is already running', async () => {
    const loop = new VirtualLoop();
    let release!: () => void;
    const first = loop.runUntilComplete(new Promise<void>((resolve) => (release = resolve)));

    await expect(loop.runUntilComplete(Promise.resolve(1))).rejects.toThrow(/already running/);
    await expect(loop.runForever()).rejects.toThrow(/already running/);

    release();
    await first;
  });

  it('rejects something that is neither awaitable nor a function with a TypeError naming awaitableOrFn', async () => {
    const loop = new VirtualLoop();

    for (const bad of [42, null, undefined, { then: 'not a function' }, 'main']) {
      await expect(loop.runUntilComplete(bad as never)).rejects.toThrow(TypeError);
      await expect(loop.runUntilComplete(bad as never)).rejects.toThrow(/awaitableOrFn/);
    }
    expect(loop.isRunning()).toBe(false);
  });
});

describe('runForever and stop', () => {
  it('runs until stop() is called, marked running meanwhile', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => trace.push('one'));
    loop.callSoon(() => loop.callSoon(() => loop.stop()));

    const running = loop.runForever();
    expect(loop.isRunning()).toBe(true);
    await running;

    expect(trace).toEqual(['one']);
    expect(loop.isRunning()).toBe(false);
  });

  it('ends after the current iteration: the rest of it runs, callbacks it scheduled do not (CPython)', async () => {
    // CPython 3.13: stop() in a callback lets the rest of that iteration run;
    // what the iteration scheduled waits for the next run.
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => {
      trace.push('stopper');
      loop.stop();
      loop.callSoon(() => trace.push('next iteration'));
    });
    loop.callSoon(() => trace.push('same iteration'));

    await loop.runForever();

    expect(trace).toEqual(['stopper', 'same iteration']);
  });

  it('called before runForever, runs one iteration and returns (CPython)', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => {
      trace.push('1');
      loop.callSoon(() => trace.push('2'));
    });

    loop.stop();
    await loop.runForever();

    expect(trace).toEqual(['1']);
  });

  it('returns when stop() comes from outside the loop', async () => {
    const loop = new VirtualLoop();

    const running = loop.runForever();
    setImmediate(() => loop.stop());
    await running;

    expect(loop.isRunning()).toBe(false);
  });

  it('can run again after a stop', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];

    loop.callSoon(() => {
      trace.push('first run');
      loop.stop();
    });
    await loop.runForever();
    loop.callSoon(() => {
      trace.push('second run');
      loop.stop();
    });
    await loop.runForever();

    expect(trace).toEqual(['first run', 'second run']);
  });
});

describe('close', () => {
  it('drops pending callbacks and timers: they never run', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];
    loop.callSoon(() => trace.push('soon'));
    loop.callLater(1, () => trace.push('timer'));

    loop.close();
    for (let i = 0; i < 5; i++) await macrotask();

    expect(trace).toEqual([]);
    expect(loop.isClosed()).toBe(true);
  });

  it('is idempotent', () => {
    const loop = new VirtualLoop();

    loop.close();
    loop.close();

    expect(loop.isClosed()).toBe(true);
  });

  it('makes callSoon, callLater and callAt throw LoopClosedError', () => {
    const loop = new VirtualLoop();
    loop.close();

    expect(() => loop.callSoon(() => {})).toThrow(LoopClosedError);
    expect(() => loop.callLater(1, () => {})).toThrow(LoopClosedError);
    expect(() => loop.callAt(1, () => {})).toThrow(LoopClosedError);
  });

  it('makes runUntilComplete and runForever reject with LoopClosedError', async () => {
    const loop = new VirtualLoop();
    loop.close();

    await expect(loop.runUntilComplete(Promise.resolve(1))).rejects.toBeInstanceOf(LoopClosedError);
    await expect(loop.runForever()).rejects.toBeInstanceOf(LoopClosedError);
  });

  it('throws an Error while the loop runs, and leaves it open', async () => {
    const loop = new VirtualLoop();
    const running = loop.runForever();

    expect(() => loop.close()).toThrow(/running/);
    expect(loop.isClosed()).toBe(false);

    loop.stop();
    await running;
    loop.close();
    expect(loop.isClosed()).toBe(true);
  });

  it('throws an Error during runUntilComplete', async () => {
    const loop = new VirtualLoop();
    let release!: () => void;
    const run = loop.runUntilComplete(new Promise<void>((resolve) => (release = resolve)));

    expect(() => loop.close()).toThrow(Error);
    expect(loop.isClosed()).toBe(false);

    release();
    await run;
  });

  it('called from a callback, drops the callbacks still queued in that iteration', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => {
      trace.push('closer');
      loop.close();
    });
    loop.callSoon(() => trace.push('dropped'));

    for (let i = 0; i < 3; i++) await macrotask();

    expect(trace).toEqual(['closer']);
  });

  it('is what Symbol.dispose does', () => {
    const loop = new VirtualLoop();

    loop[Symbol.dispose]();

    expect(loop.isClosed()).toBe(true);
  });
});

describe('LoopClosedError', () => {
  it('is an Error named LoopClosedError with a default message', () => {
    const error = new LoopClosedError();

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('LoopClosedError');
    expect(error.message).toBe('the event loop is closed');
  });
});

describe('bad input', () => {
  const loop = new VirtualLoop();

  it('callSoon rejects a non-function callback with a TypeError naming callback', () => {
    expect(() => loop.callSoon('run' as never)).toThrow(TypeError);
    expect(() => loop.callSoon(undefined as never)).toThrow(
      'callback must be a function; got undefined',
    );
  });

  it('callLater and callAt reject a non-function callback with a TypeError naming callback', () => {
    expect(() => loop.callLater(1, {} as never)).toThrow(TypeError);
    expect(() => loop.callLater(1, {} as never)).toThrow(/callback must be a function/);
    expect(() => loop.callAt(1, 42 as never)).toThrow(/callback must be a function; got 42/);
  });

  it('callLater runs a negative delay on the next iteration, as asyncio and setTimeout do (a deadline already past)', async () => {
    const fresh = new VirtualLoop({ start: 1_000 });
    const trace: string[] = [];
    let timer: ReturnType<VirtualLoop['callLater']> | undefined;
    fresh.callSoon(() => {
      timer = fresh.callLater(-1, () => trace.push(`timer at ${fresh.time()}`));
      trace.push('scheduled');
    });

    await fresh.advance(0);

    expect(trace).toEqual(['scheduled', 'timer at 1000']);
    expect(timer?.when()).toBe(999); // exactly loop.time() + delayMs
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('callLater rejects a %s delay with a RangeError naming delayMs', (_label, delayMs) => {
    expect(() => loop.callLater(delayMs, () => {})).toThrow(RangeError);
    expect(() => loop.callLater(delayMs, () => {})).toThrow(/delayMs/);
  });

  it.each([
    ['a string', '10'],
    ['null', null],
    ['a bigint', 10n],
    ['undefined', undefined],
  ])('callLater rejects %s as delay with a TypeError naming delayMs', (_label, delayMs) => {
    expect(() => loop.callLater(delayMs as never, () => {})).toThrow(TypeError);
    expect(() => loop.callLater(delayMs as never, () => {})).toThrow(/delayMs/);
  });

  it('callAt rejects NaN and infinite times with a RangeError naming whenMs', () => {
    for (const whenMs of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => loop.callAt(whenMs, () => {})).toThrow(RangeError);
      expect(() => loop.callAt(whenMs, () => {})).toThrow(/whenMs/);
    }
  });

  it('callAt rejects a non-number time with a TypeError naming whenMs', () => {
    expect(() => loop.callAt('5' as never, () => {})).toThrow(TypeError);
    expect(() => loop.callAt('5' as never, () => {})).toThrow(/whenMs/);
  });

  it('schedules nothing when it rejects the input', () => {
    const fresh = new VirtualLoop();

    expect(() => fresh.callLater(Number.NaN, () => {})).toThrow();
    expect(() => fresh.callSoon(null as never)).toThrow();
    expect(() => fresh.callAt(1, null as never)).toThrow();

    expect(fresh.readyCount).toBe(0);
    expect(fresh.timerHeapSize).toBe(0);
  });
});

describe('task steps (beginStep / endStep)', () => {
  it("lets a resumed task's microtasks run to its next suspension before the next callback", async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    const step = {};
    loop.callSoon(() => {
      trace.push('step starts');
      loop.beginStep(step); // what a task does when a callback resumes it
      void Promise.resolve()
        .then(() => trace.push('after await 1'))
        .then(() => {
          trace.push('suspends');
          loop.endStep(step);
        });
    });
    loop.callSoon(() => trace.push('next callback'));

    await loop.advance(0);

    expect(trace).toEqual(['step starts', 'after await 1', 'suspends', 'next callback']);
  });

  it('moves on after a bounded number of microtask turns when a step never suspends', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => {
      loop.beginStep({}); // a task awaiting a foreign promise: it never calls endStep
    });
    loop.callSoon(() => trace.push('next callback'));

    await loop.advance(0);

    expect(trace).toEqual(['next callback']);
    expect(loop.stepOwner).toBeNull();
  });
});
