import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExceptionContext, NodeLoop, type TimerHandle } from '../src/index.js';

/** Resolves to `loop.time()` read inside a callback scheduled with `schedule`. */
function timeWhenRun(schedule: (callback: () => void) => void, loop: NodeLoop): Promise<number> {
  return new Promise((resolve) => schedule(() => resolve(loop.time())));
}

describe('NodeLoop', () => {
  it('runs callSoon callbacks FIFO without being started', async () => {
    const loop = new NodeLoop();
    const trace: string[] = [];

    await new Promise<void>((resolve) => {
      loop.callSoon(() => trace.push('a'));
      loop.callSoon(() => trace.push('b'));
      loop.callSoon(resolve);
    });

    expect(trace).toEqual(['a', 'b']);
    expect(loop.isRunning()).toBe(false);
  });

  it('reads its clock from performance.now(), in milliseconds', () => {
    const loop = new NodeLoop();

    const before = performance.now();
    const now = loop.time();
    const after = performance.now();

    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });

  it('fires timers in deadline order, ties in scheduling order', async () => {
    const loop = new NodeLoop();
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
    const loop = new NodeLoop();
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
    const loop = new NodeLoop();
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
    const loop = new NodeLoop();
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

  it('yields to the host during a callback storm, so outside I/O and timers still run', async () => {
    const loop = new NodeLoop();
    let outsideRan = false;
    let stormCallbacks = 0;
    const limit = 5_000_000; // safety net: a starved host would let the storm reach it

    const stormEnded = new Promise<void>((resolve) => {
      const storm = (): void => {
        stormCallbacks++;
        if (outsideRan || stormCallbacks >= limit) resolve();
        else loop.callSoon(storm);
      };
      loop.callSoon(storm);
    });
    setTimeout(() => {
      outsideRan = true;
    }, 1);
    await stormEnded;

    expect(outsideRan).toBe(true);
    expect(stormCallbacks).toBeLessThan(limit);
  });

  it('never fires a cancelled timer', async () => {
    const loop = new NodeLoop();
    const trace: string[] = [];

    loop.callLater(1, () => trace.push('cancelled')).cancel();
    await timeWhenRun((callback) => loop.callLater(10, callback), loop);

    expect(trace).toEqual([]);
  });

  it('reports an exception from a callback and keeps running', async () => {
    const loop = new NodeLoop();
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
    const loop = new NodeLoop();

    const result = await loop.runUntilComplete(
      new Promise<string>((resolve) => loop.callLater(5, resolve, 'timer value')),
    );

    expect(result).toBe('timer value');
    expect(loop.isRunning()).toBe(false);
  });

  it('waits quietly for a timer beyond setTimeout’s 2^31-1 ms limit (no wake-up spin, no TimeoutOverflowWarning)', async () => {
    const loop = new NodeLoop();
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
      loop.close();
      process.off('warning', onWarning);
    }
  });

  it('drops its timers on close(): none fires', async () => {
    const loop = new NodeLoop();
    const trace: string[] = [];
    loop.callLater(1, () => trace.push('timer'));
    loop.callSoon(() => trace.push('soon'));

    loop.close();
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(trace).toEqual([]);
  });
});

describe('NodeLoop process semantics (child processes)', () => {
  // The loop's sources, transpiled to plain ESM, so a child `node` can import them.
  let directory: string;
  const sources = fileURLToPath(new URL('../src/', import.meta.url));

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'coro-loop-'));
    for (const file of readdirSync(sources)) {
      if (!file.endsWith('.ts')) continue;
      const { outputText } = ts.transpileModule(readFileSync(join(sources, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(join(directory, file.replace(/\.ts$/, '.js')), outputText);
    }
    writeFileSync(join(directory, 'package.json'), '{ "type": "module" }');
  });

  afterAll(() => {
    rmSync(directory, { recursive: true, force: true });
  });

  /** Runs `body` as an ES module importing the loop; kills it after `killAfterMs`. */
  function runChild(
    body: string,
    killAfterMs = 10_000,
  ): Promise<{ stdout: string; code: number | null; signal: string | null }> {
    const script = `import { NodeLoop } from './index.js';\n${body}`;
    const path = join(directory, `child-${Math.random().toString(36).slice(2)}.mjs`);
    writeFileSync(path, script);
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [path],
        { timeout: killAfterMs, killSignal: 'SIGKILL' },
        (error, stdout) => {
          resolve({
            stdout,
            code: child.exitCode,
            signal: error && 'signal' in error ? (error.signal ?? null) : null,
          });
        },
      );
    });
  }

  it('keeps the process alive while a timer is pending, like a Node timer', async () => {
    const outcome = await runChild(`
      const loop = new NodeLoop();
      loop.callLater(50, () => console.log('fired'));
    `);

    expect(outcome).toEqual({ stdout: 'fired\n', code: 0, signal: null });
  });

  it('lets the process exit once its work is done', async () => {
    const outcome = await runChild(`
      const loop = new NodeLoop();
      loop.callSoon(() => console.log('soon'));
      loop.callLater(1, () => loop.callSoon(() => console.log('after the timer')));
    `);

    expect(outcome).toEqual({ stdout: 'soon\nafter the timer\n', code: 0, signal: null });
  });

  it('lets the process exit when its only timer is cancelled, like clearTimeout', async () => {
    // Killed after 5 s: the cancelled timer was due in 60 s.
    const outcome = await runChild(
      `
      const loop = new NodeLoop();
      loop.callLater(60_000, () => console.log('should never fire')).cancel();
      console.log('cancelled');
    `,
      5_000,
    );

    expect(outcome).toEqual({ stdout: 'cancelled\n', code: 0, signal: null });
  });

  it('lets the process exit when the pending timers were cancelled from a callback', async () => {
    const outcome = await runChild(`
      const loop = new NodeLoop();
      const timeout = loop.callLater(60_000, () => console.log('should never fire'));
      loop.callLater(5, () => {
        timeout.cancel();
        console.log('work done');
      });
    `);

    expect(outcome).toEqual({ stdout: 'work done\n', code: 0, signal: null });
  });
});
