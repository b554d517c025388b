/*
 * PoolExecutor: the queue, the dispatch and the bookkeeping both pools share;
 * ThreadPoolExecutor and ProcessPoolExecutor only say how a worker is started.
 *
 * Invariants
 *   1. Every job settles exactly once: with its result, its error, BrokenExecutorError
 *      (its worker died while running it) or cancelled. `#unsettled` counts the jobs not
 *      yet settled; shutdown waits for it to reach 0.
 *   2. `#queue` holds jobs in submission order; a job given up while queued stays in the
 *      Deque, marked GONE, and is skipped when it reaches the front. `#queued` counts the
 *      live ones, and never exceeds `maxQueue` through submit (a job requeued after its
 *      worker died may). Jobs beyond it wait in `#waitingRoom`, admitted in order.
 *   3. Batches are sized per task (a function's source, an export's name), from that
 *      task's measured job time: `batch` is about 2 ms of work per message, and 1 while
 *      the task's jobs are long or not yet measured; one task's timing never sizes
 *      another's batches. A job of a batch-1 task goes only to an idle worker, alone, and
 *      a worker whose oldest job is of a batch-1 task is handed nothing more until it
 *      reports, so long jobs never queue behind each other in one worker while another
 *      is free. A batch holds jobs of short tasks only (it ends before a long, unmeasured
 *      or suspect job), and a worker holds at most `2 × batch` of the front job's task.
 *      Dispatch deals in rounds, one batch per worker per round; each worker's share in
 *      a round is the queued jobs at the start of the round / maxWorkers, rounded up,
 *      capped by `batch`, so jobs queued at once split evenly between the workers.
 *   4. When a worker dies, its running job fails with BrokenExecutorError (or stays
 *      cancelled, if the pool terminated it for that); the other jobs it held go back to
 *      the front of the queue in order, and new workers start as jobs need them. When
 *      the running job cannot be told (a process killed mid-batch), all its jobs go back
 *      marked `suspect`, and a suspect job is only ever handed alone to an idle worker,
 *      so the next death names the culprit.
 *   5. Dispatch runs in a microtask after submit (so a loop of submits is sent as one
 *      batch), and directly after each report.
 *
 * Tested by test/thread-pool-executor.test.ts, test/process-pool-executor.test.ts,
 * test/faults.test.ts and test/pool.property.test.ts.
 */

import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import type { Future } from '@coro/futures';
import { Deque, describeValue, requireInteger } from '@coro/loop';
import { QueueFull } from '@coro/queues';
import { BrokenExecutorError } from './broken-executor-error.js';
import { decodeError } from './error-transfer.js';
import type {
  Executor,
  JobFunction,
  MapOptions,
  ShutdownOptions,
  SubmitOptions,
} from './executor.js';
import { ASSIGNED, GONE, Job, type JobOwner, QUEUED, type TaskInfo, WAITING_ROOM } from './job.js';
import type { PoolWorker, WorkerEvents } from './pool-worker.js';
import {
  EXPORT_FN_ID,
  KIND_CALL,
  KIND_MAP,
  OP_RESULTS,
  OP_RUN,
  RESULT_FIELDS,
  RESULTS_HEADER,
  STATUS_ERROR,
  STATUS_OK,
  STATUS_SKIPPED,
} from './worker-runtime.js';

/** The moving average's weight of a new measurement. */
const TIMING_WEIGHT = 0.3;
/** Work (ms) a batch should hold: enough to hide a message's cost. */
const BATCH_TARGET_MS = 2;
/** The most jobs in one message (a worker holds at most twice this). */
const MAX_BATCH = 128;
/** Jobs whose measured time is above this go one at a time. */
const SHORT_JOB_MS = 0.5;
/** Workers in a row that die before reporting anything: then the waiting jobs fail. */
const MAX_FAILED_STARTS = 3;

/**
 * Options both pools take.
 *
 * @example
 * ```ts
 * import { type PoolOptions, ThreadPoolExecutor } from '@coro/workers';
 *
 * const options: PoolOptions = { maxWorkers: 2, maxQueue: 100, maxMemoryMb: 256 };
 * await new ThreadPoolExecutor(options).shutdown();
 * ```
 */
