import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, createTask, sleep } from '@coro/futures';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ProcessLookupError,
  SocketTransport,
  type SubprocessOptions,
  subprocessExec,
  subprocessShell,
  type WriteTransport,
} from '../src/index.js';
import { cancelLater } from './helpers.js';
import {
  becomesGone,
  CAT,
  nodeScript,
  processIsGone,
  SLEEPER,
  SubprocessRecorder,
} from './subprocess-helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'coro-subprocess-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function exec(script: string, options?: SubprocessOptions) {
  const [program, args] = nodeScript(script);
  const [transport, protocol] = await subprocessExec(
    () => new SubprocessRecorder(),
    program,
    args,
    options,
  );
  return { transport, protocol };
}

describe('subprocessExec', () => {
  it('reports output, pipe closes, the exit and then connectionLost, in order', async () => {
    const { transport, protocol } = await exec(
      "process.stdout.write('out'); process.stderr.write('err'); process.exitCode = 3;",
    );
    expect(protocol.trace).toEqual(['connectionMade']); // before the call resolved

    await protocol.lost;

    expect(protocol.output).toEqual({ 1: 'out', 2: 'err' });
    expect(transport.getReturncode()).toBe(3);
    const events = protocol.events();
    expect(events[0]).toBe('connectionMade');
    expect(events.at(-1)).toBe('connectionLost');
    expect(events.slice(1, -1).sort()).toEqual([
      'pipeConnectionLost 0',
      'pipeConnectionLost 1',
      'pipeConnectionLost 2',
      'processExited',
    ]);
    expect(protocol.pipeErrors).toEqual([undefined, undefined, undefined]);
    expect(await protocol.exited).toBe(3);
    transport.close();
  });

  it('writes to stdin through the pipe transport of fd 0 (test_stdin_stdout)', async () => {
    const { transport, protocol } = await exec(CAT);
    const stdin = transport.getPipeTransport(0) as WriteTransport;

    stdin.write('some ');
    stdin.write(new TextEncoder().encode('data'));
    stdin.close();
    await protocol.lost;

    expect(protocol.output[1]).toBe('some data');
    expect(transport.getReturncode()).toBe(0);
    expect(stdin).toBeInstanceOf(SocketTransport);
    expect(transport.getPipeTransport(1)).toBeInstanceOf(SocketTransport);
    transport.close();
  });

  it('passes arguments as they are, with no shell (no injection)', async () => {
    const tricky = ['$(echo hi)', '`id`', "'; exit 3; '", 'a b', '*', ''];
    const [program, args] = nodeScript(
      'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
    );

    const [transport, protocol] = await subprocessExec(() => new SubprocessRecorder(), program, [
      ...args,
      ...tricky,
    ]);
    await protocol.lost;

    expect(JSON.parse(protocol.output[1])).toEqual(tricky);
    expect(transport.getReturncode()).toBe(0);
    transport.close();
  });

  it('gives the pid and the ChildProcess as extra information', async () => {
    const { transport, protocol } = await exec('0');

    const child = transport.getExtraInfo<ChildProcess>('subprocess');

    expect(child?.pid).toBe(transport.getPid());
    expect(transport.getPid()).toBeGreaterThan(0);
    expect(transport.getExtraInfo('no such thing', 'fallback')).toBe('fallback');
    await protocol.lost;
    transport.close();
  });

  it('rejects with ENOENT for a program that does not exist, without making the protocol', async () => {
    let made = 0;

    const attempt = subprocessExec(
      () => {
        made++;
        return new SubprocessRecorder();
      },
      join(scratch, 'no-such-program'),
      [],
    );

    await expect(attempt).rejects.toMatchObject({ code: 'ENOENT' });
    expect(made).toBe(0);
  });

  it('validates its arguments and options', async () => {
    const factory = () => new SubprocessRecorder();
    await expect(subprocessExec(factory, '')).rejects.toThrow(
      new RangeError("program must be a non-empty string; got ''"),
    );
    await expect(subprocessExec(factory, 42 as never)).rejects.toThrow(TypeError);
    await expect(subprocessExec(factory, 'node', 'x' as never)).rejects.toThrow(
      new TypeError('args must be an array of strings; got "x" (a string)'),
    );
    await expect(subprocessExec(factory, 'node', ['-e', 1 as never])).rejects.toThrow(
      new TypeError('args[1] must be a string; got 1'),
    );
    await expect(subprocessExec(factory, 'node', [], { stdin: 'stdout' as never })).rejects.toThrow(
      /options.stdin must be 'pipe', 'inherit', 'ignore' or a file descriptor number/,
    );
    await expect(subprocessExec(factory, 'node', [], { stdout: -1 })).rejects.toThrow(RangeError);
    await expect(subprocessExec(factory, 'node', [], { env: { A: 1 as never } })).rejects.toThrow(
      new TypeError('options.env.A must be a string; got 1'),
    );
    await expect(subprocessExec('x' as never, 'node')).rejects.toThrow(
      /protocolFactory must be a function/,
    );
    await expect(subprocessShell(factory, '')).rejects.toThrow(RangeError);
  });
});

