/*
 * The `coro` command against a real process (issue 15): test/fixtures/task-tree.ts runs a
 * known task tree with enableIntrospection(); `coro ps PID` and `coro pstree PID` must show
 * it. The child (and the command, once) run from the sources through tsx, with their own
 * TMPDIR; the other cases call the command's main() in this process.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

let temporary: string;
let child: ChildProcess;
let pid: number;
let socketPath: string;

/** Runs `coro <args>` as a process, from src/cli.ts; resolves to its exit code and output. */
async function coroProcess(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', ...args],
      { cwd: packageDirectory, env: { ...process.env, TMPDIR: temporary } },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Runs the command's main() in this process (faster); same exit code and output. */
async function coro(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => {
    stdout.push(`${line}\n`);
  });
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => {
    stderr.push(`${line}\n`);
  });
  const previousTmpdir = process.env.TMPDIR;
  process.env.TMPDIR = temporary; // os.tmpdir() reads it on each call
  try {
    const code = await main(args);
    return { code, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    process.env.TMPDIR = previousTmpdir;
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    log.mockRestore();
    error.mockRestore();
  }
}

beforeAll(async () => {
  temporary = mkdtempSync(join(tmpdir(), 'coro-cli-test-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/task-tree.ts'], {
    cwd: packageDirectory,
    env: { ...process.env, TMPDIR: temporary },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  socketPath = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const ready = /^ready (.+)$/m.exec(output);
      if (ready !== null) resolve(ready[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`the task tree process exited (${code})`)));
  });
  pid = child.pid as number;
}, 60_000);

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(temporary, { recursive: true, force: true });
});

describe('coro ps PID', () => {
  it('lists every task of the process: name, state, for how long, who awaits it, what it awaits', async () => {
    const { code, stdout } = await coro('ps', String(pid));

    expect(code).toBe(0);
    const [header, columns, ...rows] = stdout.trimEnd().split('\n');
    expect(header).toMatch(
      new RegExp(`^pid ${pid} \\(node v\\d+\\.\\d+\\.\\d+: .*task-tree\\.ts\\): 5 pending tasks$`),
    );
    expect(columns).toMatch(/^ID +NAME +STATE +FOR +AWAITED BY +AWAITS$/);
    const row = (name: string) => rows.find((line) => line.includes(` ${name} `)) ?? '';
    expect(row('main')).toMatch(
      / main +waiting +\d[\d.]* m?s +- +gather\(2 awaitables, 2 pending\)$/,
    );
    expect(row('fetch-1')).toMatch(
      / fetch-1 +waiting +\d[\d.]* m?s +\d+ +Future 'page-1' pending$/,
    );
    expect(row('fetch-2')).toMatch(/ fetch-2 +waiting +.* sleep\(600000 ms, \d+ ms left\)$/);
    expect(row('queue-worker')).toMatch(/ queue-worker +waiting +.* Queue\.get: empty$/);
    expect(rows).toHaveLength(5);
  });

  it('serves the snapshot as JSON with --json, on a socket only its user can reach', async () => {
    const { code, stdout } = await coro('ps', String(pid), '--json');

    expect(code).toBe(0);
    const snapshot = JSON.parse(stdout);
    expect(snapshot.pid).toBe(pid);
    expect(snapshot.tasks.map((task: { name: string }) => task.name).sort()).toEqual([
      'crawler',
      'fetch-1',
      'fetch-2',
      'main',
      'queue-worker',
    ]);
    expect(socketPath).toBe(join(temporary, `coro-${process.getuid?.()}`, `${pid}.sock`));
  });
});

describe('coro pstree PID', () => {
  it('prints each task under the task that awaits it (the command run as a process)', async () => {
    const { code, stdout } = await coroProcess('pstree', String(pid));

    expect(code).toBe(0);
    const tree = stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => line.replace(/#\d+/, '#N').replace(/waiting [^ ]+ m?s/, 'waiting T'));
    expect(tree).toEqual([
      "└── Task 'main' #N waiting T for gather(2 awaitables, 2 pending)",
      "    ├── Task 'crawler' #N waiting T for gather(2 awaitables, 2 pending)",
      "    │   ├── Task 'fetch-1' #N waiting T for Future 'page-1' pending",
      expect.stringMatching(
        /^ {4}│ {3}└── Task 'fetch-2' #N waiting T for sleep\(600000 ms, \d+ ms left\)$/,
      ),
      "    └── Task 'queue-worker' #N waiting T for Queue.get: empty",
    ]);
  });
});

describe('coro on a process without introspection', () => {
  it('exits with 1 and says the process must call enableIntrospection()', async () => {
    const { code, stderr } = await coro('ps', String(process.pid));

    expect(code).toBe(1);
    expect(stderr).toContain(`no coro introspection socket for pid ${process.pid}`);
    expect(stderr).toContain('enableIntrospection()');
  });

  it('exits with 2 and prints the usage for an unknown command', async () => {
    const { code, stderr } = await coro('top', '1');

    expect(code).toBe(2);
    expect(stderr).toContain('usage: coro ps PID');
  });
});
