import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeLoop } from '../src/index.js';

describe('NodeLoop', () => {
  it('reads its clock from performance.now(), in milliseconds', () => {
    const loop = new NodeLoop();

    const before = performance.now();
    const now = loop.time();
    const after = performance.now();

    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });

  it('runs a timer with a negative delay (a deadline already past) on its next iteration, as setTimeout does', async () => {
    const loop = new NodeLoop();
    const ran = new Promise<string>((resolve) => {
      loop.callLater(-1_000, resolve, 'ran');
    });

    expect(await ran).toBe('ran');
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
