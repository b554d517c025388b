/*
 * pool-worker: the pool's side of one worker (a thread or a process): the jobs handed to
 * it, in the order it runs them, and what the pool asks of it. ThreadWorker and
 * ProcessWorker say how messages travel and how to tell which job is running.
 *
 * Invariants
 *   1. `outstanding` holds the jobs handed to the worker and not yet reported, in the
 *      order the worker runs them; reports arrive in that order (the runtime's
 *      invariant 2), so each report matches the front.
 *   2. The worker is referenced (keeps Node alive) exactly while `outstanding` is not
 *      empty: an idle pool does not hold the program open.
 *   3. At most one grace timer: a cancelled job that is running gets `graceMs` to stop on
 *      its signal before the worker is terminated.
 */

import type { TransferListItem } from 'node:worker_threads';
import { Deque } from '@coro/loop';
import type { Job } from './job.js';

/** @internal What a worker reports to its pool. */
export interface WorkerEvents {
  handleResults(worker: PoolWorker, message: unknown[]): void;
  handleExit(worker: PoolWorker, reason: string, cause: unknown): void;
}

/** @internal */
export abstract class PoolWorker {
  readonly events: WorkerEvents;
  readonly outstanding = new Deque<Job<unknown>>();
  /** Function-table ids whose source this worker was sent. */
  readonly knownFunctions = new Set<number>();
  graceTimer: ReturnType<typeof setTimeout> | null = null;
  /** The job the grace timer is for. */
  graceJob: Job<unknown> | null = null;
  exited = false;
  retiring = false;
  referenced = true;
  /** The worker reported at least once (it got past starting up). */
  reported = false;
  /** The pool stopped it (a cancelled job's grace period ran out). */
  terminatedByPool = false;

  constructor(events: WorkerEvents) {
    this.events = events;
  }

  /** The slot for the next job handed over (threads: marks it QUEUED). */
  abstract nextSlot(): number;
  /** Sends a message; throws if it cannot be cloned (nothing was sent then). */
  abstract post(message: unknown[], transfer: TransferListItem[]): void;
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
  /**
   * Asks the worker to exit once idle, giving a given-up job still running `graceMs` to
   * stop; resolves when it has exited.
   */
  abstract retire(graceMs: number): Promise<void>;
  protected abstract setReferenced(on: boolean): void;

  /** Invariant 2. */
  updateReference(): void {
    const busy = this.outstanding.length > 0;
    if (busy !== this.referenced) {
      this.referenced = busy;
      if (!this.exited) this.setReferenced(busy);
    }
  }

  /** Invariant 3: terminate unless `job` stops (is reported) within `graceMs`. */
  armGrace(job: Job<unknown>, graceMs: number): void {
    if (this.graceTimer !== null) return;
    this.graceJob = job;
    this.graceTimer = setTimeout(() => {
      this.graceTimer = null;
      this.graceJob = null;
      if (job.worker === this && !this.exited && this.stillRunning(job)) {
        this.terminatedByPool = true;
        this.terminate();
      }
    }, graceMs);
  }

  /** Whether `job`, given up, is still running (so the grace period ends in termination). */
  protected abstract stillRunning(job: Job<unknown>): boolean;

  clearGrace(): void {
    if (this.graceTimer !== null) {
      clearTimeout(this.graceTimer);
      this.graceTimer = null;
      this.graceJob = null;
    }
  }
}
