/*
 * run() and process signals, in real child processes sent real signals (issue 11,
 * case 15): the first SIGINT or SIGTERM cancels the main task, run() cleans up, and
 * the process ends by that signal; a second one ends it at once. Also case 4: a run
 * stuck on a VirtualLoop's manual clock fails loudly instead of exiting with code 13.
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

/** A program whose main task waits, with a leftover task and a shutdown callback to clean up. */
const serverLikeProgram = (options = '{}') => `
  import { addLoopShutdownCallback, createTask, run, sleep } from './futures/index.js';
  import { getRunningLoop } from '@coro/loop';
  await run(async () => {
    addLoopShutdownCallback(getRunningLoop(), () => console.log('shutdown callback ran'));
    createTask(async () => {
      try { await sleep(60_000); } finally { console.log('leftover task cancelled'); }
    });
    try {
      console.log('ready');
      await sleep(60_000);
    } finally {
      console.log('main finally ran');
    }
  }, ${options});
  console.log('not reached');
`;

describe('run() interrupted by a signal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'turns %s into a cancellation of main, cleans up, then ends the process by that signal',
    async (signal) => {
      const child = workspace.run(serverLikeProgram());
      await child.printed('ready');

      child.child.kill(signal);
      const { stdout, stderr, signal: endedBy } = await child.outcome;

      expect(stdout.split('\n')).toEqual([
        'ready',
        'main finally ran',
        'leftover task cancelled',
        'shutdown callback ran',
        '',
      ]);
      expect(endedBy).toBe(signal);
      expect(stderr).toContain(`KeyboardInterrupt: run() was interrupted by ${signal}`);
    },
  );

  it('rejects with KeyboardInterrupt, which the program may catch', async () => {
    const child = workspace.run(`
      import { KeyboardInterrupt, run, sleep } from './futures/index.js';
      try {
        await run(async () => { console.log('ready'); await sleep(60_000); });
      } catch (error) {
        console.log(error instanceof KeyboardInterrupt, error.name, error.signal);
      }
    `);
    await child.printed('ready');

    child.child.kill('SIGINT');
    const { stdout, code } = await child.outcome;

    expect(stdout).toBe('ready\ntrue KeyboardInterrupt SIGINT\n');
    expect(code).toBe(0);
  });

  it('ends the process at once on a second SIGINT during the cleanup', async () => {
    const child = workspace.run(`
      import { run, sleep } from './futures/index.js';
      await run(async () => {
        try {
          console.log('ready');
          await sleep(60_000);
        } finally {
          console.log('cleaning up slowly');
          await sleep(60_000);
          console.log('cleanup finished');
        }
      });
    `);
    await child.printed('ready');
    child.child.kill('SIGINT');
    await child.printed('cleaning up slowly');

    child.child.kill('SIGINT');
    const { stdout, signal } = await child.outcome;

    expect(stdout).toBe('ready\ncleaning up slowly\n');
    expect(signal).toBe('SIGINT');
  });

  it("keeps Node's default with handleSignals: false: the process ends at once", async () => {
    const child = workspace.run(serverLikeProgram('{ handleSignals: false }'));
    await child.printed('ready');

    child.child.kill('SIGINT');
    const { stdout, signal } = await child.outcome;

    expect(stdout).toBe('ready\n');
    expect(signal).toBe('SIGINT');
  });

  it('leaves a signal the program listens to itself alone', async () => {
    const child = workspace.run(`
      import { run, sleep } from './futures/index.js';
      let interrupted = false;
      process.on('SIGINT', () => { interrupted = true; console.log('the program saw SIGINT'); });
      const result = await run(async () => {
        console.log('ready');
        while (!interrupted) await sleep(5);
        return 'main returned normally';
      });
      console.log(result);
    `);
    await child.printed('ready');

    child.child.kill('SIGINT');
    const { stdout, code } = await child.outcome;

    expect(stdout).toBe('ready\nthe program saw SIGINT\nmain returned normally\n');
    expect(code).toBe(0);
  });

  it("leaves a signal to a listener the program adds inside main (a server's graceful shutdown)", async () => {
    const child = workspace.run(`
      import { run, sleep } from './futures/index.js';
      const result = await run(async () => {
        let stopping = false;
        process.once('SIGTERM', () => { stopping = true; console.log('the server saw SIGTERM'); });
        console.log('ready');
        while (!stopping) await sleep(5);
        return 'closed its clients and returned';
      });
      console.log(result);
    `);
    await child.printed('ready');

    child.child.kill('SIGTERM');
    const { stdout, code } = await child.outcome;

    expect(stdout).toBe('ready\nthe server saw SIGTERM\nclosed its clients and returned\n');
    expect(code).toBe(0);
  });

  it('returns normally when main swallows the cancellation, as asyncio.run does', async () => {
    const child = workspace.run(`
      import { CancelledError, currentTask, run, sleep } from './futures/index.js';
      const result = await run(async () => {
        try {
          console.log('ready');
          await sleep(60_000);
        } catch (error) {
          if (!(error instanceof CancelledError)) throw error;
          return 'saved its work and returned';
        }
      });
      console.log(result);
    `);
    await child.printed('ready');

    child.child.kill('SIGINT');
    const { stdout, code } = await child.outcome;

    expect(stdout).toBe('ready\nsaved its work and returned\n');
    expect(code).toBe(0);
  });
});

describe('a run on a manual VirtualLoop clock that nothing advances (issue 11, case 4)', () => {
  it('fails loudly with DeadlockError instead of exiting silently with code 13', async () => {
    const child = workspace.run(`
      import { run, sleep } from './futures/index.js';
      import { VirtualLoop } from '@coro/loop';
      await run(() => sleep(3_600_000), { loop: new VirtualLoop() });
    `);
    const { stderr, code } = await child.outcome;

    expect(code).toBe(1);
    expect(stderr).toContain('DeadlockError');
    expect(stderr).toContain("the VirtualLoop's clock is manual");
    expect(stderr).toContain('the next timer is due at 3600000 ms');
    expect(stderr).toContain('await loop.advance(ms)');
  });
});
