import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DeadlockError,
  type ExceptionContext,
  installRuntimeHooks,
  VirtualLoop,
} from '../src/index.js';
import { type RuntimeHooks, runtimeHooks } from '../src/runtime-hooks.js';

/** Resolves after one real macrotask (the loop's own ticks are macrotasks). */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function macrotasks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await macrotask();
}

/** Follows a promise's outcome synchronously, for assertions between loop turns. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (error: unknown) => {
      state.settled = true;
      state.error = error;
    },
  );
  return state;
}

describe('VirtualLoop clock', () => {
  it('starts at 0, or at options.start', () => {
    expect(new VirtualLoop().time()).toBe(0);
    expect(new VirtualLoop({ start: 1_000.5 }).time()).toBe(1_000.5);
  });

  it('does not move on its own without autojump', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callLater(10, () => trace.push('timer'));

    await macrotasks(10);

    expect(loop.time()).toBe(0);
    expect(trace).toEqual([]);
  });

  it('runs ready callbacks on its own, in real macrotasks, without advance()', async () => {
    const loop = new VirtualLoop();
    const trace: number[] = [];
    loop.callSoon(() => trace.push(loop.time()));

    await macrotasks(3);

    expect(trace).toEqual([0]);
  });

  it('never moves while anything is ready: a long callback chain runs at one time', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const times: number[] = [];
    let remaining = 20_000; // several ticks' worth
    const chain = (): void => {
      times.push(loop.time());
      if (--remaining > 0) loop.callSoon(chain);
    };
    const timerFired = new Promise<number>((resolve) => {
      loop.callLater(5, () => resolve(loop.time()));
    });
    loop.callSoon(chain);

    const firedAt = await timerFired;

    expect(times).toHaveLength(20_000);
    expect(new Set(times)).toEqual(new Set([0]));
    expect(firedAt).toBe(5);
  });
});

describe('VirtualLoop.advance', () => {
  it('runs every timer due on the way, each at its own deadline, and ends at exactly now + ms', async () => {
    const loop = new VirtualLoop({ start: 100 });
    const trace: [string, number][] = [];
    loop.callLater(20, () => trace.push(['twenty', loop.time()]));
    loop.callLater(10, () => trace.push(['ten', loop.time()]));
    loop.callLater(30, () => trace.push(['thirty', loop.time()]));
    loop.callLater(30.5, () => trace.push(['past the target', loop.time()]));

    await loop.advance(30);

    expect(trace).toEqual([
      ['ten', 110],
      ['twenty', 120],
      ['thirty', 130],
    ]);
    expect(loop.time()).toBe(130);
  });

  it('runs the callbacks a timer schedules at that timer’s deadline, before the clock moves on', async () => {
    const loop = new VirtualLoop();
    const trace: [string, number][] = [];
    loop.callLater(10, () => {
      trace.push(['timer', loop.time()]);
      loop.callSoon(() => {
        trace.push(['soon', loop.time()]);
        loop.callSoon(() => trace.push(['soon again', loop.time()]));
      });
    });
    loop.callLater(20, () => trace.push(['next timer', loop.time()]));

    await loop.advance(20);

    expect(trace).toEqual([
      ['timer', 10],
      ['soon', 10],
      ['soon again', 10],
      ['next timer', 20],
    ]);
  });

  it('fires timers scheduled during the advance when they fall inside it', async () => {
    const loop = new VirtualLoop();
    const ticks: number[] = [];
    const every10 = (): void => {
      ticks.push(loop.time());
      loop.callLater(10, every10);
    };
    loop.callLater(10, every10);

    await loop.advance(55);

    expect(ticks).toEqual([10, 20, 30, 40, 50]);
    expect(loop.time()).toBe(55);
  });

  it('runs what is ready at the current time before moving the clock', async () => {
    const loop = new VirtualLoop();
    const trace: number[] = [];
    loop.callSoon(() => trace.push(loop.time()));

    await loop.advance(50);

    expect(trace).toEqual([0]);
  });

  it('with 0 runs ready and due work without moving the clock', async () => {
    const loop = new VirtualLoop({ start: 7 });
    const trace: string[] = [];
    loop.callSoon(() => trace.push('soon'));
    loop.callLater(0, () => trace.push('due now'));
    loop.callLater(0.001, () => trace.push('not yet'));

    await loop.advance(0);

    expect(trace).toEqual(['soon', 'due now']);
    expect(loop.time()).toBe(7);
  });

  it('never moves the clock backwards for a timer set in the past', async () => {
    const loop = new VirtualLoop({ start: 50 });
    const trace: number[] = [];
    loop.callAt(10, () => trace.push(loop.time()));

    await loop.advance(5);

    expect(trace).toEqual([50]);
    expect(loop.time()).toBe(55);
  });

  it('accumulates: consecutive advances add up', async () => {
    const loop = new VirtualLoop();

    await loop.advance(10);
    await loop.advance(0.5);
    await loop.advance(89.5);

    expect(loop.time()).toBe(100);
  });

  it('rejects a negative, NaN or infinite ms with a RangeError naming ms', async () => {
    const loop = new VirtualLoop();

    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(loop.advance(ms)).rejects.toThrow(RangeError);
      await expect(loop.advance(ms)).rejects.toThrow(/\bms must be/);
    }
    await expect(loop.advance('5' as never)).rejects.toThrow(TypeError);
    expect(loop.time()).toBe(0);
  });
});

describe('VirtualLoop autojump', () => {
  it('jumps straight to the next timer when idle: an hour passes at once', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const firedAt = await new Promise<number>((resolve) => {
      loop.callLater(3_600_000, () => resolve(loop.time()));
    });

    expect(firedAt).toBe(3_600_000);
    expect(loop.time()).toBe(3_600_000);
  });

  it('jumps from deadline to deadline, running each timer at its own', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: [string, number][] = [];

    await new Promise<void>((resolve) => {
      loop.callLater(300, () => trace.push(['b', loop.time()]));
      loop.callLater(100, () => {
        trace.push(['a', loop.time()]);
        loop.callLater(50, () => trace.push(['a+50', loop.time()]));
      });
      loop.callLater(1_000, () => {
        trace.push(['c', loop.time()]);
        resolve();
      });
    });

    expect(trace).toEqual([
      ['a', 100],
      ['a+50', 150],
      ['b', 300],
      ['c', 1_000],
    ]);
  });

  it('does not jump past a timer that was cancelled', async () => {
    const loop = new VirtualLoop({ autojump: true });
    loop.callLater(10_000, () => {}).cancel();

    const firedAt = await new Promise<number>((resolve) => {
      loop.callLater(20, () => resolve(loop.time()));
    });

    expect(firedAt).toBe(20);
  });

  it('does not move the clock when there is no timer', async () => {
    const loop = new VirtualLoop({ autojump: true });
    loop.callSoon(() => {});

    await macrotasks(10);

    expect(loop.time()).toBe(0);
  });

  it('reports itself through the autojump getter', () => {
    expect(new VirtualLoop().autojump).toBe(false);
    expect(new VirtualLoop({ autojump: true }).autojump).toBe(true);
    expect(new VirtualLoop({ autojump: 25 }).autojump).toBe(true);
    expect(new VirtualLoop({ autojump: 0 }).autojump).toBe(true);
  });

  describe('with a numeric threshold (real ms of idleness before jumping)', () => {
    beforeEach(() => {
      // Only the real timers the threshold waits on are faked; the loop's ticks
      // (setImmediate) stay real.
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits for the threshold of idleness before jumping', async () => {
      const loop = new VirtualLoop({ autojump: 50 });
      const trace: number[] = [];
      loop.callLater(1_000, () => trace.push(loop.time()));
      await macrotasks(5);

      vi.advanceTimersByTime(49);
      await macrotasks(5);
      expect(trace).toEqual([]);
      expect(loop.time()).toBe(0);

      vi.advanceTimersByTime(1);
      await macrotasks(5);
      expect(trace).toEqual([1_000]);
      expect(loop.time()).toBe(1_000);
    });

    it('lets outside events that arrive within the threshold run before the jump, and restarts the wait', async () => {
      const loop = new VirtualLoop({ autojump: 50 });
      const trace: [string, number][] = [];
      loop.callLater(1_000, () => trace.push(['timer', loop.time()]));
      // Real I/O finishing 30 ms later, as a socket would.
      setTimeout(() => loop.callSoon(() => trace.push(['io', loop.time()])), 30);
      await macrotasks(5);

      vi.advanceTimersByTime(30);
      await macrotasks(5);
      expect(trace).toEqual([['io', 0]]);

      vi.advanceTimersByTime(49); // 79 ms: idle for only 49 ms since the I/O
      await macrotasks(5);
      expect(trace).toEqual([['io', 0]]);

      vi.advanceTimersByTime(1);
      await macrotasks(5);
      expect(trace).toEqual([
        ['io', 0],
        ['timer', 1_000],
      ]);
    });
  });

  it('never jumps during advance(): the clock stops at the advance target', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: number[] = [];
    loop.callLater(100, () => trace.push(loop.time()));

    await loop.advance(10);

    expect(trace).toEqual([]);
    expect(loop.time()).toBe(10);
  });
});

describe('VirtualLoop options', () => {
  it('rejects a start that is not a finite number, naming options.start', () => {
    expect(() => new VirtualLoop({ start: Number.NaN })).toThrow(RangeError);
    expect(() => new VirtualLoop({ start: Number.NaN })).toThrow(/options\.start/);
    expect(() => new VirtualLoop({ start: '0' as never })).toThrow(TypeError);
  });

  it('rejects an autojump that is neither a boolean nor a delay, naming options.autojump', () => {
    expect(() => new VirtualLoop({ autojump: -1 })).toThrow(RangeError);
    expect(() => new VirtualLoop({ autojump: -1 })).toThrow(/options\.autojump/);
    expect(() => new VirtualLoop({ autojump: 'yes' as never })).toThrow(TypeError);
    expect(() => new VirtualLoop({ autojump: 'yes' as never })).toThrow(/options\.autojump/);
  });

  it('rejects a negative deadlockTimeoutMs, naming options.deadlockTimeoutMs', () => {
    expect(() => new VirtualLoop({ deadlockTimeoutMs: -5 })).toThrow(RangeError);
    expect(() => new VirtualLoop({ deadlockTimeoutMs: -5 })).toThrow(/options\.deadlockTimeoutMs/);
  });
});

describe('VirtualLoop deadlock detection', () => {
  let savedHooks: RuntimeHooks;
  beforeEach(() => {
    savedHooks = { ...runtimeHooks };
    // The deadlock wait is a real setTimeout; fake it so idleness is measured
    // deterministically. The loop's ticks (setImmediate) stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    installRuntimeHooks(savedHooks);
  });

  /** Pretends, as @coro/futures would, that a task waits on something nobody will settle. */
  function simulatePendingTasks(diagnosis = 'Task main waits on <Future pending>'): void {
    installRuntimeHooks({ describePending: () => diagnosis });
  }

  function recordingLoop(options: ConstructorParameters<typeof VirtualLoop>[0]): {
    loop: VirtualLoop;
    reports: ExceptionContext[];
  } {
    const loop = new VirtualLoop(options);
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));
    return { loop, reports };
  }

  /** Lets `ms` of (fake) real time pass, with the loop's macrotasks running around it. */
  async function idleFor(ms: number): Promise<void> {
    await macrotasks(3);
    vi.advanceTimersByTime(ms);
    await macrotasks(3);
  }

  it('rejects a stuck run with DeadlockError carrying the diagnosis, and reports it', async () => {
    simulatePendingTasks('Task main waits on <Future pending>');
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: 10 });
    loop.callSoon(() => {}); // the run's first step, as a task would schedule
    const run = track(loop.runUntilComplete(new Promise<never>(() => {})));

    await idleFor(9);
    expect(run.settled).toBe(false);
    await idleFor(1);

    expect(run.error).toBeInstanceOf(DeadlockError);
    const error = run.error as DeadlockError;
    expect(error.diagnosis).toBe('Task main waits on <Future pending>');
    expect(error.message).toContain('Task main waits on <Future pending>');
    expect(reports).toHaveLength(1);
    expect(reports[0]?.exception).toBe(error);
    expect(reports[0]?.callGraph).toBe('Task main waits on <Future pending>');
    expect(loop.isRunning()).toBe(false);
  });

  it('detects the deadlock even when the run starts on an already idle loop', async () => {
    simulatePendingTasks();
    const { loop } = recordingLoop({ deadlockTimeoutMs: 10 });

    const run = track(loop.runUntilComplete(new Promise<never>(() => {})));
    await idleFor(10_000);

    expect(run.error).toBeInstanceOf(DeadlockError);
  });

  it('detects a deadlock in a second run on the same loop', async () => {
    simulatePendingTasks();
    const { loop } = recordingLoop({ deadlockTimeoutMs: 10 });
    loop.callSoon(() => {});
    await loop.runUntilComplete(Promise.resolve());

    loop.callSoon(() => {});
    const run = track(loop.runUntilComplete(new Promise<never>(() => {})));
    await idleFor(10);

    expect(run.error).toBeInstanceOf(DeadlockError);
  });

  it('reports nothing when no task is pending (describePending returns null)', async () => {
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: 10 });
    let release!: (value: string) => void;
    loop.callSoon(() => {});
    const run = loop.runUntilComplete(new Promise<string>((resolve) => (release = resolve)));

    await idleFor(1_000);
    release('finished');

    await expect(run).resolves.toBe('finished');
    expect(reports).toEqual([]);
  });

  it('is not a deadlock while a timer is pending and advance() moves the clock in time', async () => {
    simulatePendingTasks();
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: 10 });
    const run = loop.runUntilComplete(
      new Promise<string>((resolve) => loop.callLater(1_000, resolve, 'woken by the timer')),
    );

    await idleFor(5);
    await loop.advance(1_000);

    await expect(run).resolves.toBe('woken by the timer');
    expect(reports).toEqual([]);
  });

  it('fails a run whose timers wait on a manual clock nothing advances, saying how to advance it (issue 11, case 4)', async () => {
    simulatePendingTasks('Task main waits on <sleep 3600000 ms>');
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: 10 });
    const run = track(
      loop.runUntilComplete(
        new Promise((resolve) => loop.callLater(3_600_000, () => resolve(undefined))),
      ),
    );

    await idleFor(9);
    expect(run.settled).toBe(false);
    await idleFor(1);

    expect(run.error).toBeInstanceOf(DeadlockError);
    const error = run.error as DeadlockError;
    expect(error.name).toBe('DeadlockError');
    expect(error.nextTimerWhenMs).toBe(3_600_000);
    expect(error.message).toMatch(/clock is manual/);
    expect(error.message).toContain('the next timer is due at 3600000 ms (now: 0 ms)');
    expect(error.message).toContain('await loop.advance(ms)');
    expect(error.message).toContain('new VirtualLoop({ autojump: true })');
    expect(error.message).toContain('Task main waits on <sleep 3600000 ms>');
    expect(reports.map((report) => report.exception)).toEqual([error]);
  });

  it('does not call a manual-clock run stuck while autojump will move the clock', async () => {
    simulatePendingTasks();
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: 10, autojump: 50 });
    const run = loop.runUntilComplete(
      new Promise<string>((resolve) => loop.callLater(3_600_000, resolve, 'jumped')),
    );

    await idleFor(50);

    await expect(run).resolves.toBe('jumped');
    expect(reports).toEqual([]);
  });

  it('never reports with deadlockTimeoutMs: null', async () => {
    simulatePendingTasks();
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: null });
    let release!: () => void;
    loop.callSoon(() => {});
    const run = loop.runUntilComplete(new Promise<void>((resolve) => (release = resolve)));

    await idleFor(60_000);
    release();

    await expect(run).resolves.toBeUndefined();
    expect(reports).toEqual([]);
  });

  it('reports nothing outside runUntilComplete', async () => {
    simulatePendingTasks();
    const { loop, reports } = recordingLoop({ deadlockTimeoutMs: 10 });
    loop.callSoon(() => {});

    await idleFor(1_000);

    expect(reports).toEqual([]);
  });

  it('restarts its wait when the loop does work in between', async () => {
    simulatePendingTasks();
    const { loop } = recordingLoop({ deadlockTimeoutMs: 40 });
    loop.callSoon(() => {});
    const run = track(loop.runUntilComplete(new Promise<never>(() => {})));

    // Outside work every 30 ms keeps the loop from being idle for 40 ms.
    for (let i = 0; i < 5; i++) {
      await idleFor(30);
      loop.callSoon(() => {});
    }
    expect(run.settled).toBe(false);
    await idleFor(80);

    expect(run.error).toBeInstanceOf(DeadlockError);
  });
});

describe('DeadlockError', () => {
  it('is an Error named DeadlockError whose message includes the diagnosis', () => {
    const error = new DeadlockError('main waits on Future pending');

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('DeadlockError');
    expect(error.diagnosis).toBe('main waits on Future pending');
    expect(error.message).toMatch(/^deadlock: /);
    expect(error.message).toContain('main waits on Future pending');
  });
});
