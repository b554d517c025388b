/*
 * job: one submitted job, which is also the Future its caller awaits (one object per
 * job on the hot path: no closure, no extra promise).
 *
 * Invariants
 *   1. `place` says where the job is: WAITING_ROOM (beyond maxQueue), QUEUED (in the
 *      pool's queue), ASSIGNED (handed to `worker`, in its `outstanding` list, slot
 *      `slot`) or GONE (reported, or given up while not in a worker).
 *   2. Every way the Future completes early (cancel(), its AbortSignal) goes through
 *      `owner.release(job)`, which takes the job out of where it is: queued jobs are
 *      dropped, running ones are aborted and, past the grace period, their worker is
 *      replaced.
 */

import type { TransferListItem } from 'node:worker_threads';
import { abortFuture, Future } from '@coro/futures';
import type { PoolWorker } from './pool-worker.js';

/** @internal */ export const WAITING_ROOM = 0;
/** @internal */ export const QUEUED = 1;
/** @internal */ export const ASSIGNED = 2;
/** @internal */ export const GONE = 3;

/**
 * @internal A task the pool knows: a function (by its source) or an export of the
 * pool's module (by its name), with what its jobs were measured to take. The pool sizes
 * batches per task (pool-executor, invariant 3), so one task's timing never decides how
 * another's jobs travel.
 */
export interface TaskInfo {
  /** Index in the pool's function table, or EXPORT_FN_ID. */
  readonly fnId: number;
  /** The export's name (module jobs), else null. */
  readonly exportName: string | null;
  /** Moving average of one job's run time (ms); NaN until a job has been measured. */
  averageMs: number;
  /** Jobs per message: 1 until the task is measured short. */
  batch: number;
}

/** @internal What a job needs from its pool. */
export interface JobOwner {
  release(job: Job<unknown>): void;
}

/** @internal A job and its Future. */
export class Job<T> extends Future<T> {
  readonly owner: JobOwner;
  readonly id: number;
  readonly kind: number;
  /** What the job runs, and how long its jobs take. */
  readonly task: TaskInfo;
  /** Index in the pool's function table, or EXPORT_FN_ID. */
  readonly fnId: number;
  /** The export's name (module jobs), else null. */
  readonly exportName: string | null;
  readonly args: unknown[];
  readonly transfer: readonly TransferListItem[] | undefined;
  place: number;
  worker: PoolWorker | null;
  slot: number;
  signal: AbortSignal | undefined;
  /** Its worker was killed with it and others unreported: run it alone next time. */
  suspect: boolean;

  constructor(
    owner: JobOwner,
    id: number,
    kind: number,
    task: TaskInfo,
    args: unknown[],
    transfer: readonly TransferListItem[] | undefined,
  ) {
    super();
    this.owner = owner;
    this.id = id;
    this.kind = kind;
    this.task = task;
    this.fnId = task.fnId;
    this.exportName = task.exportName;
    this.args = args;
    this.transfer = transfer;
    this.place = QUEUED;
    this.worker = null;
    this.slot = 0;
    this.signal = undefined;
    this.suspect = false;
  }

  /** Listens to `signal` (the job is its own listener: no closure). */
  listen(signal: AbortSignal): void {
    this.signal = signal;
    signal.addEventListener('abort', this);
  }

  /** Stops listening to the signal, once the job is done. */
  unlisten(): void {
    if (this.signal !== undefined) {
      this.signal.removeEventListener('abort', this);
      this.signal = undefined;
    }
  }

  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    this.owner.release(this);
    return true;
  }

  /** The AbortSignal given to submitWith fired. */
  handleEvent(): void {
    if (this.signal === undefined) return;
    // abortFuture cancels the job (cancel() above releases it) or fails it (then release).
    if (abortFuture(this, this.signal.reason) && !this.cancelled()) this.owner.release(this);
  }

  override describe(): string {
    if (this.done()) return super.describe();
    const what = this.exportName ?? 'function';
    const where = ['waiting for room', 'queued', 'in a worker', 'done'][this.place];
    return `pool job ${this.id} (${what}) ${where}`;
  }
}
