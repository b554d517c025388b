/*
 * What a user sees of an exception nobody retrieved (issue 11, case 3), in real child
 * processes: the default handler's output on stderr, when run() ends and when the
 * process exits with failures left on the default loop, which is never closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeChildWorkspace } from './child-process.js';

let workspace: ReturnType<typeof makeChildWorkspace>;

beforeAll(() => {
  workspace = makeChildWorkspace();
});

afterAll(() => {
  workspace.remove();
});

describe('an unretrieved task exception, as the default handler prints it', () => {
  it("is printed when run() ends: the task's name, the error and its stack", async () => {
    const { outcome } = workspace.run(`
      import { createTask, run, sleep } from './futures/index.js';
      async function refreshCache() {
        await sleep(1);
        throw new RangeError('cache refresh failed');
      }
      await run(async () => {
        createTask(refreshCache, { name: 'cache-refresher' });
        await sleep(20);
      });
      console.log('after run');
    `);
    const { stdout, stderr, code } = await outcome;

    expect(code).toBe(0);
    expect(stdout).toBe('after run\n');
    expect(stderr).toContain("Task 'cache-refresher' exception was never retrieved");
    expect(stderr).toContain('RangeError: cache refresh failed');
    expect(stderr).toMatch(/at refreshCache \(.*child-\w+\.mjs/);
    expect(stderr.indexOf('never retrieved')).toBe(stderr.lastIndexOf('never retrieved')); // once
  });

  it('says where the task was created in debug mode', async () => {
    const { outcome } = workspace.run(`
      import { createTask, run, sleep } from './futures/index.js';
      function startBackgroundWork() {
        createTask(async () => { throw new Error('background failure'); }, { name: 'worker' });
      }
      await run(async () => {
        startBackgroundWork();
        await sleep(20);
      }, { debug: true });
    `);
    const { stderr, code } = await outcome;

    expect(code).toBe(0);
    expect(stderr).toContain("Task 'worker' exception was never retrieved");
    expect(stderr).toMatch(/createdAt:\n(.*\n)*? +at startBackgroundWork /);
    expect(stderr).toContain('Error: background failure');
  });

  it('is printed at process exit for a task on the default loop that nobody awaited', async () => {
    const { outcome } = workspace.run(`
      import { createTask, sleep } from './futures/index.js';
      const kept = createTask(async () => { throw new Error('lost on the default loop'); }, { name: 'fire-and-forget' });
      await sleep(10);
      console.log('main module done');
    `);
    const { stdout, stderr, code } = await outcome;

    expect(code).toBe(0);
    expect(stdout).toBe('main module done\n');
    expect(stderr).toContain("Task 'fire-and-forget' exception was never retrieved");
    expect(stderr).toContain('Error: lost on the default loop');
  });

  it('is printed when the process ends with process.exit() too', async () => {
    const { outcome } = workspace.run(`
      import { Future } from './futures/index.js';
      const reply = new Future({ name: 'reply' });
      reply.setException(new TypeError('bad reply'));
      setTimeout(() => process.exit(3), 10);
    `);
    const { stderr, code } = await outcome;

    expect(code).toBe(3);
    expect(stderr).toContain("Future 'reply' exception was never retrieved");
    expect(stderr).toContain('TypeError: bad reply');
  });

  it('prints nothing for a failure that was awaited', async () => {
    const { outcome } = workspace.run(`
      import { createTask, sleep } from './futures/index.js';
      const task = createTask(async () => { throw new Error('handled'); });
      try { await task; } catch (error) { console.log('caught', error.message); }
    `);
    const { stdout, stderr, code } = await outcome;

    expect(code).toBe(0);
    expect(stdout).toBe('caught handled\n');
    expect(stderr).toBe('');
  });
});
