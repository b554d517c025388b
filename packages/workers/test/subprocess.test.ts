import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { CancelledError, createTask, sleep, TimeoutError, timeout } from '@coro/futures';
import { LimitOverrunError, StreamReader, StreamWriter } from '@coro/streams';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CreateSubprocessOptions,
  createSubprocessExec,
  createSubprocessShell,
  type Process,
} from '../src/index.js';
import { rejection, scratchDirectory } from './helpers.js';

const scratch = scratchDirectory();
afterAll(scratch.remove);

/** Starts `node -e <script>` with `options`. */
function node(
  script: string,
  options?: CreateSubprocessOptions,
  ...args: string[]
): Promise<Process> {
  return createSubprocessExec(process.execPath, ['-e', script, ...args], options);
}

const PIPES: CreateSubprocessOptions = { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' };
const CAT = 'process.stdin.pipe(process.stdout);';
// Waits to be signalled, for a minute at most: a failed test leaks no process for long.
const SLEEPER = "process.stdout.write('ready\\n'); setTimeout(() => {}, 60_000);";

/** Whether `pid` is gone: exited and reaped (a zombie still counts as present). */
function processIsGone(pid: number): boolean {
  if (existsSync('/proc/self')) return !existsSync(`/proc/${pid}`);
  try {
    return (
      execFileSync('ps', ['-o', 'stat=', '-p', String(pid)])
        .toString()
        .trim() === ''
    );
  } catch {
    return true; // ps exits 1 when there is no such process
  }
}

describe('createSubprocessExec', () => {
  it('round-trips stdin to stdout through the streams (test_stdin_stdout)', async () => {
    const child = await node(CAT, { stdin: 'pipe', stdout: 'pipe' });

    child.stdin?.write('some data');
    await child.stdin?.drain();
    child.stdin?.close();
    const output = await child.stdout?.read();
    const exitcode = await child.wait();

    expect(String(output)).toBe('some data');
    expect(exitcode).toBe(0);
    expect(child.returncode).toBe(0);
    expect(child.stdin).toBeInstanceOf(StreamWriter);
    expect(child.stdout).toBeInstanceOf(StreamReader);
    expect(child.stderr).toBeNull(); // inherited, as asyncio's default
    expect(child.pid).toBeGreaterThan(0);
  });

  it('passes arguments as they are, with no shell (no injection)', async () => {
    const tricky = ['$(echo hi)', '`id`', '; exit 3', 'a b', '*', "'quoted'", ''];

    const child = await node(
      'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
      { stdout: 'pipe' },
      ...tricky,
    );
    const { stdout } = await child.communicate();

    expect(JSON.parse(String(stdout))).toEqual(tricky);
  });

  it('rejects with ENOENT for a program that does not exist', async () => {
    const error = await rejection(createSubprocessExec(`${scratch.path}/no-such-program`));

    expect(error).toMatchObject({ code: 'ENOENT' });
  });

  it('validates its arguments and options with errors that name them', async () => {
    await expect(createSubprocessExec('')).rejects.toThrow(
      new RangeError("program must be a non-empty string; got ''"),
    );
    await expect(createSubprocessExec(undefined as never)).rejects.toThrow(
      new TypeError('program must be a non-empty string; got undefined'),
    );
    await expect(createSubprocessExec('node', '-v' as never)).rejects.toThrow(
      new TypeError('args must be an array of strings; got "-v" (a string)'),
    );
    await expect(createSubprocessExec('node', ['-e', 42 as never])).rejects.toThrow(
      new TypeError('args[1] must be a string; got 42'),
    );
    await expect(createSubprocessExec('node', [], { limit: 0 })).rejects.toThrow(
      new RangeError('options.limit must be an integer >= 1; got 0'),
    );
    await expect(createSubprocessExec('node', [], { stdout: 'file' as never })).rejects.toThrow(
      TypeError,
    );
    await expect(createSubprocessExec('node', [], null as never)).rejects.toThrow(TypeError);
    await expect(createSubprocessShell('')).rejects.toThrow(RangeError);
  });

  it('runs in cwd with exactly the env given', async () => {
    const child = await node(
      'process.stdout.write(JSON.stringify([process.cwd(), process.env.GREETING, process.env.PATH ?? null]))',
      { stdout: 'pipe', cwd: scratch.path, env: { GREETING: 'hello' } },
    );

    const { stdout } = await child.communicate();

    expect(JSON.parse(String(stdout))).toEqual([realpathSync(scratch.path), 'hello', null]);
  });

  it('uses the reader limit given (a longer line overruns it)', async () => {
    const child = await node("process.stdout.write('x'.repeat(100) + '\\n')", {
      stdout: 'pipe',
      limit: 10,
    });

    await expect(child.stdout?.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    child.kill();
    await child.wait();
  });
});

describe('createSubprocessShell', () => {
  it('runs a command line through the shell (test_shell)', async () => {
    const child = await createSubprocessShell('echo $((40 + 2)); exit 7', { stdout: 'pipe' });

    const { stdout } = await child.communicate();

    expect(String(stdout)).toBe('42\n');
    expect(child.returncode).toBe(7);
  });
});

describe('Process.communicate', () => {
  it('writes the input and returns both outputs (test_communicate)', async () => {
    const child = await node(
      "process.stderr.write('warning'); process.stdin.pipe(process.stdout);",
      PIPES,
    );

    const { stdout, stderr } = await child.communicate('some data');

    expect([String(stdout), String(stderr), child.returncode]).toEqual(['some data', 'warning', 0]);
  });

  it('moves 20 MB in and 20 MB out, plus 5 MB of stderr, without a deadlock', async () => {
    const input = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < input.length; i += 4096) input[i] = (i / 4096) & 0xff;
    const child = await node(
      "process.stderr.write(Buffer.alloc(5 * 1024 * 1024, 'e')); process.stdin.pipe(process.stdout);",
      PIPES,
    );

    const { stdout, stderr } = await child.communicate(input);

    expect(stdout.length).toBe(input.length);
    expect(stdout.equals(input)).toBe(true);
    expect(stderr.length).toBe(5 * 1024 * 1024);
    expect(child.returncode).toBe(0);
  });

  it('sends empty input as an immediate EOF (test_empty_input)', async () => {
    const code =
      "let n = 0; process.stdin.on('data', (d) => { n += d.length; }).on('end', () => console.log(n));";
    const child = await node(code, PIPES);

    const { stdout } = await child.communicate(new Uint8Array(0));

    expect(String(stdout).trim()).toBe('0');
  });

  it("gives a child with stdin: 'ignore' an empty stdin (test_devnull_input)", async () => {
    const code =
      "let n = 0; process.stdin.on('data', (d) => { n += d.length; }).on('end', () => console.log(n));";
    const child = await node(code, { stdin: 'ignore', stdout: 'pipe' });

    const { stdout, stderr } = await child.communicate();

    expect(child.stdin).toBeNull();
    expect(String(stdout).trim()).toBe('0');
    expect(stderr).toEqual(Buffer.alloc(0));
  });

  it('returns an empty Buffer for a stream that is not piped (test_devnull_output, test_devnull_error)', async () => {
    const child = await node("process.stdout.write('lost'); process.stderr.write('lost too');", {
      stdout: 'ignore',
      stderr: 'ignore',
    });

    const result = await child.communicate();

    expect(result).toEqual({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) });
    expect([child.stdout, child.stderr]).toEqual([null, null]);
  });

  it("merges stderr into stdout with stderr: 'stdout', in the order written", async () => {
    const child = await node(
      "const { writeSync } = require('node:fs'); writeSync(1, 'out1 '); writeSync(2, 'err1 '); writeSync(1, 'out2');",
      { stdout: 'pipe', stderr: 'stdout' },
    );

    const { stdout, stderr } = await child.communicate();

    expect(String(stdout)).toBe('out1 err1 out2');
    expect(stderr.length).toBe(0);
    expect(child.stderr).toBeNull();
  });

  it('ignores a child that exits without reading its input (test_communicate_ignore_broken_pipe)', async () => {
    const child = await node('process.exit(0)', { stdin: 'pipe' });
    await child.wait();

    await child.communicate(Buffer.alloc(4 * 1024 * 1024));

    expect(child.returncode).toBe(0);
  });

  it('refuses input when stdin is not piped, and input that is not bytes or text', async () => {
    const child = await node('0');

    await expect(child.communicate('data')).rejects.toThrow(
      new TypeError("communicate(input) needs a process made with stdin: 'pipe'"),
    );
    await expect(child.communicate(42 as never)).rejects.toThrow(
      new TypeError('input must be a Uint8Array, a string or undefined; got 42'),
    );
    await child.wait();
  });

  it('is cancelled with its task and leaves the child running until killed', async () => {
    const child = await node(SLEEPER, { stdout: 'pipe' });
    const task = createTask(() => child.communicate());
    await sleep(50);

    task.cancel();

    await expect(task).rejects.toBeInstanceOf(CancelledError);
    expect(child.returncode).toBeNull();
    child.kill();
    expect(await child.wait()).toBe(-9);
  });

  it('leaves no zombie when killed after a timeout', async () => {
    const child = await node(SLEEPER, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe' });

    const error = await rejection(timeout(200, () => child.communicate('ignored input')));
    child.kill();
    await child.wait();

    expect(error).toBeInstanceOf(TimeoutError);
    expect(child.returncode).toBe(-9);
    expect(processIsGone(child.pid)).toBe(true);
  });

  it('gives up when its signal aborts', async () => {
    const child = await node(SLEEPER, { stdout: 'pipe' });
    const controller = new AbortController();
    const communicating = child.communicate(undefined, { signal: controller.signal });

    controller.abort(new Error('enough'));

    await expect(communicating).rejects.toThrow('enough');
    child.kill();
    await child.wait();
  });
});

describe('Process.wait and signals', () => {
  it.each([
    ['exit code 0', 'process.exit(0)', 0],
    ['exit code 3', 'process.exitCode = 3', 3],
    ['exit code 255', 'process.exit(255)', 255],
  ])('returns the %s', async (_name, script, returncode) => {
    const child = await node(script);

    expect(await child.wait()).toBe(returncode);
    expect(child.returncode).toBe(returncode);
  });

  it.each([
    ['terminate', -15],
    ['kill', -9],
  ] as const)(
    '%s() ends the child with returncode %i (test_terminate, test_kill)',
    async (method, returncode) => {
      const child = await node(SLEEPER, { stdout: 'pipe' });
      await child.stdout?.readLine();

      child[method]();

      expect(await child.wait()).toBe(returncode);
      expect(processIsGone(child.pid)).toBe(true);
    },
  );

  it('sendSignal() delivers SIGHUP (test_send_signal)', async () => {
    const child = await node(SLEEPER, { stdout: 'pipe' });
    expect(String(await child.stdout?.readLine())).toBe('ready\n');

    child.sendSignal('SIGHUP');

    expect(await child.wait()).toBe(-1);
  });

  it('ignores signals once the child exited, and rejects unknown ones', async () => {
    const child = await node('0', { stdout: 'pipe' });
    await child.communicate();
    await sleep(20); // the transport is finished by now: asyncio would raise ProcessLookupError

    child.kill();
    child.terminate();
    child.sendSignal('SIGHUP');

    expect(child.returncode).toBe(0);
    expect(() => child.sendSignal('SIGNOPE' as never)).toThrow(RangeError);
    expect(() => child.sendSignal({} as never)).toThrow(TypeError);
  });

  it('lets a cancelled wait() go, then waits again (test_cancel_process_wait)', async () => {
    const child = await node(SLEEPER);
    const waiting = createTask(() => child.wait());
    await sleep(10);

    waiting.cancel();

    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(child.returncode).toBeNull();
    child.kill();
    expect(await child.wait()).toBe(-9);
  });

  it('gives up a wait when its signal aborts', async () => {
    const child = await node(SLEEPER);

    await expect(child.wait({ signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      name: 'TimeoutError',
    });

    child.kill();
    await child.wait();
  });

  it('returns at the exit even while a grandchild keeps stdout open', async () => {
    const child = await node(
      "require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 2_000)'], { stdio: ['ignore', 'inherit', 'ignore'] }).unref();",
      { stdout: 'pipe' },
    );

    expect(await child.wait()).toBe(0);
    expect(child.stdout?.atEof()).toBe(false); // the grandchild still holds the pipe
    expect(String(await child.stdout?.read())).toBe(''); // EOF once it is gone
  });
});

describe('Process streams', () => {
  it('still delivers what the child wrote before it exited (test_read_stdout_after_process_exit)', async () => {
    const child = await node(
      "for (let i = 0; i < 64; i++) process.stdout.write('x'.repeat(4096)); process.exitCode = 1;",
      { stdout: 'pipe' },
    );
    let total = 0;

    for (;;) {
      const chunk = await child.stdout?.read(65_536);
      if (chunk === undefined || chunk.length === 0) break;
      total += chunk.length;
      await sleep(20);
    }

    expect(total).toBe(64 * 4096);
    expect(await child.wait()).toBe(1);
  });

  it('makes drain() on stdin throw once the child is gone (test_stdin_broken_pipe)', async () => {
    const child = await node('0', { stdin: 'pipe' });
    await child.wait();
    await sleep(20);

    const error = await rejection(
      (async () => {
        child.stdin?.write(Buffer.alloc(4 * 1024 * 1024));
        await child.stdin?.drain();
      })(),
    );

    expect(['EPIPE', 'ECONNRESET']).toContain((error as { code?: string }).code);
  });
});

describe('Process disposal', () => {
  it('kills a child that still runs at the end of an await using block', async () => {
    let pid = 0;
    let seen: Process | undefined;
    {
      await using child = await node(SLEEPER, { stdout: 'pipe' });
      pid = child.pid;
      seen = child;
      await child.stdout?.readLine();
    }

    expect(seen?.returncode).toBe(-9);
    expect(processIsGone(pid)).toBe(true);
  });
});