export interface PoolOptions {
  /** Workers at most, started as jobs need them. @defaultValue os.availableParallelism() */
  maxWorkers?: number;
  /**
   * A built JavaScript module (`.js`, `.mjs`, `.cjs`; a path, relative to the current
   * directory, or a `file:` URL) whose exported functions jobs can name:
   * `submit('resize', …)`. For a TypeScript module, point at its build output, or run
   * with tsx (see the README).
   */
  module?: string | URL;
  /**
   * Jobs that may wait for a worker; past it `submit` waits for room and
   * `submitNowait` throws `QueueFull`. 0 is unbounded. @defaultValue 0
   */
  maxQueue?: number;
  /**
   * The heap (old generation) a worker may use, in MB; a worker that goes over is
   * replaced and its job fails with `BrokenExecutorError`. @defaultValue Node's default
   */
  maxMemoryMb?: number;
  /**
   * Node options for the workers (`['--import', 'tsx']`).
   * @defaultValue `process.execArgv` (what the main program was started with)
   */
  execArgv?: string[];
  /** The workers' environment. @defaultValue `process.env` */
  env?: NodeJS.ProcessEnv;
  /**
   * How long (ms) a cancelled job that is running gets to stop on its `signal` before its
   * worker is terminated and replaced; `shutdown()` gives such a job the same time before
   * it stops the worker. @defaultValue 100
   */
  cancelGraceMs?: number;
}

/** Any job function, whatever its parameters (internal signatures). */
// biome-ignore lint/suspicious/noExplicitAny: parameters are checked at the public overloads
type AnyJobFunction = JobFunction<any[], unknown>;

