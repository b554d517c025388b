/*
 * queue-job: the Future of one job submitted through a QueueExecutor (one object per
 * job: it is the Future, the AbortSignal listener (a JobFuture of @coro/workers) and the
 * pending-table entry).
 *
 * Invariants
 *   1. A QueueJob settles exactly once: with the worker's result, its error, a
 *      JobLostError / RedisConnectionError, or cancelled. Every early end (cancel(), its
 *      AbortSignal) goes through `owner.release(job)`, which cancels the job in Redis.
 *   2. `adding` is the Promise of the add command that put the job in Redis (null for a
 *      re-attached job): a cancel waits for it, so a job cancelled while its add is in
 *      flight is still removed. A job whose id BullMQ chooses has `jobId` '' until then:
 *      it is set before `adding` resolves.
 */

import { JobFuture } from '@coro/workers';

/** @internal What a QueueJob needs from its executor. */
export interface QueueJobOwner {
  release(job: QueueJob): void;
}

/** @internal A job in Redis and the Future its caller awaits. */
export class QueueJob extends JobFuture<unknown> {
  readonly owner: QueueJobOwner;
  /** The BullMQ job id: '' until the add that BullMQ chose it in has answered. */
  jobId: string;
  /** The export it runs (null: re-attached by id). */
  readonly exportName: string | null;
  adding: Promise<unknown> | null;
  /** Another Future of this executor waiting for the same job id (same-id submits). */
  next: QueueJob | null;

  constructor(owner: QueueJobOwner, jobId: string, exportName: string | null) {
    super();
    this.owner = owner;
    this.jobId = jobId;
    this.exportName = exportName;
    this.adding = null;
    this.next = null;
  }

  /** Cancelled, or its signal fired: the executor cancels it in Redis (invariant 1). */
  protected release(): void {
    this.owner.release(this);
  }

  override describe(): string {
    if (this.done()) return super.describe();
    const name = this.exportName === null ? '' : ` (${this.exportName})`;
    return this.jobId === '' ? `queue job${name}, being added` : `queue job ${this.jobId}${name}`;
  }
}
