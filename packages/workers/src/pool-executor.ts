/*
 * PoolExecutor: the Executor both pools are; ThreadPoolExecutor and ProcessPoolExecutor
 * only say how a worker is started. This file is the façade and the bookkeeping: it
 * takes jobs (submit, map), settles them, and reacts to what workers report. The parts
 * live each in its file: the queue and waiting room (job-queue), which worker gets which
 * jobs (dispatch-policy, pure), the job functions (function-table), the messages
 * (protocol), a job's lifecycle (job) and a worker's (pool-worker).
 *
 * Invariants
 *   1. Every job settles exactly once: with its result, its error, BrokenExecutorError
 *      (its worker died while running it) or cancelled. `#unsettled` counts the jobs not
 *      yet settled; shutdown waits for it to reach 0.
 *   2. When a worker dies, its running job fails with BrokenExecutorError (or stays
 *      cancelled, if the pool terminated it for that); the other jobs it held go back to
 *      the front of the queue in order, and new workers start as jobs need them. When
 *      the running job cannot be told (a process killed mid-batch), all its jobs go back
 *      marked `suspect`, and a suspect job travels alone to an idle worker
 *      (dispatch-policy, invariant 2), so the next death names the culprit.
 *   3. Dispatch runs in a microtask after submit (so a loop of submits is sent as one
 *      batch), and directly after each report.
 *   4. Workers that die before reporting anything, MAX_FAILED_STARTS in a row, fail the
 *      waiting jobs with BrokenExecutorError instead of being replaced for ever.
 *
 * Tested by test/executor.test.ts, test/thread-pool-executor.test.ts,
 * test/process-pool-executor.test.ts, test/faults.test.ts, test/pool.property.test.ts,
 * and (the policy alone) test/dispatch-policy.test.ts.
 */

import type { Future } from '@coro/futures';
import { describeValue, requireInteger } from '@coro/loop';
import { QueueFull } from '@coro/queues';
import { BrokenExecutorError } from './broken-executor-error.js';
import {
  batchSize,
  type Dealer,
  dealRounds,
  earlierJobMs,
  feed,
  learnedAverage,
  roundShare,
  travelsAlone,
} from './dispatch-policy.js';
import { decodeError } from './error-transfer.js';
import type {
  Executor,
  JobFunction,
  MapOptions,
  ShutdownOptions,
  SubmitOptions,
} from './executor.js';
import { FunctionTable, type JobFunctionInfo } from './function-table.js';
import { ASSIGNED, Job } from './job.js';
import { JobQueue } from './job-queue.js';
import { requireIterable } from './map-in-order.js';
import { mapJobs, type TransferList } from './map-jobs.js';
import { type PoolOptions, type PoolSettings, poolSettings } from './pool-options.js';
import type { PoolWorker } from './pool-worker.js';
import { type Message, opcodeOf, PROTOCOL, resultCount, resultOffset } from './protocol.js';

const { STATUS_OK, STATUS_ERROR, STATUS_SKIPPED, RESULT_ID, RESULT_STATUS, RESULT_VALUE } =
  PROTOCOL;

/** Workers in a row that die before reporting anything: then the waiting jobs fail. */
const MAX_FAILED_STARTS = 3;

/** Any job function, whatever its parameters (internal signatures). */
// biome-ignore lint/suspicious/noExplicitAny: parameters are checked at the public overloads
type AnyJobFunction = JobFunction<any[], unknown>;

/**
 * The machinery both pools share (see the module header); use `ThreadPoolExecutor` or
 * `ProcessPoolExecutor`.
 *
 * @example
 * ```ts
 * import { PoolExecutor, ThreadPoolExecutor } from '@coro/workers';
 *
 * await using pool = new ThreadPoolExecutor({ maxWorkers: 1 });
 * console.log(pool instanceof PoolExecutor, pool.maxWorkers); // true 1
 * ```
 */
