/*
 * Pool children exit on their own when the program that started them is gone, however it
 * died (issue 11 case 15): even SIGKILL, which runs no cleanup at all, and even while a
 * child is stuck in a CPU-bound job. The parent is a real program (a bundle of
 * test/fixtures/orphaning-parent.ts) killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'tsup';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, pause, readPid, scratchDirectory } from './helpers.js';

/** Resolves once `pid` is gone; rejects after `timeoutMs` (the child was left running). */
async function gone(pid: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL'); // do not leave it spinning after the test
      throw new Error(`child ${pid} still runs ${timeoutMs} ms after its parent was killed`);
    }
    await pause(20);
  }
}

describe('ProcessPoolExecutor children', () => {
  let scratch: { path: string; remove: () => void };
  let parentScript: string;
  beforeAll(async () => {
    scratch = scratchDirectory();
    await build({
      entry: { 'orphaning-parent': join(import.meta.dirname, 'fixtures', 'orphaning-parent.ts') },
      outDir: scratch.path,
      format: ['cjs'], // an ESM bundle would rename the jobs' `require`
      platform: 'node',
      target: 'node20',
      noExternal: [/^@coro\//],
      tsconfig: join(import.meta.dirname, '..', 'tsconfig.json'),
      config: false,
      dts: false,
      silent: true,
    });
    parentScript = join(scratch.path, 'orphaning-parent.cjs');
  }, 60_000);
  afterAll(() => {
    scratch.remove();
  });

  it('exit when their parent is killed with SIGKILL, even one spinning in a CPU-bound job, and print nothing (issue 11 case 15)', async () => {
    const prefix = join(scratch.path, 'child');
    const parent = spawn(process.execPath, [parentScript, prefix, 'killed'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let printed = '';
    parent.stderr.setEncoding('utf8').on('data', (text: string) => {
      printed += text;
    });
    const stderrClosed = new Promise((resolve) => parent.stderr.on('close', resolve));
    const spinning = await readPid(`${prefix}-spinning`);
    const waiting = await readPid(`${prefix}-waiting`);

    parent.kill('SIGKILL');

    await gone(spinning);
    await gone(waiting);
    await stderrClosed; // the children shared it: everything they printed is in
    expect(printed).toBe('');
  }, 60_000);

  it('exit, printing nothing, when their parent ends without shutting the pool down', async () => {
    const prefix = join(scratch.path, 'child');
    const parent = spawn(process.execPath, [parentScript, prefix, 'exits'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let printed = '';
    parent.stderr.setEncoding('utf8').on('data', (text: string) => {
      printed += text;
    });
    const stderrClosed = new Promise((resolve) => parent.stderr.on('close', resolve));
    const exitCode = await new Promise((resolve) => parent.on('exit', resolve));
    const idle = await readPid(`${prefix}-idle`);

    await gone(idle);
    await stderrClosed; // the child shared it: everything it printed is in
    expect(exitCode).toBe(0);
    expect(printed).toBe('');
  }, 60_000);
});
