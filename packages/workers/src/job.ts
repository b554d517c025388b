/*
 * job: one submitted job, which is also the Future its caller awaits (one object per
 * job on the hot path: no closure, no extra promise).
 *
 * Invariants
 *   1. `place` says where the job is, and only the job's own methods change it:
 *        WAITING_ROOM (beyond maxQueue)  → QUEUED                       enterQueue()
 *        QUEUED                          → ASSIGNED (to `worker`, `slot`) assign()
 *        ASSIGNED                        → QUEUED (its worker died)      returnToQueue()
 *        any                             → GONE (reported, or given up)  leave()
 *      `worker` is set exactly while the job is ASSIGNED; a job given up while ASSIGNED
 *      stays there until its worker reports it or dies.
 *   2. Every way the Future completes early (cancel(), its AbortSignal) goes through
 *      `owner.release(job)` (JobFuture's release()), which takes the job out of where it is: queued jobs are
 *      dropped, running ones are aborted and, past the grace period, their worker is
 *      replaced.
 *   3. `suspect` only ever goes from false to true (returnToQueue with suspect): a job
 *      once in a worker that died with several jobs unreported travels alone from then on.
 */

import type { TransferListItem } from 'node:worker_threads';
import type { JobView } from './dispatch-policy.js';
import type { JobFunctionInfo } from './function-table.js';
import { JobFuture } from './job-future.js';
import type { PoolWorker } from './pool-worker.js';
import type { JobEntry } from './protocol.js';

/** @internal */ export const WAITING_ROOM = 0;
/** @internal */ export const QUEUED = 1;
/** @internal */ export const ASSIGNED = 2;
/** @internal */ export const GONE = 3;

/** @internal What a job needs from its pool. */
export interface JobOwner {
  release(job: Job<unknown>): void;
}

/** @internal A job and its Future. */
export class Job<T> extends JobFuture<T> implements JobEntry, JobView {
  readonly owner: JobOwner;
  readonly id: number;
  readonly kind: number;
  /** What the job runs, and how long that function's jobs take. */
  readonly function: JobFunctionInfo;
  readonly args: unknown[];
  readonly transfer: readonly TransferListItem[] | undefined;
  #place: number;
  #worker: PoolWorker | null;
  #slot: number;
  #suspect: boolean;

  constructor(
    owner: JobOwner,
    id: number,
    kind: number,
    jobFunction: JobFunctionInfo,
    args: unknown[],
    transfer: readonly TransferListItem[] | undefined,
  ) {
    super();
    this.owner = owner;
    this.id = id;
    this.kind = kind;
    this.function = jobFunction;
    this.args = args;
    this.transfer = transfer;
    this.#place = QUEUED;
    this.#worker = null;
    this.#slot = 0;
    this.#suspect = false;
  }

  /** Where the job is (invariant 1). */
  get place(): number {
    return this.#place;
  }

  /** The worker the job is assigned to, or null. */
  get worker(): PoolWorker | null {
    return this.#worker;
  }

  /** Its slot in its worker (threads: in the shared slot array). */
  get slot(): number {
    return this.#slot;
  }

  /** Its function's id in the pool's function table (JobEntry). */
  get functionId(): number {
    return this.function.id;
  }

  /** The export's name (module jobs), else null. */
  get exportName(): string | null {
    return this.function.exportName;
  }

  /** Its function's batch size (what the dispatch policy reads). */
  get batch(): number {
    return this.function.batch;
  }

  /** Its worker was killed with it and others unreported: it travels alone (invariant 3). */
  get suspect(): boolean {
    return this.#suspect;
  }

  /** Submitted while the queue is full: waits for room. */
  enterWaitingRoom(): void {
    this.#place = WAITING_ROOM;
  }

  /** Admitted to the queue. */
  enterQueue(): void {
    this.#place = QUEUED;
  }

  /** Handed to `worker`, at `slot`. */
  assign(worker: PoolWorker, slot: number): void {
    this.#place = ASSIGNED;
    this.#worker = worker;
    this.#slot = slot;
  }

  /** Its worker died before it ran: back to the queue, `suspect` if the culprit is unknown. */
  returnToQueue(suspect: boolean): void {
    this.#place = QUEUED;
    this.#worker = null;
    if (suspect) this.#suspect = true;
  }

  /** Reported, failed or given up: it is nowhere now. */
  leave(): void {
    this.#place = GONE;
    this.#worker = null;
  }

  /** Cancelled, or its signal fired: the pool takes it back (invariant 2). */
  protected release(): void {
    this.owner.release(this);
  }

  override describe(): string {
    if (this.done()) return super.describe();
    const what = this.exportName ?? 'function';
    const where = ['waiting for room', 'queued', 'in a worker', 'done'][this.#place];
    return `pool job ${this.id} (${what}) ${where}`;
  }
}
