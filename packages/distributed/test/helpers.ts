/*
 * Helpers the distributed tests share: a real redis-server per test file (@coro/test-support's
 * startRedis: 127.0.0.1, a free port, no persistence unless a test restarts it keeping its
 * data), and real `coro-worker` processes started from the sources (tsx).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisServer } from '@coro/test-support';

export { freePort, type RedisServer, startRedis } from '@coro/test-support';

export const packageDirectory = fileURLToPath(new URL('..', import.meta.url));
export const jobsModule = fileURLToPath(new URL('./fixtures/jobs.mjs', import.meta.url));

/** Resolves once `process` printed a line matching `pattern` (on stdout). */
function lineMatching(
  child: ChildProcess,
  lines: string[],
  pattern: RegExp,
  what: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const seen = lines.find((line) => pattern.test(line));
    if (seen !== undefined) return resolve(seen);
    const onLine = (line: string) => {
      if (!pattern.test(line)) return;
      child.off('exit', onExit);
      lineEvents.get(child)?.delete(onLine);
      resolve(line);
    };
    const onExit = (code: number | null) => {
      lineEvents.get(child)?.delete(onLine);
      reject(
        new Error(`${what} exited (${code}) before printing ${pattern}:\n${lines.join('\n')}`),
      );
    };
    child.once('exit', onExit);
    lineEvents.get(child)?.add(onLine);
  });
}

const lineEvents = new WeakMap<ChildProcess, Set<(line: string) => void>>();

function collectLines(child: ChildProcess, lines: string[]): void {
  const listeners = new Set<(line: string) => void>();
  lineEvents.set(child, listeners);
  const feed = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      rest += chunk;
      const parts = rest.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const listener of [...listeners]) listener(line);
      }
    });
  };
  feed(child.stdout);
  feed(child.stderr);
}

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** Everything it printed (stdout and stderr), line by line. */
  lines: string[];
  /** Resolves with its exit code. */
  exited: Promise<number | null>;
  /** Resolves once it printed a line matching `pattern`. */
  printed(pattern: RegExp): Promise<string>;
}

/** Starts `coro-worker` (from the sources) and waits for its ready line. */
export async function startWorker(
  redis: RedisServer,
  queue: string,
  extra: string[] = [],
): Promise<WorkerProcess> {
  const lines: string[] = [];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/coro-worker.ts',
      '--redis',
      redis.url,
      '--queue',
      queue,
      '--module',
      jobsModule,
      ...extra,
    ],
    { cwd: packageDirectory, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  collectLines(child, lines);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const worker: WorkerProcess = {
    child,
    pid: child.pid as number,
    lines,
    exited,
    printed: (pattern) => lineMatching(child, lines, pattern, 'coro-worker'),
  };
  await worker.printed(/^coro-worker ready/);
  return worker;
}

/** Stops a worker process for good (SIGKILL), and waits for it. */
export async function killWorker(worker: WorkerProcess): Promise<void> {
  if (worker.child.exitCode === null && worker.child.signalCode === null)
    worker.child.kill('SIGKILL');
  await worker.exited;
}

/** A scratch directory for marker files. */
export function scratch(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'coro-distributed-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Resolves once `path` exists. */
export async function appears(path: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves once a file whose name starts with `prefix` exists in `directory`; its name. */
export async function appearsStartingWith(
  directory: string,
  prefix: string,
  timeoutMs = 20_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const names = readdirSync(directory).filter((name) => name.startsWith(prefix));
    if (names.length > 0) return names;
    if (Date.now() > deadline)
      throw new Error(`no ${prefix}* in ${directory} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let queues = 0;
/** A queue name no other test of this file uses. */
export function newQueue(label: string): string {
  queues++;
  return `${label}-${process.pid}-${queues}`;
}
