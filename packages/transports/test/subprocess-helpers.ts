/*
 * Helpers of the subprocess tests: a SubprocessProtocol that records what it
 * hears, child programs run by this very Node.js (nothing else needs to be
 * installed), and a check that a process is gone (exited and reaped).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Future, sleep } from '@coro/futures';
import type { SubprocessProtocol, SubprocessTransport } from '../src/index.js';
import { Conditions } from './helpers.js';

export class SubprocessRecorder implements SubprocessProtocol {
  transport: SubprocessTransport | undefined;
  readonly trace: string[] = [];
  readonly output: Record<1 | 2, string> = { 1: '', 2: '' };
  readonly pipeErrors: (Error | undefined)[] = [];
  readonly lost = new Future<void>();
  readonly exited = new Future<number | null>();
  readonly #conditions = new Conditions();

  connectionMade(transport: SubprocessTransport): void {
    this.transport = transport;
    this.#note('connectionMade');
  }

  pipeDataReceived(fd: number, data: Uint8Array): void {
    this.output[fd as 1 | 2] += Buffer.from(data).toString();
    this.#note(`data ${fd}`);
  }

  pipeConnectionLost(fd: number, error?: Error): void {
    this.pipeErrors.push(error);
    this.#note(`pipeConnectionLost ${fd}`);
  }

  processExited(): void {
    this.#note('processExited');
    this.exited.setResult(this.transport?.getReturncode() ?? null);
  }

  connectionLost(): void {
    this.#note('connectionLost');
    this.lost.setResult(undefined);
  }

  /** Resolves once `ready()` holds (checked after every event). */
  until(ready: () => boolean): Future<void> {
    return this.#conditions.until(ready);
  }

  /** The trace without the data events (their number depends on chunking). */
  events(): string[] {
    return this.trace.filter((event) => !event.startsWith('data'));
  }

  #note(event: string): void {
    this.trace.push(event);
    this.#conditions.check();
  }
}

/** `node -e <script>`: the program and arguments of a child running `script`. */
export function nodeScript(script: string): [string, string[]] {
  return [process.execPath, ['-e', script]];
}

/** A child that says `ready` on stdout, then waits to be signalled (for a minute at most: a failed test leaks no process for long). */
export const SLEEPER = "process.stdout.write('ready\\n'); setTimeout(() => {}, 60_000);";

/** A child that copies stdin to stdout. */
export const CAT = 'process.stdin.pipe(process.stdout);';

/** Whether `pid` is gone: exited and reaped (a zombie still counts as present). */
export function processIsGone(pid: number): boolean {
  if (existsSync('/proc/self')) return !existsSync(`/proc/${pid}`);
  try {
    return (
      execFileSync('ps', ['-o', 'stat=', '-p', String(pid)])
        .toString()
        .trim() === ''
    );
  } catch {
    return true; // ps exits 1 when no such process
  }
}

/** Waits (up to ~10 s, for a loaded machine) until `pid` is gone; returns whether it is. */
export async function becomesGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 1_000 && !processIsGone(pid); i++) await sleep(10);
  return processIsGone(pid);
}