describe('subprocess stdio options', () => {
  it("merges stderr into stdout's pipe with stderr: 'stdout', in the order written", async () => {
    const { transport, protocol } = await exec(
      "const { writeSync } = require('node:fs'); writeSync(1, 'out1 '); writeSync(2, 'err1 '); writeSync(1, 'out2');",
      { stderr: 'stdout' },
    );

    await protocol.lost;

    expect(protocol.output).toEqual({ 1: 'out1 err1 out2', 2: '' });
    expect(transport.getPipeTransport(2)).toBeUndefined();
    expect(protocol.events().filter((event) => event.startsWith('pipe'))).toHaveLength(2);
    transport.close();
  });

  it("gives an 'ignore'd stdin EOF at once and pipes nothing for it", async () => {
    const { transport, protocol } = await exec(
      "let n = 0; process.stdin.on('data', (d) => { n += d.length; }); process.stdin.on('end', () => process.stdout.write(String(n)));",
      { stdin: 'ignore', stderr: 'ignore' },
    );

    await protocol.lost;

    expect(protocol.output[1]).toBe('0');
    expect(transport.getPipeTransport(0)).toBeUndefined();
    expect(transport.getPipeTransport(2)).toBeUndefined();
    transport.close();
  });

  it('writes to a file descriptor of the parent given as a number', async () => {
    const path = join(scratch, 'fd-output.txt');
    const fd = openSync(path, 'w');
    try {
      const { transport, protocol } = await exec(
        "process.stdout.write('to the file'); process.stderr.write(' and errors');",
        { stdin: 'ignore', stdout: fd, stderr: 'stdout' },
      );
      await protocol.lost;
      transport.close();
    } finally {
      closeSync(fd);
    }

    expect(readFileSync(path, 'utf8')).toBe('to the file and errors');
  });

  it('runs in cwd with exactly the env given', async () => {
    const { transport, protocol } = await exec(
      'process.stdout.write(JSON.stringify([process.cwd(), process.env.CORO_TEST, process.env.HOME ?? null]))',
      { cwd: scratch, env: { CORO_TEST: 'yes', UNSET: undefined } },
    );

    await protocol.lost;

    expect(JSON.parse(protocol.output[1])).toEqual([realpathSync(scratch), 'yes', null]);
    transport.close();
  });
});

describe('subprocess output', () => {
  it('keeps the output of children that exit at once (Node would flush it away unread)', async () => {
    const outputs: string[] = [];

    for (let i = 0; i < 30; i++) {
      const [transport, protocol] = await subprocessShell(
        () => new SubprocessRecorder(),
        `echo ${i}`,
        { stdin: 'ignore', stderr: 'ignore' },
      );
      await protocol.lost;
      outputs.push(protocol.output[1]);
      transport.close();
    }

    expect(outputs).toEqual(Array.from({ length: 30 }, (_, i) => `${i}\n`));
  });
});

