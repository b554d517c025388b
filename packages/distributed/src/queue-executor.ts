/*
 * QueueExecutor: the Executor API (submit, map, shutdown) over a BullMQ queue. Jobs are
 * named by an export of the workers' module and travel as JSON (see wire.ts); results
 * come back pushed through BullMQ's event stream (a blocking XREAD, as BullMQ's
 * QueueEvents reads it), never polled.
 *
 * Invariants
 *   1. Every Future settles exactly once (queue-job, invariant 1); `#pending` maps a job
 *      id to the Future(s) still waiting for it, `#unnamed` holds the jobs whose add has
 *      not answered yet (their id is BullMQ's, known from the answer), and `#unsettled`
 *      counts both: shutdown waits for 0.
 *   2. No completion is missed, however fast the worker: the event consumer reads from
 *      the stream position taken before the first add; a job with its own id is in
 *      `#pending` before its add leaves; a result read for an id not in `#pending` while
 *      adds are in flight is kept in `#early` until every add sent before it was read has
 *      answered (it may be one of theirs), then dropped.
 *   3. Submits of one synchronous stretch are added with one addBulk (a microtask
 *      flushes `#batch`), with the ids BullMQ chooses (its counter: no key to check per
 *      job in Redis); a submit with its own jobId is added alone, then its state is read,
 *      since BullMQ keeps the existing job for a known id (idempotent submit).
 *   4. Cancelling a job: it is removed from Redis if no worker holds it (BullMQ's remove
 *      refuses a locked job); otherwise its id is published on the queue's cancel
 *      channel, where the worker that runs it cancels its task.
 *   5. The control connection watches Redis: when it comes back after a drop, every
 *      pending job is looked up and the ones Redis lost fail with JobLostError; when it
 *      stays down past `connectionTimeoutMs`, the pending Futures fail with
 *      RedisConnectionError.
 *
 * Tested by test/queue-executor.test.ts, test/faults.test.ts, test/interop.test.ts and
 * test/model.property.test.ts.
 */

import { CancelledError, type Future } from '@coro/futures';
import { describeValue, getRunningLoop, requireInteger } from '@coro/loop';
import {
  type Executor,
  type JobFunction,
  type MapOptions,
  mapInOrder,
  type ShutdownOptions,
  type SubmitOptions,
} from '@coro/workers';
import { type BackoffOptions, Job, type JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  bullConnection,
  describeConnection,
  newRedisClient,
  type RedisConnection,
} from './connection.js';
import { JobLostError, RedisConnectionError } from './errors.js';
import { isJsonScalar, requireJson } from './json-value.js';
import { QueueJob } from './queue-job.js';
import { cancelChannel, errorFromWire, type JobData, requireQueueName } from './wire.js';

/**
 * Options of `new QueueExecutor(…)`.
 *
 * @example
 * ```ts
 * import type { QueueExecutorOptions } from '@coro/distributed';
 *
 * const options: QueueExecutorOptions = {
 *   queue: 'thumbnails',
 *   connection: 'redis://127.0.0.1:6379',
 *   maxInFlight: 200,
 * };
 * ```
 */
export interface QueueExecutorOptions {
  /** The BullMQ queue's name; the workers serve the same one. */
  queue: string;
  /** Where Redis is: a `redis://` URL or ioredis's options. */
  connection: RedisConnection;
  /** The prefix of the queue's Redis keys (`<prefix>:<queue>:…`). @defaultValue 'bull' */
  prefix?: string;
  /** Jobs `map` keeps in flight at most. @defaultValue 64 */
  maxInFlight?: number;
  /**
   * How long (ms) Redis may stay unreachable before the waiting Futures fail with
   * `RedisConnectionError`. @defaultValue 30000
   */
  connectionTimeoutMs?: number;
  /**
   * Options every job gets (BullMQ's `JobsOptions`: `attempts`, `backoff`,
   * `removeOnComplete`…); `submitWith`'s options win. How long a finished job stays in
   * Redis is the worker's unless set here: a coro worker keeps completed jobs an hour and
   * failed ones a day (so `future(jobId)` can re-attach).
   * @defaultValue none
   */
  defaultJobOptions?: JobsOptions;
}

/**
 * Options of `QueueExecutor.submitWith`: the Executor's `signal`, and BullMQ's per-job
 * options. (`transfer` does not apply: jobs travel as JSON.)
 *
 * @example
 * ```ts
 * import type { QueueSubmitOptions } from '@coro/distributed';
 *
 * const options: QueueSubmitOptions = {
 *   attempts: 3,
 *   backoff: { type: 'exponential', delay: 1_000 },
 *   timeout: 30_000,
 *   jobId: 'invoice-2024-117',
 * };
 * ```
 */
