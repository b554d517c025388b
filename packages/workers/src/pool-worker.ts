/*
 * pool-worker: the pool's side of one worker (a thread or a process): the jobs handed to
 * it, in the order it runs them, the functions it was sent, and its lifecycle.
 * ThreadWorker and ProcessWorker say how messages travel and how to tell which job runs.
 *
 * Invariants
 *   1. `outstanding` holds the jobs handed to the worker and not yet reported, in the
 *      order the worker runs them; reports arrive in that order (the runtime's
 *      invariant 2), so each report matches the front (`takeReported`).
 *   2. A job is in `outstanding` exactly when it was posted: `hand` assigns the jobs of a
 *      message only once it was sent, and a function counts as known here only then.
 *   3. The worker is referenced (keeps Node alive) exactly while `outstanding` is not
 *      empty: an idle pool does not hold the program open.
 *   4. At most one grace timer: a cancelled job that is running gets `graceMs` to stop on
 *      its signal before the worker is terminated.
 *   5. Lifecycle: running → retiring (retire(), the pool shuts down) → exited; or running
 *      → exited (it died, or the grace period ran out: `terminatedByPool`). `exited` is
 *      set once, by the subclass, when Node says the thread or process is gone.
 */

import type { TransferListItem } from 'node:worker_threads';
import { Deque } from '@coro/loop';
import type { FunctionTable } from './function-table.js';
import type { Job } from './job.js';
import { appendJob, type Message, runMessage } from './protocol.js';

/** @internal What a worker reports to its pool. */
export interface WorkerEvents {
  handleResults(worker: PoolWorker, message: Message): void;
  handleExit(worker: PoolWorker, reason: string, cause: unknown): void;
}

/** @internal */
export abstract class PoolWorker {
  readonly events: WorkerEvents;
  readonly #outstanding = new Deque<Job<unknown>>();
  /** Function-table ids whose source this worker was sent (invariant 2). */
  readonly #knownFunctions = new Set<number>();
  #graceTimer: ReturnType<typeof setTimeout> | null = null;
  /** The job the grace timer is for. */
  #graceJob: Job<unknown> | null = null;
  #exited = false;
  #retiring = false;
  #referenced = true;
  #reported = false;
  #terminatedByPool = false;

  constructor(events: WorkerEvents) {
    this.events = events;
  }

  /** The thread or process is gone (invariant 5). */
  get exited(): boolean {
    return this.#exited;
  }

  /** The pool asked it to exit (invariant 5). */
  get retiring(): boolean {
    return this.#retiring;
  }

  /** It reported at least once (it got past starting up). */
  get reported(): boolean {
    return this.#reported;
  }

  /** The pool stopped it (a cancelled job's grace period ran out). */
  get terminatedByPool(): boolean {
    return this.#terminatedByPool;
  }

  /** Jobs handed to it and not yet reported. */
  get held(): number {
    return this.#outstanding.length;
  }

  /** The oldest job it holds (the one running, or next to run). */
  oldestJob(): Job<unknown> | undefined {
    return this.#outstanding.peekFront();
  }

  /** Whether it takes new jobs. */
  accepts(): boolean {
    return !this.#retiring && !this.#exited;
  }

  /** The slot for the next job handed over (threads: marks it QUEUED). */
  protected abstract nextSlot(): number;
  /** Sends a message; throws if it cannot be cloned (nothing was sent then). */
  protected abstract post(message: Message, transfer: TransferListItem[]): void;
  /** A job handed to this worker was given up: revoke it, or abort it if it runs. */
  abstract cancelAssigned(job: Job<unknown>, graceMs: number): void;
  /** Called after a batch of reports was handled. */
  afterReports(_graceMs: number): void {}
  /** Whether `job` (outstanding here) has started; false means it never will now. */
  abstract hasStarted(job: Job<unknown>): boolean;
  /**
   * The outstanding job that was running when the worker died: a Job, `undefined` if
   * none was, or `null` if that cannot be told (a process killed mid-batch).
   */
  abstract runningJob(): Job<unknown> | undefined | null;
  /** Stops the worker now; `handleExit` follows. */
  abstract terminate(): void;
  /** Makes the worker exit once idle (see `retire`); resolves when it has exited. */
  protected abstract exitWhenIdle(graceMs: number): Promise<void>;
  /** Whether `job`, given up, is still running (so the grace period ends in termination). */
  protected abstract stillRunning(job: Job<unknown>): boolean;
  protected abstract setReferenced(on: boolean): void;

