/*
 * thread-worker: a pool worker on worker_threads. Jobs go in batches through
 * postMessage (ArrayBuffers in the transfer list move without a copy); a shared Int32
 * slot per job tells both sides, without a message, whether it started (the runtime's
 * invariant 3): revoking a job that has not started is a compare-and-swap, and after a
 * crash the slots say which job was running.
 */

import { type TransferListItem, Worker } from 'node:worker_threads';
import type { Job } from './job.js';
import { PoolWorker, type WorkerEvents } from './pool-worker.js';
import { abortMessage, type Message, PROTOCOL } from './protocol.js';

const { SLOT_COUNT, SLOT_FINISHED, SLOT_QUEUED, SLOT_REVOKED, SLOT_RUNNING } = PROTOCOL;

/** @internal How ThreadPoolExecutor starts its workers. */
export interface ThreadWorkerSettings {
  source: string;
  name: string;
  execArgv: string[] | undefined;
  maxMemoryMb: number | undefined;
  env: NodeJS.ProcessEnv | undefined;
}

/** @internal */
export class ThreadWorker extends PoolWorker {
  readonly #thread: Worker;
  readonly #slots: Int32Array;
  readonly #maxMemoryMb: number | undefined;
  #nextSlot = 0;
  #error: unknown = null;
  readonly #exit: Promise<void>;

  constructor(events: WorkerEvents, settings: ThreadWorkerSettings) {
    super(events);
    this.#slots = new Int32Array(new SharedArrayBuffer(SLOT_COUNT * 4));
    this.#maxMemoryMb = settings.maxMemoryMb;
    const thread = new Worker(settings.source, {
      eval: true,
      name: settings.name,
      workerData: { slots: this.#slots.buffer },
      ...(settings.execArgv !== undefined ? { execArgv: settings.execArgv } : {}),
      ...(settings.env !== undefined ? { env: settings.env } : {}),
      ...(settings.maxMemoryMb !== undefined
        ? { resourceLimits: { maxOldGenerationSizeMb: settings.maxMemoryMb } }
        : {}),
    } as ConstructorParameters<typeof Worker>[1]);
    this.#thread = thread;
    thread.on('message', (message: Message) => events.handleResults(this, message));
    thread.on('error', (error) => {
      this.#error = error;
    });
    this.#exit = new Promise((resolve) => {
      thread.on('exit', (code) => {
        this.markExited();
        events.handleExit(this, this.#describeExit(code), this.#error);
        resolve();
      });
    });
  }

  /** The thread's id (`threadId` inside it). */
  get threadId(): number {
    return this.#thread.threadId;
  }

  protected nextSlot(): number {
    const slot = this.#nextSlot;
    this.#nextSlot = (slot + 1) % SLOT_COUNT;
    Atomics.store(this.#slots, slot, SLOT_QUEUED);
    return slot;
  }

  protected post(message: Message, transfer: TransferListItem[]): void {
    this.#thread.postMessage(message, transfer);
  }

  cancelAssigned(job: Job<unknown>, graceMs: number): void {
    const before = Atomics.compareExchange(this.#slots, job.slot, SLOT_QUEUED, SLOT_REVOKED);
    if (before === SLOT_QUEUED || before === SLOT_FINISHED) return; // it will be skipped / is done
    this.#thread.postMessage(abortMessage(job.id));
    this.armGrace(job, graceMs);
  }

  hasStarted(job: Job<unknown>): boolean {
    const state = Atomics.load(this.#slots, job.slot);
    return state === SLOT_RUNNING || state === SLOT_FINISHED;
  }

  protected stillRunning(job: Job<unknown>): boolean {
    return Atomics.load(this.#slots, job.slot) === SLOT_RUNNING;
  }

  runningJob(): Job<unknown> | undefined {
    for (const job of this.outstandingJobs()) {
      if (Atomics.load(this.#slots, job.slot) === SLOT_RUNNING) return job;
    }
    return undefined;
  }

  terminate(): void {
    void this.#thread.terminate();
  }

  protected exitWhenIdle(_graceMs: number): Promise<void> {
    void this.#thread.terminate(); // idle once the pool retires it: nothing to wait for
    return this.#exit;
  }

  protected setReferenced(on: boolean): void {
    if (on) this.#thread.ref();
    else this.#thread.unref();
  }

  #describeExit(code: number): string {
    const error = this.#error as { code?: string; message?: string } | null;
    if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return `its worker thread ran out of memory (maxMemoryMb: ${this.#maxMemoryMb})`;
    }
    if (error !== null) {
      return `its worker thread died of an uncaught error: ${error?.message ?? String(error)}`;
    }
    return `its worker thread exited (exit code ${code})`;
  }
}
