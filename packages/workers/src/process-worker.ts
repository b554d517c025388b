/*
 * process-worker: a pool worker in a child process (`node -e <runtime>`), talking over
 * two extra pipes, fd 3 (jobs in) and fd 4 (results out), in frames of
 * [u32 length][v8.serialize payload]. Measured faster than fork()'s IPC channel (no
 * 'message' event per result: a read brings many frames). The child's stdout and stderr
 * are the parent's, so a job's console.log shows as usual.
 *
 * Which job runs: results come in batches (the runtime's invariant 4). When the child
 * ends through process.exit() or an uncaught error, its exit hook sends the rest and
 * [EXITING], and the oldest unreported job is the one that ended it (the parent reads
 * every frame before 'close'). Killed outright (out of memory, SIGKILL) with several
 * jobs unreported, it cannot be told: runningJob() says null, and the pool re-runs
 * those jobs one at a time to find the culprit.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import type { Job } from './job.js';
import { PoolWorker, type WorkerEvents } from './pool-worker.js';
import {
  abortMessage,
  encodeFrame,
  type Message,
  opcodeOf,
  PROTOCOL,
  readFrames,
} from './protocol.js';

/** @internal How ProcessPoolExecutor starts its workers. */
export interface ProcessWorkerSettings {
  source: string;
  execArgv: string[];
  maxMemoryMb: number | undefined;
  env: NodeJS.ProcessEnv | undefined;
}

/**
 * How long an idle retiring child may take to exit after its pipe closed, before SIGKILL
 * (one still running a cancelled job gets `cancelGraceMs`).
 */
const RETIRE_KILL_MS = 5_000;

/** @internal */
export class ProcessWorker extends PoolWorker {
  readonly #child: ChildProcess;
  readonly #input: Writable & { ref?(): void; unref?(): void };
  readonly #output: Readable & { ref?(): void; unref?(): void };
  readonly #lifeline: Writable & { unref?(): void };
  readonly #maxMemoryMb: number | undefined;
  #pending: Buffer | null = null;
  #error: unknown = null;
  /** The child said its reports are complete (its exit hook ran). */
  #reportsComplete = false;
  readonly #exit: Promise<void>;

  constructor(events: WorkerEvents, settings: ProcessWorkerSettings) {
    super(events);
    this.#maxMemoryMb = settings.maxMemoryMb;
    const args = [...settings.execArgv];
    if (settings.maxMemoryMb !== undefined) {
      args.push(`--max-old-space-size=${settings.maxMemoryMb}`);
    }
    args.push('-e', settings.source);
    const child = spawn(process.execPath, args, {
      // JOBS_FD, RESULTS_FD, then LIFELINE_FD: never written, the child's watchdog sees it
      // end when this process is gone, however it died.
      stdio: ['ignore', 'inherit', 'inherit', 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
      ...(settings.env !== undefined ? { env: settings.env } : {}),
    });
    this.#child = child;
    this.#input = child.stdio[PROTOCOL.JOBS_FD] as Writable;
    this.#output = child.stdio[PROTOCOL.RESULTS_FD] as Readable;
    this.#lifeline = (child.stdio as unknown[])[PROTOCOL.LIFELINE_FD] as Writable & {
      unref?(): void;
    };
    this.#lifeline.unref?.(); // held, never written: it keeps nothing alive
    this.#input.on('error', () => {}); // EPIPE after a crash: 'close' reports the death
    this.#output.on('data', (chunk: Buffer) => this.#receive(chunk));
    child.on('error', (error) => {
      this.#error = error;
    });
    this.#exit = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.markExited();
        this.#lifeline.destroy();
        events.handleExit(this, this.#describeExit(code, signal), this.#error);
        resolve();
      });
    });
  }

  /** The child's process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  protected nextSlot(): number {
    return 0;
  }

  protected post(message: Message): void {
    let payload: Buffer;
    try {
      payload = serialize(message);
    } catch (error) {
      // Named as postMessage names it, so both pools fail a bad argument alike.
      throw new DOMException((error as Error).message, 'DataCloneError');
    }
    this.#input.write(encodeFrame(payload));
  }

  cancelAssigned(job: Job<unknown>, graceMs: number): void {
    this.post(abortMessage(job.id)); // not started: the child skips it; running: aborts it
    if (this.oldestJob() === job) this.armGrace(job, graceMs);
  }

  override afterReports(graceMs: number): void {
    // A job given up while it waited here may have started before the child saw that.
    const front = this.oldestJob();
    if (front?.done()) this.armGrace(front, graceMs);
  }

  hasStarted(job: Job<unknown>): boolean {
    return this.oldestJob() === job;
  }

  protected stillRunning(job: Job<unknown>): boolean {
    return this.oldestJob() === job;
  }

  runningJob(): Job<unknown> | undefined | null {
    if (this.#reportsComplete || this.held <= 1) return this.oldestJob();
    return null;
  }

  terminate(): void {
    this.#child.kill('SIGKILL');
  }

  protected exitWhenIdle(graceMs: number): Promise<void> {
    if (!this.exited) {
      this.#input.end(); // the child exits when its pipe closes…
      // …once it is idle. A pool drained before retiring holds only given-up jobs here:
      // one may still be running, and it gets what any cancelled job gets.
      const delayMs = this.held > 0 ? graceMs : RETIRE_KILL_MS;
      const killer = setTimeout(() => this.#child.kill('SIGKILL'), delayMs);
      void this.#exit.then(() => clearTimeout(killer));
    }
    return this.#exit;
  }

  protected setReferenced(on: boolean): void {
    for (const handle of [this.#child, this.#input, this.#output]) {
      if (on) handle.ref?.();
      else handle.unref?.();
    }
  }

  #receive(chunk: Buffer): void {
    this.#pending = readFrames(this.#pending, chunk, this.#onPayload);
  }

  readonly #onPayload = (payload: Buffer): void => {
    const message = deserialize(payload) as Message;
    if (opcodeOf(message) === PROTOCOL.EXITING) this.#reportsComplete = true;
    else this.events.handleResults(this, message);
  };

  #describeExit(code: number | null, signal: NodeJS.Signals | null): string {
    const how = signal !== null ? `was killed by ${signal}` : `exited (exit code ${code})`;
    const memory =
      this.#maxMemoryMb !== undefined &&
      (signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134)
        ? ` (likely out of memory: maxMemoryMb ${this.#maxMemoryMb})`
        : '';
    return `its worker process ${how}${memory}`;
  }
}