export interface QueueSubmitOptions extends SubmitOptions {
  /** Runs (the first included) before the job fails for good. @defaultValue 1 */
  attempts?: number;
  /** The wait (ms) between attempts, or BullMQ's `{ type: 'fixed' | 'exponential', delay }`. */
  backoff?: number | BackoffOptions;
  /** 1 (first) to 2,097,152; jobs without a priority go before any with one. */
  priority?: number;
  /** Wait (ms) before the job may start. @defaultValue 0 */
  delay?: number;
  /**
   * The job's time limit (ms) on the worker, per attempt: past it the job's task is
   * cancelled there and the attempt fails with `TimeoutError`.
   */
  timeout?: number;
  /**
   * The job's id. A job with this id already in Redis is not added again: the Future
   * follows that job (idempotent submit). @defaultValue BullMQ's own (its counter)
   */
  jobId?: string;
}

/** Any job function, whatever its parameters (internal signatures). */
// biome-ignore lint/suspicious/noExplicitAny: parameters are checked at the public overloads
type AnyJobFunction = JobFunction<any[], unknown>;

/** A result read before its job's add answered (invariant 2). */
interface EarlyEvent {
  /** The adds sent when it was read (`#adds`): one of them may be its job's. */
  adds: number;
  fields: string[];
}

/** Entries the queue's event stream keeps (see #connect). */
const EVENTS_MAX_LEN = 200_000;

/**
 * An Executor whose jobs run on `coro-worker` processes (or `serveQueue`) on any
 * machine that reaches the same Redis: Dask's `Client` for coro. Code written against
 * `Executor` (submit, map, shutdown, `await using`) runs unchanged; the work is named by
 * an export of the module the workers load, and arguments and results travel as JSON.
 *
 * @example
 * ```ts
 * import { QueueExecutor } from '@coro/distributed';
 *
 * // with a worker running: coro-worker --redis redis://127.0.0.1:6379 --queue math --module ./jobs.js
 * await using executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
 * console.log(await executor.submit('double', 21)); // 42
 * ```
 */
export class QueueExecutor implements Executor {
  // Also a QueueJobOwner: an internal interface, so not named in the `implements`
  // clause, which the published types would show without it.
  /** The queue's name. */
  readonly queue: string;
  /** The prefix of its Redis keys. */
  readonly prefix: string;
  /** Jobs `map` keeps in flight at most. */
  readonly maxInFlight: number;
  readonly #connection: Record<string, unknown>;
  readonly #connectionTimeoutMs: number;
  readonly #jobOptions: JobsOptions;
  readonly #pending = new Map<string, QueueJob>();
  /** The jobs of each add in flight whose ids BullMQ chooses, by add number (oldest first). */
  readonly #unnamed = new Map<number, QueueJob[]>();
  /** Adds sent with ids BullMQ chooses, so far. */
  #adds = 0;
  /** Results for ids not in `#pending`, read while such adds were in flight (invariant 2). */
  readonly #early = new Map<string, EarlyEvent>();
  #unsettled = 0;
  #batch: QueueJob[] = [];
  #batchData: JobData[] = [];
  #batchOptions: JobsOptions[] = [];
  #flushScheduled = false;
  readonly #boundFlush = () => this.#flush();
  #bull: Queue | null = null;
  #events: Redis | null = null;
  #consuming: Promise<void> | null = null;
  #stopping = false;
  /** Ends the consumer's pending read at shutdown (set for the length of each read). */
  #endRead: ((value: null) => void) | null = null;
  #control: Redis | null = null;
  #ready: Promise<void> | null = null;
  /** Background commands (cancels) shutdown waits for. */
  readonly #chores = new Set<Promise<void>>();
  /** Ids `shutdown({ cancelFutures })` is removing: their 'removed' event is a cancel, not a loss. */
  readonly #removingOnShutdown = new Set<string>();
  #downSince = -1;
  #downTimer: ReturnType<typeof setTimeout> | null = null;
  #wasDown = false;
  #shutdown = false;
  #closed: Promise<void> | null = null;
  #drained: Array<() => void> = [];

  constructor(options: QueueExecutorOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const { queue, prefix = 'bull', maxInFlight = 64, connectionTimeoutMs = 30_000 } = options;
    requireQueueName(queue, prefix);
    requireInteger(maxInFlight, 'options.maxInFlight', 1);
    requireInteger(connectionTimeoutMs, 'options.connectionTimeoutMs', 0);
    this.#connection = bullConnection(options.connection, 'options.connection');
    this.queue = queue;
    this.prefix = prefix;
    this.maxInFlight = maxInFlight;
    this.#connectionTimeoutMs = connectionTimeoutMs;
    // No retention here by default: the worker's (serve-queue.ts) applies, and every job
    // is smaller to pack, store and read back than with the same options on each job.
    this.#jobOptions = { ...options.defaultJobOptions };
  }