export abstract class PoolExecutor implements Executor {
  // Also a JobOwner and WorkerEvents: internal interfaces, so not named in the
  // `implements` clause, which the published types would show without them.
  /** The most workers this pool runs at once. */
  readonly maxWorkers: number;
  /** The size of the waiting line (0: unbounded). */
  readonly maxQueue: number;
  /** @internal */ protected readonly moduleUrl: string | null;
  /** @internal */ protected readonly maxMemoryMb: number | undefined;
  /** @internal */ protected readonly execArgv: string[] | undefined;
  /** @internal */ protected readonly env: NodeJS.ProcessEnv | undefined;
  readonly #graceMs: number;
  readonly #functions: FunctionTable;
  readonly #queue: JobQueue;
  /** @internal */ readonly workers: PoolWorker[] = [];
  #nextJobId = 1;
  #unsettled = 0;
  #failedStarts = 0;
  #dispatchScheduled = false;
  #shutdown = false;
  #closed: Promise<void> | null = null;
  #drained: Array<() => void> = [];
  readonly #boundDispatch = () => this.#dispatch();
  readonly #dealer: Dealer<PoolWorker>;
  readonly #boundFailUnsendable = (job: Job<unknown>, error: unknown) =>
    this.#settle(job, STATUS_ERROR, error, false);

  constructor(options: PoolOptions = {}) {
    const settings: PoolSettings = poolSettings(options);
    this.maxWorkers = settings.maxWorkers;
    this.maxQueue = settings.maxQueue;
    this.moduleUrl = settings.moduleUrl;
    this.maxMemoryMb = settings.maxMemoryMb;
    this.execArgv = settings.execArgv;
    this.env = settings.env;
    this.#graceMs = settings.cancelGraceMs;
    this.#functions = new FunctionTable(settings.moduleUrl !== null);
    this.#queue = new JobQueue(settings.maxQueue);
    this.#dealer = this.#makeDealer();
  }

  /** @internal Starts a worker (the only thing the two pools do differently). */
  protected abstract startWorker(): PoolWorker;

  // ── submitting ────────────────────────────────────────────────────────────

  /**
   * Runs `task(...args)` in a worker; returns the job's Future. `task` is a
   * self-contained function (sent by its source; see the README) or the name of an
   * export of `module`. When `maxQueue` jobs already wait, the job waits for room first.
   * Cancelling the Future, or the task awaiting it, cancels the job: a waiting job is
   * removed; a running one sees `this.signal` aborted, and its worker is replaced if it
   * does not stop within `cancelGraceMs`.
   *
   * @throws TypeError if `task` is neither a function nor a string, or names an export
   *   when the pool has no `module`.
   * @throws Error after `shutdown()`.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@coro/workers';
   *
   * await using pool = new ThreadPoolExecutor();
   * console.log(await pool.submit((a: number, b: number) => a * b, 6, 7)); // 42
   * ```
   */
  submit<A extends unknown[], R>(task: JobFunction<A, R>, ...args: A): Future<Awaited<R>>;
  submit<R = unknown>(task: string, ...args: unknown[]): Future<R>;
  submit(task: AnyJobFunction | string, ...args: unknown[]): Future<unknown> {
    return this.#enqueue(task, args, undefined, false, PROTOCOL.KIND_CALL);
  }

