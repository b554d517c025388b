/*
 * job-queue: the jobs a pool holds that no worker has yet: the queue, in submission order,
 * and the waiting room beyond `maxQueue`.
 *
 * Invariants
 *   1. `#queue` holds jobs in submission order; a job given up while queued stays in the
 *      Deque (place GONE) and is skipped when it reaches the front. `#queued` counts the
 *      live ones, and never exceeds `maxQueue` through `add` (jobs returned to the front
 *      after their worker died may).
 *   2. Jobs beyond `maxQueue` wait in `#waitingRoom` (place WAITING_ROOM), admitted in
 *      order as room frees up; `#waiting` counts the live ones. While any job waits, a new
 *      one waits behind it, even if there is room: first come, first served.
 *   3. Dropping a job is O(1): it is marked by the job itself (Job.leave()) and skipped
 *      later, never searched for.
 *
 * Tested through the executors (test/executor.test.ts "maxQueue", test/faults.test.ts)
 * and test/pool.property.test.ts.
 */

import { Deque } from '@coro/loop';
import { type Job, QUEUED, WAITING_ROOM } from './job.js';

/** @internal The queue and the waiting room of one pool (see the module header). */
export class JobQueue {
  /** Jobs that may be queued at once (0: unbounded). */
  readonly maxQueue: number;
  readonly #queue = new Deque<Job<unknown>>();
  #queued = 0;
  readonly #waitingRoom = new Deque<Job<unknown>>();
  #waiting = 0;

  constructor(maxQueue: number) {
    this.maxQueue = maxQueue;
  }

  /** Live queued jobs. */
  get queued(): number {
    return this.#queued;
  }

  /** Live jobs in the waiting room. */
  get waiting(): number {
    return this.#waiting;
  }

  /** Whether the queue holds fewer than `maxQueue` live jobs. */
  roomInQueue(): boolean {
    return this.maxQueue === 0 || this.#queued < this.maxQueue;
  }

  /** Queues `job`, or puts it in the waiting room when there is no room (invariant 2). */
  add(job: Job<unknown>): void {
    if (this.#waiting === 0 && this.roomInQueue()) {
      job.enterQueue();
      this.#queue.push(job);
      this.#queued++;
    } else {
      job.enterWaitingRoom();
      this.#waitingRoom.push(job);
      this.#waiting++;
    }
  }

  /** Moves waiting jobs into the queue while there is room, in order. */
  admitWaiting(): void {
    while (this.#waiting > 0 && this.roomInQueue()) {
      const job = this.#waitingRoom.shift() as Job<unknown>;
      if (job.place !== WAITING_ROOM) continue; // given up while waiting (invariant 3)
      this.#waiting--;
      job.enterQueue();
      this.#queue.push(job);
      this.#queued++;
    }
  }

  /** The first live queued job (dropping given-up ones from the front). */
  front(): Job<unknown> | undefined {
    for (;;) {
      const job = this.#queue.peekFront();
      if (job === undefined || job.place === QUEUED) return job;
      this.#queue.shift();
    }
  }

  /** Takes the first live queued job. */
  take(): Job<unknown> | undefined {
    const job = this.front();
    if (job !== undefined) {
      this.#queue.shift();
      this.#queued--;
    }
    return job;
  }

  /** Takes the first live queued job if `accept` says it may join the batch being built. */
  takeIf(accept: (job: Job<unknown>) => boolean): Job<unknown> | undefined {
    const job = this.front();
    return job !== undefined && accept(job) ? this.take() : undefined;
  }

  /** Puts `jobs` back at the front, in their order (their worker died before running them). */
  returnToFront(jobs: readonly Job<unknown>[], suspect: boolean): void {
    for (let i = jobs.length - 1; i >= 0; i--) {
      const job = jobs[i] as Job<unknown>;
      job.returnToQueue(suspect);
      this.#queue.unshift(job);
      this.#queued++;
    }
  }

  /**
   * Forgets `job`, given up while queued or waiting (invariant 3); says whether it was
   * here. The job must be marked by the caller (Job.leave()) after.
   */
  drop(job: Job<unknown>): boolean {
    if (job.place === WAITING_ROOM) {
      this.#waiting--;
      return true;
    }
    if (job.place === QUEUED) {
      this.#queued--;
      this.admitWaiting();
      return true;
    }
    return false;
  }

  /** Every live job, queued then waiting (a snapshot, in order). */
  liveJobs(): Job<unknown>[] {
    const jobs: Job<unknown>[] = [];
    for (const job of this.#queue) if (job.place === QUEUED) jobs.push(job);
    for (const job of this.#waitingRoom) if (job.place === WAITING_ROOM) jobs.push(job);
    return jobs;
  }

  /** Takes every live job out, queued then waiting, and empties both. */
  takeAll(): Job<unknown>[] {
    const jobs = this.liveJobs();
    this.#queue.clear();
    this.#waitingRoom.clear();
    this.#queued = 0;
    this.#waiting = 0;
    return jobs;
  }
}