  // ── submitting ────────────────────────────────────────────────────────────

  /**
   * Adds a job that runs the export `task` of the workers' module with `args`, and
   * returns its Future: the worker's result, or its error (name, message and the
   * worker's stack kept). Cancelling the Future, or the task awaiting it, cancels the
   * job: a waiting job is removed from the queue, a running one is cancelled on its
   * worker (its task gets `CancelledError`, its `currentSignal()` aborts).
   *
   * @throws TypeError if `task` is not an export name (functions cannot travel to another
   *   machine), or an argument would not survive JSON (the message names it).
   * @throws Error after `shutdown()`.
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * await using executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
   * const sum = executor.submit<number>('add', 2, 3);
   * console.log(await sum); // 5
   * ```
   */
  submit<A extends unknown[], R>(task: JobFunction<A, R>, ...args: A): Future<Awaited<R>>;
  submit<R = unknown>(task: string, ...args: unknown[]): Future<R>;
  submit(task: AnyJobFunction | string, ...args: unknown[]): Future<unknown> {
    return this.#submit(task, args, undefined);
  }

  /**
   * `submit` with per-job options: `attempts` and `backoff`, `priority`, `delay`,
   * `timeout` (ms, enforced on the worker), `jobId` (idempotent submit) and `signal`.
   *
   * @throws TypeError / RangeError for bad options, as `submit` for bad arguments.
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * await using executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
   * const answer = executor.submitWith({ attempts: 3, timeout: 5_000 }, 'double', 21);
   * console.log(await answer); // 42
   * ```
   */
  submitWith<A extends unknown[], R>(
    options: QueueSubmitOptions,
    task: JobFunction<A, R>,
    ...args: A
  ): Future<Awaited<R>>;
  submitWith<R = unknown>(options: QueueSubmitOptions, task: string, ...args: unknown[]): Future<R>;
  submitWith(
    options: QueueSubmitOptions,
    task: AnyJobFunction | string,
    ...args: unknown[]
  ): Future<unknown> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    return this.#submit(task, args, options);
  }

  /**
   * `submit`: a QueueExecutor has no local waiting line, so it never throws `QueueFull`.
   *
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * await using executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
   * console.log(await executor.submitNowait('double', 4)); // 8
   * ```
   */
  submitNowait<A extends unknown[], R>(task: JobFunction<A, R>, ...args: A): Future<Awaited<R>>;
  submitNowait<R = unknown>(task: string, ...args: unknown[]): Future<R>;
  submitNowait(task: AnyJobFunction | string, ...args: unknown[]): Future<unknown> {
    return this.#submit(task, args, undefined);
  }

  #submit(task: unknown, args: unknown[], options: QueueSubmitOptions | undefined): QueueJob {
    if (this.#shutdown) throw new Error('cannot submit a job after shutdown()');
    requireTaskName(task);
    for (let index = 0; index < args.length; index++) {
      const arg = args[index];
      if (!isJsonScalar(arg)) requireJson(arg, `args[${index}]`);
    }
    const data: JobData = { args };
    let jobOptions = this.#jobOptions;
    let jobId = ''; // BullMQ's, known once the add answers
    if (options !== undefined) {
      const checked = checkSubmitOptions(options);
      if (checked.timeoutMs !== undefined) data.timeoutMs = checked.timeoutMs;
      jobOptions = { ...jobOptions, ...checked.jobOptions };
      if (options.jobId !== undefined) jobId = options.jobId;
    }
    const job = new QueueJob(this, jobId, task);
    if (jobId === '') this.#unsettled++;
    else this.#track(job);
    if (options?.signal !== undefined) {
      job.listen(options.signal);
      if (options.signal.aborted) job.handleEvent();
      if (job.done()) return job;
    }
    if (jobId !== '') {
      job.adding = this.#addOwnId(job, data, { ...jobOptions, jobId });
    } else {
      this.#batch.push(job);
      this.#batchData.push(data);
      this.#batchOptions.push(jobOptions);
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        queueMicrotask(this.#boundFlush);
      }
    }
    return job;
  }

  /** Registers `job` as waiting for its id (invariant 1). */
  #track(job: QueueJob): void {
    this.#unsettled++;
    this.#file(job);
  }

  /** Puts `job` in `#pending`, after the others waiting for the same id. */
  #file(job: QueueJob): void {
    const first = this.#pending.get(job.jobId);
    if (first === undefined) this.#pending.set(job.jobId, job);
    else {
      let last = first;
      while (last.next !== null) last = last.next;
      last.next = job;
    }
  }

  /** Adds the submits of this stretch with one addBulk (invariant 3). */
  #flush(): void {
    this.#flushScheduled = false;
    const jobs = this.#batch;
    const data = this.#batchData;
    const options = this.#batchOptions;
    this.#batch = [];
    this.#batchData = [];
    this.#batchOptions = [];
    const live: number[] = [];
    for (let i = 0; i < jobs.length; i++) if (!(jobs[i] as QueueJob).done()) live.push(i);
    if (live.length === 0) return;
    const sent = live.length === jobs.length ? jobs : live.map((i) => jobs[i] as QueueJob);
    const add = ++this.#adds;
    this.#unnamed.set(add, sent);
    const adding = this.#start().then((): Promise<Job | Job[]> => {
      const bull = this.#bull as Queue;
      if (live.length === 1) {
        const i = live[0] as number;
        return bull.add((jobs[i] as QueueJob).exportName as string, data[i], options[i]);
      }
      return bull.addBulk(
        live.map((i) => ({
          name: (jobs[i] as QueueJob).exportName as string,
          data: data[i],
          opts: options[i],
        })),
      );
    });
    // What the Futures keep (`adding`, for a cancel to wait on) must not hold the add's
    // answer: BullMQ's Job object for every job of the stretch, alive as long as any of
    // their Futures is. The ids are the jobs' before `added` resolves (a cancel reads them).
    const added = adding.then((answer) => this.#named(add, sent, answer));
    added.then(undefined, (error: unknown) => this.#addFailed(add, sent, error));
    for (const job of sent) job.adding = added;
  }

  /** An add answered: its jobs learn their ids and wait in `#pending` (invariant 2). */
  #named(add: number, jobs: QueueJob[], answer: Job | Job[]): void {
    this.#unnamed.delete(add);
    const early = this.#early;
    for (let k = 0; k < jobs.length; k++) {
      const job = jobs[k] as QueueJob;
      const jobId = ((Array.isArray(answer) ? answer[k] : answer) as Job).id as string;
      job.jobId = jobId;
      if (job.done()) continue; // cancelled meanwhile: release() cancels it in Redis
      this.#file(job);
      if (early.size > 0) {
        const event = early.get(jobId);
        if (event !== undefined) {
          early.delete(jobId);
          this.#handleEvent(event.fields);
        }
      }
    }
    this.#dropEarly();
  }

  /** An add failed: its jobs' Futures fail with its error. */
  #addFailed(add: number, jobs: QueueJob[], error: unknown): void {
    if (!this.#unnamed.delete(add)) return; // named already: the failure was ours, after
    this.#failUnnamed(jobs, error);
    this.#dropEarly();
    this.#checkDrained();
  }

  /** Fails the jobs of an add that has not answered (they are not in `#pending`). */
  #failUnnamed(jobs: QueueJob[], error: unknown): void {
    for (const job of jobs) {
      if (job.done()) continue;
      this.#unsettled--;
      this.#fail(job, error);
    }
  }

  /** Forgets the early results no add in flight can claim (invariant 2). */
  #dropEarly(): void {
    const early = this.#early;
    if (early.size === 0) return;
    // `#unnamed` keeps add numbers in ascending order: the first is the oldest in flight.
    const oldest = this.#unnamed.keys().next().value ?? Number.POSITIVE_INFINITY;
    for (const [jobId, event] of early) {
      if (event.adds >= oldest) break;
      early.delete(jobId);
    }
  }

  /** A submit with its own id: BullMQ keeps a known job, so follow its state. */
  async #addOwnId(job: QueueJob, data: JobData, options: JobsOptions): Promise<void> {
    try {
      await this.#start();
      await (this.#bull as Queue).add(job.exportName as string, data, options);
      await this.#settleFromState(job.jobId);
    } catch (error) {
      this.#failAll(job.jobId, error);
    }
  }

  /**
   * A Future for the job `jobId`, submitted earlier (by this client before it
   * restarted, or by any other producer): it settles as that job does, at once if it has
   * finished and its result is still kept.
   *
   * @throws TypeError if `jobId` is not a non-empty string.
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * const connection = 'redis://127.0.0.1:6379';
   * const first = new QueueExecutor({ queue: 'math', connection });
   * const { jobId } = { jobId: 'report-7' };
   * first.submitWith({ jobId }, 'double', 7);
   * await first.shutdown({ wait: false }); // the client goes away…
   *
   * await using second = new QueueExecutor({ queue: 'math', connection });
   * console.log(await second.future(jobId)); // 14: …and another one picks the result up
   * ```
   */
  future<R = unknown>(jobId: string): Future<R> {
    if (typeof jobId !== 'string' || jobId === '') {
      throw new TypeError(`jobId must be a non-empty string; got ${describeValue(jobId)}`);
    }
    if (this.#shutdown) throw new Error('cannot attach to a job after shutdown()');
    const job = new QueueJob(this, jobId, null);
    this.#track(job);
    job.adding = this.#start()
      .then(() => this.#settleFromState(jobId))
      .catch((error: unknown) => this.#failAll(jobId, error));
    return job as Future<R>;
  }

  /** Settles the Futures of `jobId` if the job has finished (its state, read once). */
  async #settleFromState(jobId: string): Promise<void> {
    const found = await Job.fromId(this.#bull as Queue, jobId);
    if (found === undefined) {
      this.#settleAll(jobId, (job) =>
        this.#fail(job, new JobLostError(jobId, 'there is no job with this id in Redis')),
      );
      return;
    }
    if (found.finishedOn === undefined) return; // still to run: its events will come
    if (found.failedReason !== undefined && found.failedReason !== null && !found.returnvalue) {
      const state = await found.getState();
      if (state === 'failed') {
        this.#failed(jobId, found.failedReason, found.stacktrace?.at(-1));
        return;
      }
    }
    this.#completed(jobId, found.returnvalue);
  }

  // ── results ───────────────────────────────────────────────────────────────

  /** Connects once: the control client, the stream position, then the event consumer. */
  #start(): Promise<void> {
    if (this.#ready === null) {
      this.#ready = this.#connect();
      this.#ready.catch(() => {
        this.#ready = null; // the next submit tries again
      });
    }
    return this.#ready;
  }

  async #connect(): Promise<void> {
    const connection = this.#connection;
    const prefix = this.prefix;
    if (this.#control === null) {
      const control = newRedisClient({ ...connection, maxRetriesPerRequest: 1 });
      control.on('error', () => {}); // reported through close/ready below and the Futures
      control.on('close', () => this.#connectionDown());
      control.on('ready', () => this.#connectionUp());
      this.#control = control;
    }
    const control = this.#control;
    // Invariant 2: read from where the stream is now, before any add.
    const started = Date.now();
    let last: [string, string[]][];
    try {
      last = (await control.xrevrange(`${prefix}:${this.queue}:events`, '+', '-', 'COUNT', 1)) as [
        string,
        string[],
      ][];
    } catch (error) {
      throw new RedisConnectionError(describeConnection(connection), Date.now() - started, {
        cause: error,
      });
    }
    const lastEventId = last[0]?.[0] ?? '0-0';
    if (this.#bull === null) {
      // The event stream is trimmed to about this many entries (BullMQ's default is 10,000,
      // about 2,500 jobs' worth): a client that falls further behind would miss results.
      this.#bull = new Queue(this.queue, {
        connection,
        prefix,
        streams: { events: { maxLen: EVENTS_MAX_LEN } },
      });
      this.#bull.on('error', () => {});
    }
    if (this.#events === null) {
      // A blocking XREAD on BullMQ's event stream, on a client of its own: while Redis is
      // away the read waits in ioredis's offline queue and goes on from `lastEventId`.
      const events = newRedisClient(connection);
      events.on('error', () => {});
      this.#events = events;
      this.#consuming = this.#consume(events, `${prefix}:${this.queue}:events`, lastEventId);
    }
    await this.#bull.waitUntilReady();
  }

  /** Reads the queue's events until shutdown: the results' push channel. */
  async #consume(events: Redis, key: string, lastEventId: string): Promise<void> {
    let id = lastEventId;
    while (!this.#stopping) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        const read = events.xread('BLOCK', 10_000, 'STREAMS', key, id) as Promise<typeof reply>;
        read.catch(() => {}); // after shutdown nobody awaits it
        // A read queued while Redis was away is not always rejected by disconnect():
        // shutdown ends the wait itself, through #endRead. The wait is this read's own: a
        // race with one Promise that lives until shutdown would leave a pair of callbacks
        // on it per read (~300 bytes; several reads per job), for as long as the client.
        reply = await new Promise<typeof reply>((resolve, reject) => {
          this.#endRead = resolve;
          read.then(resolve, reject);
        });
      } catch {
        if (this.#stopping) return; // disconnected by shutdown
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      } finally {
        this.#endRead = null;
      }
      if (reply === null) continue;
      for (const [, entries] of reply) {
        for (const [entryId, fields] of entries) {
          id = entryId;
          this.#handleEvent(fields);
        }
      }
    }
  }

  /** One entry of the event stream: `[field, value, …]` (BullMQ's layout). */
  #handleEvent(fields: string[]): void {
    // BullMQ writes `event` first: most entries (added, waiting, active, drained…) are
    // dropped here, without reading the rest.
    if (fields[0] === 'event') {
      const type = fields[1];
      if (type !== 'completed' && type !== 'failed' && type !== 'removed') return;
    }
    let event = '';
    let jobId = '';
    let returnvalue: string | undefined;
    let failedReason = '';
    for (let i = 0; i < fields.length; i += 2) {
      const value = fields[i + 1] as string;
      switch (fields[i]) {
        case 'event':
          event = value;
          break;
        case 'jobId':
          jobId = value;
          break;
        case 'returnvalue':
          returnvalue = value;
          break;
        case 'failedReason':
          failedReason = value;
          break;
      }
    }
    if (!this.#pending.has(jobId)) {
      // Its add may not have answered yet (invariant 2): keep the first such result.
      if (this.#unnamed.size > 0 && jobId !== '' && !this.#early.has(jobId)) {
        this.#early.set(jobId, { adds: this.#adds, fields });
      }
      return;
    }
    if (event === 'completed') {
      let value: unknown = null;
      try {
        value = returnvalue === undefined ? null : JSON.parse(returnvalue);
      } catch {
        value = returnvalue; // a producer outside coro stored plain text
      }
      this.#completed(jobId, value);
    } else if (event === 'failed') {
      this.#fetchFailure(jobId, failedReason);
    } else if (event === 'removed') {
      // Our own shutdown's remove() may be reported here before it returns to us.
      if (this.#removingOnShutdown.has(jobId)) this.#settleAll(jobId, (job) => job.cancel());
      else {
        this.#settleAll(jobId, (job) =>
          this.#fail(job, new JobLostError(jobId, 'it was removed from the queue')),
        );
      }
    }
  }

  #completed(jobId: string, value: unknown): void {
    this.#settleAll(jobId, (job) => {
      job.unlisten();
      job.setResult(value ?? null);
    });
  }

  /** The failed event carries the message; the stack is in the job's hash. */
  #fetchFailure(jobId: string, failedReason: string): void {
    if (!this.#pending.has(jobId)) return;
    const fetched = Job.fromId(this.#bull as Queue, jobId).then(
      (found) => this.#failed(jobId, failedReason, found?.stacktrace?.at(-1)),
      () => this.#failed(jobId, failedReason, undefined),
    );
    this.#chore(fetched);
  }

  #failed(jobId: string, failedReason: string, stack: string | undefined): void {
    const error = errorFromWire(failedReason, stack);
    this.#settleAll(jobId, (job) => {
      if (error instanceof CancelledError) job.cancel(error.message);
      else this.#fail(job, error);
    });
  }

  /** Fails every Future waiting for `jobId` (its add or its lookup failed). */
  #failAll(jobId: string, error: unknown): void {
    this.#settleAll(jobId, (job) => this.#fail(job, error));
  }

  #fail(job: QueueJob, error: unknown): void {
    if (job.done()) return;
    job.unlisten();
    job.setException(error);
  }

  /** Settles every Future waiting for `jobId`, taking them out of the table. */
  #settleAll(jobId: string, settle: (job: QueueJob) => void): void {
    let job = this.#pending.get(jobId);
    if (job === undefined) return;
    this.#pending.delete(jobId);
    while (job !== undefined && job !== null) {
      const next: QueueJob | null = job.next;
      job.next = null;
      if (!job.done()) {
        this.#unsettled--;
        settle(job);
      }
      job = next ?? undefined;
    }
    this.#checkDrained();
  }

  // ── cancelling ────────────────────────────────────────────────────────────

  /** @internal A job's Future ended early (cancelled, or its signal fired): invariant 4. */
  release(job: QueueJob): void {
    job.unlisten();
    if (job.jobId === '') {
      // Its add has not answered: the cancel waits for it, then removes the job by its id.
      this.#unsettled--;
      if (job.adding !== null) this.#chore(this.#cancelInRedis(job));
      this.#checkDrained();
      return;
    }
    const first = this.#pending.get(job.jobId);
    if (first === undefined) return; // settled already
    this.#unsettled--;
    // Take it out of the same-id chain; others may still wait for the job.
    if (first === job) {
      if (job.next === null) this.#pending.delete(job.jobId);
      else this.#pending.set(job.jobId, job.next);
    } else {
      let before = first;
      while (before.next !== null && before.next !== job) before = before.next;
      before.next = job.next;
    }
    job.next = null;
    if (!this.#pending.has(job.jobId) && job.exportName !== null) {
      this.#chore(this.#cancelInRedis(job));
    }
    this.#checkDrained();
  }

  async #cancelInRedis(job: QueueJob): Promise<void> {
    if (job.adding === null) return;
    try {
      await job.adding;
    } catch {
      return; // never added
    }
    const removed = await (this.#bull as Queue).remove(job.jobId);
    if (removed === 0) {
      await (this.#control as Redis).publish(cancelChannel(this.prefix, this.queue), job.jobId);
    }
  }

  /** Runs a background command; its failure goes to the loop's exception handler. */
  #chore(work: Promise<void>): void {
    const chore = work.catch((error: unknown) => {
      getRunningLoop().callExceptionHandler({
        message: `QueueExecutor (${this.queue}): a background Redis command failed`,
        exception: error,
      });
    });
    this.#chores.add(chore);
    chore.finally(() => this.#chores.delete(chore));
  }

  // ── the connection ────────────────────────────────────────────────────────

  #connectionDown(): void {
    if (this.#shutdown && this.#unsettled === 0) return;
    this.#wasDown = true;
    if (this.#downTimer !== null) return;
    this.#downSince = Date.now();
    this.#downTimer = setTimeout(() => this.#giveUp(), this.#connectionTimeoutMs);
    this.#downTimer.unref?.();
  }

  #connectionUp(): void {
    if (this.#downTimer !== null) {
      clearTimeout(this.#downTimer);
      this.#downTimer = null;
    }
    if (!this.#wasDown) return;
    this.#wasDown = false;
    this.#chore(this.#findLostJobs());
  }

  /** After a reconnection: jobs Redis no longer has fail (invariant 5). */
  async #findLostJobs(): Promise<void> {
    const control = this.#control as Redis;
    const ids = [...this.#pending.keys()];
    if (ids.length === 0) return;
    const pipeline = control.pipeline();
    for (const id of ids) pipeline.exists(`${this.prefix}:${this.queue}:${id}`);
    const answers = (await pipeline.exec()) ?? [];
    ids.forEach((id, index) => {
      const [error, exists] = answers[index] ?? [null, 1];
      const job = this.#pending.get(id);
      if (error === null && exists === 0 && job !== undefined && job.adding !== null) {
        this.#settleAll(id, (lost) =>
          this.#fail(
            lost,
            new JobLostError(id, 'Redis no longer has it (restarted without persistence?)'),
          ),
        );
      }
    });
  }

  #giveUp(): void {
    this.#downTimer = null;
    const error = new RedisConnectionError(
      describeConnection(this.#connection),
      Date.now() - this.#downSince,
    );
    for (const id of [...this.#pending.keys()]) {
      this.#settleAll(id, (job) => this.#fail(job, error));
    }
    for (const jobs of this.#unnamed.values()) this.#failUnnamed(jobs, error);
    this.#checkDrained();
  }

  // ── map ───────────────────────────────────────────────────────────────────

  /**
   * Runs the export `task` on every item and yields the results in input order, with
   * at most `maxInFlight` jobs in Redis at once (items are read as room frees up). A
   * job's error is thrown where its result would come; leaving the loop early cancels
   * the jobs in flight. Each item is its own job (`chunksize` is accepted for the
   * Executor interface and does not group items).
   *
   * @throws TypeError for a task that is not an export name, or items that are not
   *   iterable.
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * await using executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
   * const doubled: number[] = [];
   * for await (const value of executor.map<number, number>('double', [1, 2, 3])) doubled.push(value);
   * console.log(doubled); // [ 2, 4, 6 ]
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
    requireInteger(options.chunksize ?? 1, 'options.chunksize', 1);
    requireTaskName(task);
    return mapInOrder(
      items,
      (item) => this.#submit(task, [item], undefined),
      this.maxInFlight,
    ) as AsyncIterable<Awaited<R>>;
  }

  // ── shutting down ─────────────────────────────────────────────────────────

  /**
   * Stops taking jobs (`submit` then throws). With `cancelFutures`, the jobs no worker
   * has started are removed from the queue and their Futures cancelled; running jobs go
   * on. With `wait` (the default) the Promise resolves once every Future has settled and
   * the Redis connections are closed. Calling it again returns the same wait.
   *
   * @throws TypeError for bad options.
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * const executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
   * const answer = executor.submit('double', 21);
   * await executor.shutdown(); // waits for the job, then closes the connections
   * console.log(answer.result()); // 42
   * ```
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const { wait = true, cancelFutures = false } = options;
    this.#shutdown = true;
    if (this.#batch.length > 0) this.#flush(); // the submits of this stretch go out first
    if (cancelFutures) {
      for (const job of [...this.#pending.values()]) this.#chore(this.#cancelIfWaiting(job));
      for (const jobs of this.#unnamed.values()) {
        for (const job of jobs) if (!job.done()) this.#chore(this.#cancelIfWaiting(job));
      }
    }
    if (this.#closed === null) this.#closed = this.#closeWhenDrained();
    if (wait) await this.#closed;
  }

  /** `shutdown({ cancelFutures })`: remove the job if no worker holds it. */
  async #cancelIfWaiting(job: QueueJob): Promise<void> {
    if (job.adding === null || job.exportName === null) return;
    try {
      await job.adding;
    } catch {
      return;
    }
    this.#removingOnShutdown.add(job.jobId);
    try {
      if ((await (this.#bull as Queue).remove(job.jobId)) === 1) {
        for (let each: QueueJob | null = job; each !== null; each = each.next) {
          if (!each.done()) each.cancel();
        }
      }
    } finally {
      this.#removingOnShutdown.delete(job.jobId);
    }
  }

  async #closeWhenDrained(): Promise<void> {
    if (this.#unsettled > 0) {
      await new Promise<void>((resolve) => this.#drained.push(resolve));
    }
    while (this.#chores.size > 0) await Promise.all([...this.#chores]);
    if (this.#downTimer !== null) clearTimeout(this.#downTimer);
    this.#stopping = true;
    this.#endRead?.(null);
    this.#events?.disconnect();
    await Promise.allSettled([this.#consuming, this.#bull?.close()]);
    this.#control?.disconnect();
  }

  #checkDrained(): void {
    if (this.#unsettled === 0 && this.#drained.length > 0) {
      const resolvers = this.#drained;
      this.#drained = [];
      for (const resolve of resolvers) resolve();
    }
  }

  /**
   * `await using executor = new QueueExecutor(…)` shuts it down (waiting for its jobs)
   * at the end of the block.
   *
   * @example
   * ```ts
   * import { QueueExecutor } from '@coro/distributed';
   *
   * {
   *   await using executor = new QueueExecutor({ queue: 'math', connection: 'redis://127.0.0.1:6379' });
   *   console.log(await executor.submit('double', 1)); // 2
   * } // here its Redis connections are closed
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** @internal Futures not yet settled (for tests). */
  get unsettledCount(): number {
    return this.#unsettled;
  }
}

function requireTaskName(task: unknown): asserts task is string {
  if (typeof task === 'function') {
    throw new TypeError(
      `task must be the name of an export of the workers' module (a function cannot travel to another machine); got ${describeValue(task)}`,
    );
  }
  if (typeof task !== 'string' || task === '') {
    throw new TypeError(
      `task must be the name of an export of the workers' module; got ${describeValue(task)}`,
    );
  }
}

interface CheckedOptions {
  jobOptions: JobsOptions;
  timeoutMs: number | undefined;
}

function checkSubmitOptions(options: QueueSubmitOptions): CheckedOptions {
  const jobOptions: JobsOptions = {};
  const { attempts, backoff, priority, delay, timeout, jobId, signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal; got ${describeValue(signal)}`);
  }
  if (options.transfer !== undefined && options.transfer.length > 0) {
    throw new TypeError(
      'options.transfer must be empty: a QueueExecutor sends jobs as JSON, it cannot move buffers',
    );
  }
  if (attempts !== undefined) {
    requireInteger(attempts, 'options.attempts', 1);
    jobOptions.attempts = attempts;
  }
  if (backoff !== undefined) {
    if (typeof backoff === 'number') requireInteger(backoff, 'options.backoff', 0);
    else if (typeof backoff !== 'object' || backoff === null || typeof backoff.type !== 'string') {
      throw new TypeError(
        `options.backoff must be a number of ms or { type, delay }; got ${describeValue(backoff)}`,
      );
    }
    jobOptions.backoff = backoff;
  }
  if (priority !== undefined) {
    requireInteger(priority, 'options.priority', 1);
    if (priority > 2_097_152) {
      throw new RangeError(`options.priority must be at most 2097152; got ${priority}`);
    }
    jobOptions.priority = priority;
  }
  if (delay !== undefined) {
    if (typeof delay !== 'number' || Number.isNaN(delay)) {
      throw new TypeError(`options.delay must be a number of ms; got ${describeValue(delay)}`);
    }
    if (delay > 0) jobOptions.delay = delay;
  }
  if (timeout !== undefined && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw new TypeError(`options.timeout must be a number of ms; got ${describeValue(timeout)}`);
  }
  if (jobId !== undefined) {
    if (typeof jobId !== 'string' || jobId === '' || /^\d+$/.test(jobId) || jobId.includes(':')) {
      throw new TypeError(
        `options.jobId must be a string that is not an integer and has no ':'; got ${describeValue(jobId)}`,
      );
    }
  }
  return { jobOptions, timeoutMs: timeout === undefined ? undefined : Math.max(0, timeout) };
}