describe('subprocessShell', () => {
  it('runs a command line through the shell (test_shell)', async () => {
    const [transport, protocol] = await subprocessShell(
      () => new SubprocessRecorder(),
      'echo $((40 + 2)); exit 7',
    );

    await protocol.lost;

    expect(protocol.output[1]).toBe('42\n');
    expect(transport.getReturncode()).toBe(7);
    transport.close();
  });
});

describe('SubprocessTransport signals', () => {
  it.each([
    ['terminate', -15],
    ['kill', -9],
  ] as const)('%s() ends the child with return code %i', async (method, returncode) => {
    const { transport, protocol } = await exec(SLEEPER);
    await protocol.until(() => protocol.output[1] === 'ready\n');

    transport[method]();
    await protocol.lost;

    expect(transport.getReturncode()).toBe(returncode);
    expect(processIsGone(transport.getPid() as number)).toBe(true);
    transport.close();
  });

  it('sendSignal() delivers a signal by name or number (test_send_signal)', async () => {
    const { transport, protocol } = await exec(SLEEPER);
    await protocol.until(() => protocol.output[1] === 'ready\n');

    transport.sendSignal('SIGHUP');
    await protocol.lost;

    expect(transport.getReturncode()).toBe(-1);
    const second = await exec(SLEEPER);
    await second.protocol.until(() => second.protocol.output[1] === 'ready\n');
    second.transport.sendSignal(2);
    await second.protocol.lost;
    expect(second.transport.getReturncode()).toBe(-2);
    transport.close();
    second.transport.close();
  });

  it('throws ProcessLookupError once the transport is finished (test_proc_exited)', async () => {
    const { transport, protocol } = await exec('0');
    await protocol.lost;

    expect(() => transport.kill()).toThrow(ProcessLookupError);
    expect(() => transport.terminate()).toThrow(ProcessLookupError);
    expect(() => transport.sendSignal('SIGTERM')).toThrow(ProcessLookupError);
    expect(transport.isClosing()).toBe(false);
    transport.close();
    expect(transport.isClosing()).toBe(true);
  });

  it('ignores a signal to a child that exited while a pipe is still open', async () => {
    // The grandchild keeps stdout open after the child exited.
    const { transport, protocol } = await exec(
      "require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 1_000)'], { stdio: ['ignore', 'inherit', 'ignore'] }).unref(); process.stdout.write('bye');",
      { stderr: 'ignore' },
    );
    await protocol.exited;

    transport.kill(); // no-op: no throw, nothing is lost yet
    expect(protocol.events()).not.toContain('connectionLost');
    await protocol.lost;
    expect(transport.getReturncode()).toBe(0);
    transport.close();
  });

  it('rejects a signal name Node does not know', async () => {
    const { transport, protocol } = await exec(SLEEPER);

    expect(() => transport.sendSignal('SIGNOPE' as never)).toThrow(RangeError);
    expect(() => transport.sendSignal(-1)).toThrow(RangeError);
    transport.close();
    await protocol.lost;
  });
});

describe('SubprocessTransport.close', () => {
  it('kills a running child, which is then reaped (test_close_kill_running)', async () => {
    const { transport, protocol } = await exec(SLEEPER);
    await protocol.until(() => protocol.output[1] === 'ready\n');
    const pid = transport.getPid() as number;

    transport.close();
    await protocol.lost;

    expect(transport.getReturncode()).toBe(-9);
    expect(await becomesGone(pid)).toBe(true);
    expect(protocol.events().filter((event) => event === 'connectionLost')).toHaveLength(1);
  });

  it('does not kill a child that already exited', async () => {
    const { transport, protocol } = await exec('process.exitCode = 5');
    await protocol.exited;

    transport.close();
    await protocol.lost;

    expect(transport.getReturncode()).toBe(5);
  });
});

