/*
 * Helpers the workers tests share.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../src/index.js';

/** Both pools, for behaviour they share. */
export const pools = [
  ['ThreadPoolExecutor', ThreadPoolExecutor],
  ['ProcessPoolExecutor', ProcessPoolExecutor],
] as const;

/** A job that says which worker ran it: "pid:threadId". */
export const whoAmI = (): string => `${process.pid}:${require('node:worker_threads').threadId}`;

export { rejection } from '@coro/test-support';

/** A scratch directory, removed by the returned function. */
export function scratchDirectory(): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), 'coro-workers-'));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Resolves once `path` exists (a job wrote it to say it started). */
export async function fileAppears(path: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`${path} did not appear in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Real-time pause (for the worker side of a test; never asserted on). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The pid a child wrote to `path`, once the whole number is there: a file can exist before
 * its content is written, and `Number('')` is 0, which `process.kill` reads as "my whole
 * process group" (a test killing "the child" would kill the test runner and CI with it).
 */
export async function readPid(path: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (/^[1-9]\d*$/.test(text)) return Number(text);
    if (Date.now() > deadline)
      throw new Error(`${path} holds no pid after ${timeoutMs} ms: '${text}'`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Throws unless `pid` names one process (0 and negatives name process groups). */
function requireOnePid(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RangeError(`pid must be an integer > 0 (one process, not a group); got ${pid}`);
  }
}

/** Whether a process with this pid is alive. */
export function isAlive(pid: number): boolean {
  requireOnePid(pid);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A job that writes `path`, then spins until the end of time (only termination stops it). */
export function spinForever(path: string): never {
  require('node:fs').writeFileSync(path, 'started');
  for (;;) {
    // busy: ignores its signal
  }
}

declare global {
  // Workers compile jobs with `require` in scope.
  // biome-ignore lint/suspicious/noExplicitAny: the worker's require
  var require: (id: string) => any;
}