interface FunctionTable {
  byFunction: WeakMap<object, TaskInfo>;
  bySource: Map<string, TaskInfo>;
  sources: string[];
  /** Export name → its task (module jobs). */
  byExport: Map<string, TaskInfo>;
}

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
export abstract class PoolExecutor implements Executor, JobOwner, WorkerEvents {
  /** The most workers this pool runs at once. */
  readonly maxWorkers: number;
  /** The size of the waiting line (0: unbounded). */
  readonly maxQueue: number;
  /** @internal */ protected readonly moduleUrl: string | null;
  /** @internal */ protected readonly maxMemoryMb: number | undefined;
  /** @internal */ protected readonly execArgv: string[] | undefined;
  /** @internal */ protected readonly env: NodeJS.ProcessEnv | undefined;
  readonly #graceMs: number;
  readonly #functions: FunctionTable = {
    byFunction: new WeakMap(),
    bySource: new Map(),
    sources: [],
    byExport: new Map(),
  };
  readonly #queue = new Deque<Job<unknown>>();
  #queued = 0;
  readonly #waitingRoom = new Deque<Job<unknown>>();
  #waiting = 0;
  /** @internal */ readonly workers: PoolWorker[] = [];
  #nextJobId = 1;
  #unsettled = 0;
  #failedStarts = 0;
  #dispatchScheduled = false;
  #shutdown = false;
  #closed: Promise<void> | null = null;
  #drained: Array<() => void> = [];
  readonly #boundDispatch = () => this.#dispatch();

  constructor(options: PoolOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const maxWorkers = options.maxWorkers ?? availableParallelism();
    requireInteger(maxWorkers, 'options.maxWorkers', 1);
    const maxQueue = options.maxQueue ?? 0;
    requireInteger(maxQueue, 'options.maxQueue', 0);
    if (options.maxMemoryMb !== undefined) {
      requireInteger(options.maxMemoryMb, 'options.maxMemoryMb', 1);
    }
    const graceMs = options.cancelGraceMs ?? 100;
    requireInteger(graceMs, 'options.cancelGraceMs', 0);
    if (
      options.execArgv !== undefined &&
      (!Array.isArray(options.execArgv) || options.execArgv.some((arg) => typeof arg !== 'string'))
    ) {
      throw new TypeError(
        `options.execArgv must be an array of strings; got ${describeValue(options.execArgv)}`,
      );
    }
    this.maxWorkers = maxWorkers;
    this.maxQueue = maxQueue;
    this.moduleUrl = options.module === undefined ? null : moduleUrlOf(options.module);
    this.maxMemoryMb = options.maxMemoryMb;
    this.execArgv = options.execArgv;
    this.env = options.env;
    this.#graceMs = graceMs;
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
    return this.#enqueue(task, args, undefined, false, KIND_CALL);
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
    const job = this.#enqueue(task, args, transfer, false, KIND_CALL);
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
    return this.#enqueue(task, args, undefined, true, KIND_CALL);
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
    if (
      items === null ||
      typeof items !== 'object' ||
      (typeof (items as Iterable<T>)[Symbol.iterator] !== 'function' &&
        typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] !== 'function')
    ) {
      throw new TypeError(`items must be iterable; got ${describeValue(items)}`);
    }
    this.#resolveTask(task); // validate now, not at the first step of the iteration
    return this.#mapResults(task, items, chunksize, transfer) as AsyncIterable<Awaited<R>>;
  }

  async *#mapResults<T>(
    task: AnyJobFunction | string,
    items: Iterable<T> | AsyncIterable<T>,
    chunksize: number,
    transfer: ((item: T) => readonly TransferListItem[]) | undefined,
  ): AsyncGenerator<unknown> {
    const inFlight = new Deque<Job<unknown>>();
    const limit = this.maxWorkers * 2;
    const iterator =
      typeof (items as AsyncIterable<T>)[Symbol.asyncIterator] === 'function'
        ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
        : (items as Iterable<T>)[Symbol.iterator]();
    let exhausted = false;
    try {
      for (;;) {
        while (!exhausted && inFlight.length < limit) {
          const chunk: T[] = [];
          while (chunk.length < chunksize) {
            const step = await iterator.next();
            if (step.done) {
              exhausted = true;
              break;
            }
            chunk.push(step.value);
          }
          if (chunk.length === 0) break;
          if (chunksize === 1) {
            const item = chunk[0] as T;
            inFlight.push(
              this.#enqueue(task, [item], transfer?.(item), false, KIND_CALL) as Job<unknown>,
            );
          } else {
            inFlight.push(this.#enqueue(task, chunk, undefined, false, KIND_MAP) as Job<unknown>);
          }
        }
        const next = inFlight.shift();
        if (next === undefined) return;
        const value = await next;
        if (chunksize === 1) yield value;
        else yield* value as unknown[];
      }
    } finally {
      for (const job of inFlight) job.cancel();
      if (!exhausted) await iterator.return?.();
    }
  }

  #enqueue(
    task: AnyJobFunction | string,
    args: unknown[],
    transfer: readonly TransferListItem[] | undefined,
    nowait: boolean,
    kind: number,
  ): Job<unknown> {
    if (this.#shutdown) throw new Error('cannot submit a job after shutdown()');
    const info = this.#resolveTask(task);
    let roomy = this.maxQueue === 0 || this.#queued < this.maxQueue;
    if (!roomy && this.#waiting === 0) {
      this.#dispatch(); // free workers take queued jobs first: "waiting" is for a worker
      roomy = this.#queued < this.maxQueue;
    }
    if (!roomy && nowait) {
      throw new QueueFull(`the executor's queue is full (maxQueue: ${this.maxQueue} jobs waiting)`);
    }
    const job = new Job<unknown>(this, this.#nextJobId++, kind, info, args, transfer);
    this.#unsettled++;
    if (roomy && this.#waiting === 0) {
      this.#queue.push(job);
      this.#queued++;
    } else {
      job.place = WAITING_ROOM;
      this.#waitingRoom.push(job);
      this.#waiting++;
    }
    if (!this.#dispatchScheduled) {
      this.#dispatchScheduled = true;
      queueMicrotask(this.#boundDispatch);
    }
    return job;
  }

  /** The task a function (by its source) or an export name stands for. */
  #resolveTask(task: unknown): TaskInfo {
    const table = this.#functions;
    if (typeof task === 'string') {
      const named = table.byExport.get(task);
      if (named !== undefined) return named;
      if (this.moduleUrl === null) {
        throw new TypeError(
          `task '${task}' names an export, but this pool has no module; pass { module: './tasks.js' } to the pool, or submit a function`,
        );
      }
      const info = newTask(EXPORT_FN_ID, task);
      table.byExport.set(task, info);
      return info;
    }
    if (typeof task !== 'function') {
      throw new TypeError(
        `task must be a function or the name of an export of the pool's module; got ${describeValue(task)}`,
      );
    }
    const known = table.byFunction.get(task);
    if (known !== undefined) return known;
    const source = Function.prototype.toString.call(task);
    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
      throw new TypeError(
        `task must be a function written in JavaScript (it is sent to the worker by its source); got the native or bound function ${describeValue(task)}`,
      );
    }
    if (/^class\b/.test(source)) {
      throw new TypeError(`task must be a function, not a class; got ${describeValue(task)}`);
    }
    let info = table.bySource.get(source);
    if (info === undefined) {
      info = newTask(table.sources.length, null);
      table.sources.push(source);
      table.bySource.set(source, info);
    }
    table.byFunction.set(task, info);
    return info;
  }

  // ── dispatch ──────────────────────────────────────────────────────────────

  #dispatch(): void {
    this.#dispatchScheduled = false;
    this.#admitWaiting();
    if (this.#queued === 0) return;
    // Round robin, a batch per worker per round; the share is fixed at the start of the
    // round, so the workers of one round get the same (invariant 3).
    let progress = true;
    while (progress && this.#queued > 0) {
      progress = false;
      const share = Math.ceil(this.#queued / this.maxWorkers);
      for (const worker of this.workers) {
        if (this.#queued === 0) return;
        if (!worker.retiring && !worker.exited && this.#feed(worker, share)) progress = true;
      }
    }
    const share = Math.ceil(this.#queued / this.maxWorkers);
    while (this.#queued > 0 && this.workers.length < this.maxWorkers) {
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
      this.#feed(worker, share);
    }
  }

  #closing(): boolean {
    return this.#closed !== null;
  }

  /**
   * Hands `worker` one batch (at most `share` jobs) if it has room for it (invariant 3);
   * says whether it did.
   */
  #feed(worker: PoolWorker, share: number): boolean {
    const front = this.#peekQueued();
    if (front === undefined) return false;
    const held = worker.outstanding.length;
    const batch = front.task.batch;
    if (front.suspect || batch === 1) {
      if (held > 0) return false; // alone, to an idle worker
      this.#send(worker, 1);
    } else {
      // Busy with a long (or unmeasured) job: what it would get should go to a free worker.
      if (held > 0 && (worker.outstanding.peekFront() as Job<unknown>).task.batch === 1) {
        return false;
      }
      const wanted = Math.min(batch, share);
      // Wait for room for a whole batch: topping up one job per report would cost a
      // message per job again.
      if (2 * batch - held < wanted) return false;
      this.#send(worker, wanted);
    }
    this.#admitWaiting();
    return true;
  }

  #admitWaiting(): void {
    while (this.#waiting > 0 && (this.maxQueue === 0 || this.#queued < this.maxQueue)) {
      const job = this.#waitingRoom.shift() as Job<unknown>;
      if (job.place !== WAITING_ROOM) continue; // given up while waiting (invariant 2)
      this.#waiting--;
      job.place = QUEUED;
      this.#queue.push(job);
      this.#queued++;
    }
  }

  /** The first live queued job (dropping given-up ones from the front). */
  #peekQueued(): Job<unknown> | undefined {
    for (;;) {
      const job = this.#queue.peekFront();
      if (job === undefined || job.place === QUEUED) return job;
      this.#queue.shift();
    }
  }

  /**
   * The next queued job for the batch being built, unless it must travel alone (a
   * batch-1 task or a suspect job: invariants 3 and 4).
   */
  #takeBatchable(): Job<unknown> | undefined {
    const job = this.#peekQueued();
    if (job === undefined || job.suspect || job.task.batch === 1) return undefined;
    this.#queue.shift();
    this.#queued--;
    return job;
  }

  #takeQueued(): Job<unknown> | undefined {
    for (;;) {
      const job = this.#queue.shift();
      if (job === undefined) return undefined;
      if (job.place === QUEUED) {
        this.#queued--;
        return job;
      }
    }
  }

  #send(worker: PoolWorker, count: number): void {
    const message: unknown[] = [OP_RUN];
    const transfer: TransferListItem[] = [];
    const jobs: Job<unknown>[] = [];
    const newlyKnown: number[] = [];
    const sources = this.#functions.sources;
    for (let i = 0; i < count; i++) {
      const job = i === 0 ? this.#takeQueued() : this.#takeBatchable();
      if (job === undefined) break;
      jobs.push(job);
      let text: string | null = job.exportName;
      if (job.fnId >= 0 && !worker.knownFunctions.has(job.fnId)) {
        worker.knownFunctions.add(job.fnId);
        newlyKnown.push(job.fnId);
        text = sources[job.fnId] as string;
      }
      job.slot = worker.nextSlot();
      message.push(job.id, job.slot, job.kind, job.fnId, text, job.args);
      if (job.transfer !== undefined) for (const item of job.transfer) transfer.push(item);
    }
    if (jobs.length === 0) return;
    try {
      worker.post(message, transfer);
    } catch {
      // Something could not be cloned: send the jobs one by one; only the bad ones fail.
      for (const id of newlyKnown) worker.knownFunctions.delete(id);
      for (const job of jobs) this.#sendAlone(worker, job);
      return;
    }
    for (const job of jobs) this.#assign(worker, job);
  }

  #sendAlone(worker: PoolWorker, job: Job<unknown>): void {
    const known = job.fnId < 0 || worker.knownFunctions.has(job.fnId);
    const text = known ? job.exportName : (this.#functions.sources[job.fnId] as string);
    job.slot = worker.nextSlot();
    try {
      worker.post(
        [OP_RUN, job.id, job.slot, job.kind, job.fnId, text, job.args],
        job.transfer === undefined ? [] : [...job.transfer],
      );
    } catch (error) {
      this.#settle(job, STATUS_ERROR, error, false);
      return;
    }
    if (!known) worker.knownFunctions.add(job.fnId);
    this.#assign(worker, job);
  }

  #assign(worker: PoolWorker, job: Job<unknown>): void {
    job.place = ASSIGNED;
    job.worker = worker;
    worker.outstanding.push(job);
    worker.updateReference();
  }

  // ── what workers report ───────────────────────────────────────────────────

  /**
   * @internal A worker sent results: [RESULTS, elapsedMs, lastMs, (id, status, value)…].
   * Every job but the last took at most the runtime's FLUSH_AFTER_MS, so the last is
   * timed on its own and the others share the rest; each task's average learns from its
   * jobs (invariant 3). Skipped jobs did not run, and teach nothing.
   */
  handleResults(worker: PoolWorker, message: unknown[]): void {
    if (message[0] !== OP_RESULTS) return;
    worker.reported = true;
    this.#failedStarts = 0;
    const end = message.length;
    const count = (end - RESULTS_HEADER) / RESULT_FIELDS;
    const lastMs = message[2] as number;
    const restMs = count > 1 ? Math.max(0, (message[1] as number) - lastMs) / (count - 1) : 0;
    let task: TaskInfo | null = null; // the task of the current run of jobs…
    let taskJobs = 0; // …how many of them ran…
    let taskMs = 0; // …and what they took.
    for (let i = RESULTS_HEADER; i < end; i += RESULT_FIELDS) {
      const job = worker.outstanding.shift();
      if (job === undefined || job.id !== message[i]) {
        throw new Error(`pool protocol error: result for job ${message[i]}, expected ${job?.id}`);
      }
      const status = message[i + 1] as number;
      if (status !== STATUS_SKIPPED) {
        if (job.task !== task) {
          if (task !== null) learn(task, taskMs / taskJobs);
          task = job.task;
          taskJobs = 0;
          taskMs = 0;
        }
        taskJobs++;
        taskMs += i + RESULT_FIELDS === end ? lastMs : restMs;
      }
      if (worker.graceJob === job) worker.clearGrace();
      this.#settle(job, status, message[i + 2], true);
    }
    if (task !== null) learn(task, taskMs / taskJobs);
    worker.afterReports(this.#graceMs);
    worker.updateReference();
    this.#dispatch();
    this.#checkDrained();
  }

  /** @internal A worker exited (invariant 4). */
  handleExit(worker: PoolWorker, reason: string, cause: unknown): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0) this.workers.splice(index, 1);
    const running = worker.runningJob();
    const unknown = running === null;
    const requeue: Job<unknown>[] = [];
    for (
      let job = worker.outstanding.shift();
      job !== undefined;
      job = worker.outstanding.shift()
    ) {
      job.worker = null;
      if (job.done()) {
        job.place = GONE;
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
      // It died starting up (a bad execArgv, a crash on load): do not respawn forever.
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
    for (let i = requeue.length - 1; i >= 0; i--) {
      const job = requeue[i] as Job<unknown>;
      if (unknown) job.suspect = true;
      job.place = QUEUED;
      this.#queue.unshift(job);
      this.#queued++;
    }
    if (!this.#closing() || this.#queued > 0) this.#dispatch();
    this.#checkDrained();
  }

  #failWaiting(error: BrokenExecutorError): void {
    for (let job = this.#takeQueued(); job !== undefined; job = this.#takeQueued()) {
      this.#settle(job, STATUS_ERROR, error, false);
    }
    for (const job of this.#waitingRoom) {
      if (job.place === WAITING_ROOM) this.#settle(job, STATUS_ERROR, error, false);
    }
    this.#waitingRoom.clear();
    this.#waiting = 0;
  }

  /** Settles a job once (invariant 1); `encoded`: the value came from a worker. */
  #settle(job: Job<unknown>, status: number, value: unknown, encoded: boolean): void {
    job.place = GONE;
    job.worker = null;
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
    switch (job.place) {
      case WAITING_ROOM:
        job.place = GONE;
        this.#waiting--;
        break;
      case QUEUED:
        job.place = GONE;
        this.#queued--;
        this.#admitWaiting();
        break;
      case ASSIGNED:
        job.worker?.cancelAssigned(job, this.#graceMs);
        break;
    }
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
      for (const job of this.#waitingRoom) if (job.place === WAITING_ROOM) job.cancel();
      for (const job of this.#queue) if (job.place === QUEUED) job.cancel();
      for (const worker of this.workers) {
        for (const job of [...worker.outstanding]) {
          if (!worker.hasStarted(job)) job.cancel();
        }
      }
    }
    if (this.#closed === null) this.#closed = this.#closeWhenDrained();
    if (wait) await this.#closed;
  }

  async #closeWhenDrained(): Promise<void> {
    if (this.#unsettled > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    const exits: Promise<void>[] = [];
    for (const worker of [...this.workers]) {
      worker.retiring = true;
      worker.clearGrace();
      exits.push(worker.retire(this.#graceMs));
    }
    await Promise.all(exits);
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

/** A task not measured yet: its jobs go one at a time (invariant 3). */
function newTask(fnId: number, exportName: string | null): TaskInfo {
  return { fnId, exportName, averageMs: Number.NaN, batch: 1 };
}

/** Folds a job time (ms) into `task`'s average and sizes its batches from it (invariant 3). */
function learn(task: TaskInfo, jobMs: number): void {
  const average = task.averageMs;
  const next = Number.isNaN(average)
    ? jobMs
    : average * (1 - TIMING_WEIGHT) + jobMs * TIMING_WEIGHT;
  task.averageMs = next;
  task.batch =
    next < SHORT_JOB_MS
      ? Math.max(1, Math.min(MAX_BATCH, Math.floor(BATCH_TARGET_MS / Math.max(next, 1e-4))))
      : 1;
}

/** A `module` option as a file: URL string the worker can import(). */
function moduleUrlOf(module: string | URL): string {
  if (module instanceof URL) {
    if (module.protocol !== 'file:') {
      throw new TypeError(`options.module must be a file: URL or a path; got ${module.href}`);
    }
    return module.href;
  }
  if (typeof module !== 'string' || module === '') {
    throw new TypeError(
      `options.module must be a path or a file: URL; got ${describeValue(module)}`,
    );
  }
  if (module.startsWith('file:')) return new URL(module).href;
  return pathToFileURL(resolve(module)).href;
}