  /**
   * `submit` with options: a transfer list, to move ArrayBuffers and MessagePorts to the
   * worker without copying them (they move, and are detached here, when the job is
   * handed to a worker), and an AbortSignal that gives the job up.
   *
   * @throws TypeError for bad options, as `submit` for a bad task.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@coro/workers';
   *
   * await using pool = new ThreadPoolExecutor();
   * const pixels = new Uint8Array(1_000_000).fill(7);
   * const sum = pool.submitWith({ transfer: [pixels.buffer] }, (bytes: Uint8Array) => {
   *   let total = 0;
   *   for (const byte of bytes) total += byte;
   *   return total;
   * }, pixels);
   * console.log(await sum); // 7000000
   * console.log(pixels.byteLength); // 0: the buffer moved to the worker, it was not copied
   * ```
   */
  submitWith<A extends unknown[], R>(
    options: SubmitOptions,
    task: JobFunction<A, R>,
    ...args: A
  ): Future<Awaited<R>>;
  submitWith<R = unknown>(options: SubmitOptions, task: string, ...args: unknown[]): Future<R>;
  submitWith(
    options: SubmitOptions,
    task: AnyJobFunction | string,
    ...args: unknown[]
  ): Future<unknown> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const transfer = options.transfer;
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(`options.transfer must be an array; got ${describeValue(transfer)}`);
    }
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`options.signal must be an AbortSignal; got ${describeValue(signal)}`);
    }
    const job = this.#enqueue(task, args, transfer, false, PROTOCOL.KIND_CALL);
    if (signal !== undefined) {
      if (signal.aborted) {
        job.listen(signal);
        job.handleEvent();
      } else job.listen(signal);
    }
    return job;
  }

  /**
   * `submit` that never waits for room: throws `QueueFull` when `maxQueue` jobs already
   * wait for a worker.
   *
   * @throws QueueFull (from @coro/queues) when the waiting line is full.
   * @example
   * ```ts
   * import { QueueFull } from '@coro/queues';
   * import { ThreadPoolExecutor } from '@coro/workers';
   *
   * await using pool = new ThreadPoolExecutor({ maxWorkers: 1, maxQueue: 1 });
   * const nap = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
   * const running = pool.submitNowait(nap, 200);
   * const waiting = pool.submitNowait(nap, 10);
   * try { pool.submitNowait(nap, 10); } catch (error) { console.log(error instanceof QueueFull); } // true
   * await Promise.all([running, waiting]);
   * ```
   */
  submitNowait<A extends unknown[], R>(task: JobFunction<A, R>, ...args: A): Future<Awaited<R>>;
  submitNowait<R = unknown>(task: string, ...args: unknown[]): Future<R>;
  submitNowait(task: AnyJobFunction | string, ...args: unknown[]): Future<unknown> {
    return this.#enqueue(task, args, undefined, true, PROTOCOL.KIND_CALL);
  }

  /**
   * Runs `task(item)` for every item and yields the results in input order, keeping at
   * most `maxWorkers * 2` jobs in flight (items are read as room frees up). With
   * `chunksize` > 1, each job runs `task` over that many items. A job's error is thrown
   * where its result would come; leaving the loop early (break, an error, the task being
   * cancelled) cancels the jobs in flight.
   *
   * @throws TypeError / RangeError for a bad task or options.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@coro/workers';
   *
   * await using pool = new ThreadPoolExecutor({ maxWorkers: 2 });
   * const squares: number[] = [];
   * for await (const square of pool.map((n: number) => n * n, [1, 2, 3, 4])) squares.push(square);
   * console.log(squares); // [ 1, 4, 9, 16 ]
   * ```
   */
  map<T, R>(
    task: JobFunction<[T], R> | string,
    items: Iterable<T> | AsyncIterable<T>,
    options: MapOptions<T> = {},
  ): AsyncIterable<Awaited<R>> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const chunksize = options.chunksize ?? 1;
    requireInteger(chunksize, 'options.chunksize', 1);
    const transfer = options.transfer;
    if (transfer !== undefined && typeof transfer !== 'function') {
      throw new TypeError(
        `options.transfer must be a function of an item; got ${describeValue(transfer)}`,
      );
    }
    requireIterable(items, 'items');
    this.#functions.resolve(task); // validate now, not at the first step of the iteration
    const submitOne = (args: unknown[], itemTransfer: TransferList, kind: number) =>
      this.#enqueue(task, args, itemTransfer, false, kind);
    return mapJobs(submitOne, items, chunksize, transfer, this.maxWorkers * 2) as AsyncIterable<
      Awaited<R>
    >;
  }

  #enqueue(
    task: AnyJobFunction | string,
    args: unknown[],
    transfer: TransferList,
    nowait: boolean,
    kind: number,
  ): Job<unknown> {
    if (this.#shutdown) throw new Error('cannot submit a job after shutdown()');
    const jobFunction = this.#functions.resolve(task); // `task`: the name DESIGN gives it
    const queue = this.#queue;
    if (!queue.roomInQueue() && queue.waiting === 0) {
      this.#dispatch(); // free workers take queued jobs first: "waiting" is for a worker
    }
    if (!queue.roomInQueue() && nowait) {
      throw new QueueFull(`the executor's queue is full (maxQueue: ${this.maxQueue} jobs waiting)`);
    }
    const job = new Job<unknown>(this, this.#nextJobId++, kind, jobFunction, args, transfer);
    this.#unsettled++;
    queue.add(job);
    if (!this.#dispatchScheduled) {
      this.#dispatchScheduled = true;
      queueMicrotask(this.#boundDispatch);
    }
    return job;
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  /** The queue and workers as the dispatch policy sees them. */
  #makeDealer(): Dealer<PoolWorker> {
    const queue = this.#queue;
    return {
      queued: () => queue.queued,
      front: () => queue.front(),
      accepts: (worker) => worker.accepts(),
      held: (worker) => worker.held,
      oldestBatch: (worker) => worker.oldestJob()?.batch ?? 0,
      hand: (worker, count) => this.#hand(worker, count),
    };
  }

  #dispatch(): void {
    this.#dispatchScheduled = false;
    const queue = this.#queue;
    queue.admitWaiting();
    if (queue.queued === 0) return;
    dealRounds(this.#dealer, this.workers, this.maxWorkers);
    const share = roundShare(queue.queued, this.maxWorkers);
    while (queue.queued > 0 && this.workers.length < this.maxWorkers) {
      let worker: PoolWorker;
      try {
        worker = this.startWorker();
      } catch (error) {
        // Refused at once (an execArgv a thread does not accept): nothing could run.
        this.#failWaiting(
          new BrokenExecutorError(`a worker could not be started: ${(error as Error)?.message}`, {
            cause: error,
          }),
        );
        return;
      }
      this.workers.push(worker);
      feed(this.#dealer, worker, share);
    }
  }

  #closing(): boolean {
    return this.#closed !== null;
  }

  /**
   * Hands `worker` a batch of up to `count` jobs from the front of the queue: the first,
   * then those that may share its message (dispatch-policy, invariant 3).
   */
  #hand(worker: PoolWorker, count: number): void {
    const queue = this.#queue;
    const jobs: Job<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const job = i === 0 ? queue.take() : queue.takeIf(mayJoinBatch);
      if (job === undefined) break;
      jobs.push(job);
    }
    if (jobs.length > 0) worker.hand(jobs, this.#functions, this.#boundFailUnsendable);
    queue.admitWaiting();
  }

  // ── what workers report ───────────────────────────────────────────────────

  /**
   * @internal A worker sent a RESULTS message (protocol.ts). Every job but the last took
   * at most the runtime's FLUSH_AFTER_MS, so the last is timed on its own and the others
   * share the rest; each job function's average learns from its jobs (dispatch-policy,
   * invariants 1 and 5). Skipped jobs did not run, and teach nothing.
   */
  handleResults(worker: PoolWorker, message: Message): void {
    if (opcodeOf(message) !== PROTOCOL.RESULTS) return;
    this.#failedStarts = 0;
    const count = resultCount(message);
    const lastMs = message[PROTOCOL.RESULTS_LAST_MS] as number;
    const restMs = earlierJobMs(message[PROTOCOL.RESULTS_ELAPSED_MS] as number, lastMs, count);
    let jobFunction: JobFunctionInfo | null = null; // the function of the current run of jobs…
    let ran = 0; // …how many of them ran…
    let tookMs = 0; // …and what they took.
    for (let index = 0; index < count; index++) {
      const offset = resultOffset(index);
      const job = worker.takeReported(message[offset + RESULT_ID]);
      const status = message[offset + RESULT_STATUS] as number;
      if (status !== STATUS_SKIPPED) {
        if (job.function !== jobFunction) {
          if (jobFunction !== null) learn(jobFunction, tookMs / ran);
          jobFunction = job.function;
          ran = 0;
          tookMs = 0;
        }
        ran++;
        tookMs += index === count - 1 ? lastMs : restMs;
      }
      this.#settle(job, status, message[offset + RESULT_VALUE], true);
    }
    if (jobFunction !== null) learn(jobFunction, tookMs / ran);
    worker.afterReports(this.#graceMs);
    worker.updateReference();
    this.#dispatch();
    this.#checkDrained();
  }

  /** @internal A worker exited (invariant 2). */
  handleExit(worker: PoolWorker, reason: string, cause: unknown): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    const running = worker.runningJob();
    const requeue: Job<unknown>[] = [];
    for (const job of worker.takeOutstanding()) {
      if (job.done()) {
        job.leave();
      } else if (job === running) {
        const error = new BrokenExecutorError(
          `the job's worker died while running it: ${reason}`,
          cause === null ? undefined : { cause },
        );
        this.#settle(job, STATUS_ERROR, error, false);
      } else {
        requeue.push(job);
      }
    }
    if (!worker.reported && !worker.retiring && !worker.terminatedByPool && running === undefined) {
      // It died starting up (a bad execArgv, a crash on load): do not respawn for ever.
      if (++this.#failedStarts >= MAX_FAILED_STARTS) {
        const error = new BrokenExecutorError(
          `${MAX_FAILED_STARTS} workers in a row died before running a job; the last: ${reason}`,
          cause === null ? undefined : { cause },
        );
        for (const job of requeue) this.#settle(job, STATUS_ERROR, error, false);
        requeue.length = 0;
        this.#failWaiting(error);
        this.#failedStarts = 0;
      }
    }
    this.#queue.returnToFront(requeue, running === null);
    if (!this.#closing() || this.#queue.queued > 0) this.#dispatch();
    this.#checkDrained();
  }

  #failWaiting(error: BrokenExecutorError): void {
    for (const job of this.#queue.takeAll()) this.#settle(job, STATUS_ERROR, error, false);
  }

  /** Settles a job once (invariant 1); `encoded`: the value came from a worker. */
  #settle(job: Job<unknown>, status: number, value: unknown, encoded: boolean): void {
    job.leave();
    if (job.done()) return; // given up earlier: already counted
    job.unlisten();
    this.#unsettled--;
    if (status === STATUS_OK) job.setResult(value);
    else if (status === STATUS_ERROR) job.setException(encoded ? decodeError(value) : value);
    else job.cancel(); // skipped by the worker although not given up: cannot happen
  }

  /** @internal A job's Future completed early (cancelled, or its signal fired). */
  release(job: Job<unknown>): void {
    job.unlisten();
    this.#unsettled--;
    if (this.#queue.drop(job)) job.leave();
    else if (job.place === ASSIGNED) job.worker?.cancelAssigned(job, this.#graceMs);
    this.#checkDrained();
  }

  // ── shutting down ─────────────────────────────────────────────────────────

  /**
   * Stops taking jobs (`submit` then throws). With `cancelFutures`, the jobs that have
   * not started are cancelled; the others run to their end. Then every worker exits;
   * with `wait` (the default) the returned Promise resolves once they all have, so no
   * thread or process outlives it. Calling it again returns the same wait.
   *
   * @throws TypeError for bad options.
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@coro/workers';
   *
   * const pool = new ThreadPoolExecutor();
   * const answer = pool.submit(() => 42);
   * await pool.shutdown(); // waits for the job, then for the workers to exit
   * console.log(answer.result()); // 42
   * ```
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (cancelFutures) {
      for (const job of this.#queue.liveJobs()) job.cancel();
      for (const worker of this.workers) for (const job of worker.notStarted()) job.cancel();
    }
    if (this.#closed === null) this.#closed = this.#closeWhenDrained();
    if (wait) await this.#closed;
  }

  async #closeWhenDrained(): Promise<void> {
    if (this.#unsettled > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    await Promise.all([...this.workers].map((worker) => worker.retire(this.#graceMs)));
  }

  #checkDrained(): void {
    if (this.#unsettled === 0 && this.#drained.length > 0) {
      const resolvers = this.#drained;
      this.#drained = [];
      for (const resolve of resolvers) resolve();
    }
  }

  /**
   * `await using pool = new ThreadPoolExecutor()` shuts the pool down at the end of the
   * block, waiting for its jobs and workers.
   *
   * @example
   * ```ts
   * import { ThreadPoolExecutor } from '@coro/workers';
   *
   * {
   *   await using pool = new ThreadPoolExecutor();
   *   console.log(await pool.submit(() => 'inside')); // inside
   * } // here the pool's workers have exited
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** @internal Jobs not yet settled (for tests). */
  get unsettledCount(): number {
    return this.#unsettled;
  }
}

/** Whether a queued job may join the batch being built (dispatch-policy, invariant 3). */
function mayJoinBatch(job: Job<unknown>): boolean {
  return !travelsAlone(job);
}

/** Folds a job time (ms) into `jobFunction`'s average and sizes its batches from it. */
function learn(jobFunction: JobFunctionInfo, jobMs: number): void {
  jobFunction.averageMs = learnedAverage(jobFunction.averageMs, jobMs);
  jobFunction.batch = batchSize(jobFunction.averageMs);
}