  /**
   * Sends `jobs` in one message, with the source of each function the worker does not
   * know yet. If the message cannot be cloned, sends them one by one, so only the jobs
   * that cannot travel fail (through `unsendable`).
   */
  hand(
    jobs: readonly Job<unknown>[],
    functions: FunctionTable,
    unsendable: (job: Job<unknown>, error: unknown) => void,
  ): void {
    const message = runMessage();
    const transfer: TransferListItem[] = [];
    const slots: number[] = [];
    const newlyKnown: number[] = [];
    for (const job of jobs) {
      let source = job.exportName;
      const id = job.functionId;
      if (id >= 0 && !this.#knownFunctions.has(id)) {
        this.#knownFunctions.add(id);
        newlyKnown.push(id);
        source = functions.sourceOf(id);
      }
      const slot = this.nextSlot();
      slots.push(slot);
      appendJob(message, job, slot, source);
      if (job.transfer !== undefined) for (const item of job.transfer) transfer.push(item);
    }
    try {
      this.post(message, transfer);
    } catch {
      for (const id of newlyKnown) this.#knownFunctions.delete(id);
      for (const job of jobs) this.#handAlone(job, functions, unsendable);
      return;
    }
    for (let i = 0; i < jobs.length; i++) this.#hold(jobs[i] as Job<unknown>, slots[i] as number);
  }

  #handAlone(
    job: Job<unknown>,
    functions: FunctionTable,
    unsendable: (job: Job<unknown>, error: unknown) => void,
  ): void {
    const id = job.functionId;
    const known = id < 0 || this.#knownFunctions.has(id);
    const slot = this.nextSlot();
    const message = runMessage();
    appendJob(message, job, slot, known ? job.exportName : functions.sourceOf(id));
    try {
      this.post(message, job.transfer === undefined ? [] : [...job.transfer]);
    } catch (error) {
      unsendable(job, error);
      return;
    }
    if (!known) this.#knownFunctions.add(id);
    this.#hold(job, slot);
  }

  #hold(job: Job<unknown>, slot: number): void {
    job.assign(this, slot);
    this.#outstanding.push(job);
    this.updateReference();
  }

  /** The job a report is for: the oldest outstanding one, which must be job `id` (invariant 1). */
  takeReported(id: unknown): Job<unknown> {
    const job = this.#outstanding.shift();
    if (job === undefined || job.id !== id) {
      throw new Error(`pool protocol error: result for job ${id}, expected ${job?.id}`);
    }
    this.#reported = true;
    if (this.#graceJob === job) this.clearGrace();
    return job;
  }

  /** Takes every outstanding job out, in order (the worker exited). */
  takeOutstanding(): Job<unknown>[] {
    const jobs: Job<unknown>[] = [];
    for (let job = this.#outstanding.shift(); job !== undefined; job = this.#outstanding.shift()) {
      jobs.push(job);
    }
    return jobs;
  }

  /** The outstanding jobs that have not started (they never will, if given up now). */
  notStarted(): Job<unknown>[] {
    const jobs: Job<unknown>[] = [];
    for (const job of this.#outstanding) if (!this.hasStarted(job)) jobs.push(job);
    return jobs;
  }

  /**
   * Asks the worker to exit once idle, giving a given-up job still running `graceMs` to
   * stop; resolves when it has exited (invariant 5).
   */
  retire(graceMs: number): Promise<void> {
    this.#retiring = true;
    this.clearGrace();
    return this.exitWhenIdle(graceMs);
  }

  /** Invariant 3. */
  updateReference(): void {
    const busy = this.#outstanding.length > 0;
    if (busy !== this.#referenced) {
      this.#referenced = busy;
      if (!this.#exited) this.setReferenced(busy);
    }
  }

  /** Invariant 4: terminate unless `job` stops (is reported) within `graceMs`. */
  armGrace(job: Job<unknown>, graceMs: number): void {
    if (this.#graceTimer !== null) return;
    this.#graceJob = job;
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = null;
      this.#graceJob = null;
      if (job.worker === this && !this.#exited && this.stillRunning(job)) {
        this.#terminatedByPool = true;
        this.terminate();
      }
    }, graceMs);
  }

  clearGrace(): void {
    if (this.#graceTimer !== null) {
      clearTimeout(this.#graceTimer);
      this.#graceTimer = null;
      this.#graceJob = null;
    }
  }

  /** The subclass saw the thread or process go (invariant 5). */
  protected markExited(): void {
    this.#exited = true;
    this.clearGrace();
  }

  /** Jobs it holds, oldest first (for the subclasses). */
  protected outstandingJobs(): Iterable<Job<unknown>> {
    return this.#outstanding;
  }
}