describe('subprocess stdin', () => {
  it('loses the stdin pipe with EPIPE when the child does not read it (test_stdin_broken_pipe)', async () => {
    const { transport, protocol } = await exec('0', { stdout: 'ignore', stderr: 'ignore' });
    await protocol.exited;
    const stdin = transport.getPipeTransport(0) as WriteTransport;

    if (!stdin.isClosing()) stdin.write(Buffer.alloc(1 << 20));
    await protocol.lost;

    // Node closes a dead child's stdin itself: lost cleanly, or with EPIPE if our write got there first.
    const error = protocol.pipeErrors[0] as NodeJS.ErrnoException | undefined;
    expect(error === undefined || error.code === 'EPIPE').toBe(true);
    expect(protocol.events()).toEqual([
      'connectionMade',
      'processExited',
      'pipeConnectionLost 0',
      'connectionLost',
    ]);
    transport.close();
  });
});

describe('subprocess creation cancelled', () => {
  it('kills the child when the task awaiting subprocessExec is cancelled (test_cancel_make_subprocess_transport_exec)', async () => {
    const pidFile = join(scratch, 'cancelled.pid');
    const [program, args] = nodeScript(
      `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60_000);`,
    );
    const task = createTask(() => subprocessExec(() => new SubprocessRecorder(), program, args));
    await sleep(0); // the task is now starting the child

    task.cancel();

    await expect(task).rejects.toBeInstanceOf(CancelledError);
    await sleep(500); // time enough for a child that escaped the kill to write its pid
    let pid: number | undefined;
    try {
      pid = Number(readFileSync(pidFile, 'utf8'));
    } catch {
      pid = undefined; // killed before it wrote its pid
    }
    expect(pid === undefined || (await becomesGone(pid))).toBe(true);
  });

  it('never leaves a child running, whichever loop callback the cancellation comes from (DESIGN §4)', async () => {
    const [program, args] = nodeScript(SLEEPER);
    // From connectionMade (just before the start completes), cancel `hops` loop
    // callbacks later, or in a microtask right after it (hops -1): early ones hit
    // the pending wait, later ones the moment the start has completed but the
    // task has not seen it yet, the last ones a task that is done.
    for (let hops = -1; hops < 6; hops++) {
      let recorder: SubprocessRecorder | undefined;
      const task = createTask(() =>
        subprocessExec(
          () => {
            recorder = new SubprocessRecorder();
            recorder.connectionMade = function (transport) {
              SubprocessRecorder.prototype.connectionMade.call(this, transport);
              if (hops < 0) queueMicrotask(() => task.cancel());
              else cancelLater(hops, () => task.cancel());
            };
            return recorder;
          },
          program,
          args,
        ),
      );
      const outcome = await task.then(
        ([transport]) => transport,
        (error: unknown) => error,
      );

      process.stderr.write(
        `hops ${hops} ${outcome instanceof CancelledError ? 'cancelled' : 'ok'}\n`,
      );
      await Promise.race([recorder?.lost, sleep(300)]);
      process.stderr.write(`  after ${recorder?.events()}\n`);
      if (outcome instanceof CancelledError) {
        // Cancelled: the child it had started is killed, and the transport finishes.
        await recorder?.lost;
        expect(recorder?.transport?.getReturncode()).toBe(-9);
      } else {
        // The cancellation came after the task was done: the caller owns the child.
        expect(outcome).toBe(recorder?.transport);
        recorder?.transport?.close();
        await recorder?.lost;
      }
      expect(await becomesGone(recorder?.transport?.getPid() as number)).toBe(true);
    }
  });

  it('rejects with the reason of an aborted signal', async () => {
    const [program, args] = nodeScript('0');
    const reason = new Error('not now');
    await expect(
      subprocessExec(() => new SubprocessRecorder(), program, args, {
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toBe(reason);
  });
});
