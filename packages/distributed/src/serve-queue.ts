/*
 * serveQueue: the worker side. A BullMQ Worker takes jobs from the queue, `concurrency`
 * at a time; each runs as a coro task on the loop that called serveQueue, so a job
 * awaits coro primitives, is cancelled as a task is, and `currentSignal()` (from
 * @coro/workers) is its task's signal. With `processes`, the jobs go through a local
 * ProcessPoolExecutor instead, so one worker process uses every core.
 *
 * Invariants
 *   1. `#running` maps the id of each job this process runs to its task. A cancel
 *      request (the queue's cancel channel) cancels that task; a request for a job not
 *      (yet) here is remembered for CANCEL_MEMORY_MS, since it may arrive between
 *      BullMQ moving the job to active and the processor starting, or before a stalled
 *      job moves here from a dead worker.
 *   2. A job cancelled on request fails in Redis as UnrecoverableError (no retry) with a
 *      stack that says CancelledError, so a client that did not ask sees it cancelled.
 *   3. close() stops taking jobs, lets the running ones finish for `graceMs`, then hands
 *      the rest back: their tasks are cancelled and the jobs moved back to wait (BullMQ's
 *      WaitingError), to be run by another worker. Nothing is left active.
 *
 * Tested by test/serve-queue.test.ts and test/faults.test.ts.
 */

import {
  CancelledError,
  createTask,
  currentTask,
  type Task,
  TimeoutError,
  timeout,
} from '@coro/futures';
import { describeValue, getRunningLoop, type Loop, requireInteger } from '@coro/loop';
import { moduleUrlOf, type ProcessPoolExecutor } from '@coro/workers';
import { Worker as BullWorker, type Job, WaitingError } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullConnection, newRedisClient, type RedisConnection } from './connection.js';
import { isJsonScalar, requireJson } from './json-value.js';
import { cancelChannel, errorForWire, readJobData, requireQueueName } from './wire.js';

/**
 * How long finished jobs stay in Redis, unless a job says otherwise (its client's
 * `defaultJobOptions`): completed ones an hour, failed ones a day, so a client can
 * re-attach with `future(jobId)`. A worker option, not a job option, so no job carries it.
 */
const KEEP_COMPLETED = { age: 3600 };
const KEEP_FAILED = { age: 24 * 3600 };

/** How long a cancel request for a job this worker does not run is remembered. */
const CANCEL_MEMORY_MS = 10 * 60_000;
/** The most remembered cancel requests (oldest forgotten first). */
const CANCEL_MEMORY_SIZE = 100_000;

/**
 * Options of `serveQueue`.
 *
 * @example
 * ```ts
 * import type { ServeQueueOptions } from '@coro/distributed';
 *
 * const options: ServeQueueOptions = {
 *   queue: 'thumbnails',
 *   connection: 'redis://127.0.0.1:6379',
 *   module: './dist/jobs.js',
 *   concurrency: 16,
 * };
 * ```
 */
export interface ServeQueueOptions {
  /** The BullMQ queue to serve. */
  queue: string;
  /** Where Redis is: a `redis://` URL or ioredis's options. */
  connection: RedisConnection;
  /**
   * The jobs: a built JavaScript module (a path, relative to the current directory, or a
   * `file:` URL) whose exported functions jobs name.
   */
  module: string | URL;
  /** Jobs run at once. @defaultValue `processes`, or 1 */
  concurrency?: number;
  /** Aborting it closes the worker, as `close()` does. */
  signal?: AbortSignal;
  /** The prefix of the queue's Redis keys. @defaultValue 'bull' */
  prefix?: string;
  /**
   * Run the jobs in a local ProcessPoolExecutor of this many processes (CPU-bound work);
   * 0 runs them as tasks on this loop. @defaultValue 0
   */
  processes?: number;
  /**
   * How long (ms) close() lets running jobs finish before handing them back to the
   * queue. @defaultValue 10000
   */
  graceMs?: number;
  /** BullMQ's lock duration (ms): a job whose lock is not renewed in it has stalled. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often (ms) stalled jobs are looked for and moved back to wait. @defaultValue 30000 */
  stalledIntervalMs?: number;
  /**
   * Called as jobs start and finish (the `coro-worker` command prints these), and with
   * the worker's connection errors. @defaultValue errors go to the loop's exception handler
   */
  onEvent?: (event: QueueWorkerEvent) => void;
}

/**
 * What a worker reports through `onEvent`.
 *
 * @example
 * ```ts
 * import type { QueueWorkerEvent } from '@coro/distributed';
 *
 * const print = (event: QueueWorkerEvent) => {
 *   if (event.type === 'failed') console.error(`job ${event.jobId} failed: ${event.error.message}`);
 * };
 * ```
 */
export type QueueWorkerEvent =
  | { type: 'started'; jobId: string; name: string }
  | { type: 'completed'; jobId: string; name: string }
  | { type: 'failed'; jobId: string; name: string; error: Error }
  | { type: 'cancelled'; jobId: string; name: string }
  | { type: 'handed-back'; jobId: string; name: string }
  | { type: 'error'; error: Error };

/**
 * Options of `QueueWorker.close`.
 *
 * @example
 * ```ts
 * import type { CloseOptions } from '@coro/distributed';
 *
 * const now: CloseOptions = { graceMs: 0 }; // hand running jobs back at once
 * ```
 */
export interface CloseOptions {
  /** Overrides the worker's `graceMs` for this close. */
  graceMs?: number;
}

interface Running {
  task: Task<unknown>;
  job: Job;
  handBack: boolean;
  cancelRequested: boolean;
}

/**
 * Serves `queue`: runs its jobs on this loop as coro tasks, `concurrency` at a time,
 * until `close()` (or `signal` aborts). Resolves once the module is loaded and the
 * worker is connected. Finished jobs stay in Redis for `future(jobId)`: completed ones an
 * hour, failed ones a day, unless the job's own options (`removeOnComplete`,
 * `removeOnFail`, from its client) say otherwise.
 *
 * @throws TypeError for bad options, or a module that cannot be loaded.
 * @example
 * ```ts
 * import { run } from '@coro/futures';
 * import { serveQueue } from '@coro/distributed';
 *
 * await run(async () => {
 *   await using worker = await serveQueue({
 *     queue: 'math',
 *     connection: 'redis://127.0.0.1:6379',
 *     module: './jobs.js',
 *     concurrency: 8,
 *   });
 *   console.log(worker.running); // 0: no job yet
 * });
 * ```
 */
export async function serveQueue(options: ServeQueueOptions): Promise<QueueWorker> {
  const worker = new QueueWorker(options);
  await worker.start();
  return worker;
}

/**
 * A running worker, from `serveQueue`: close it, or `await using` it.
 *
 * @example
 * ```ts
 * import { run } from '@coro/futures';
 * import { serveQueue } from '@coro/distributed';
 *
 * await run(async () => {
 *   const worker = await serveQueue({ queue: 'math', connection: 'redis://127.0.0.1:6379', module: './jobs.js' });
 *   await worker.close(); // running jobs finish (or go back to the queue after graceMs)
 * });
 * ```
 */
export class QueueWorker {
  /** The queue it serves. */
  readonly queue: string;
  /** Jobs it runs at once. */
  readonly concurrency: number;
  /** Jobs finished here: completed, failed (errors and timeouts), cancelled. */
  readonly counts = { completed: 0, failed: 0, cancelled: 0, handedBack: 0 };
  readonly #moduleUrl: string;
  readonly #connection: Record<string, unknown>;
  readonly #prefix: string;
  readonly #processes: number;
  readonly #graceMs: number;
  readonly #lockDurationMs: number | undefined;
  readonly #stalledIntervalMs: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onEvent: ((event: QueueWorkerEvent) => void) | undefined;
  readonly #loop: Loop;
  readonly #running = new Map<string, Running>();
  readonly #cancelRequests = new Map<string, number>();
  #exports: Record<string, unknown> = {};
  #bull: BullWorker | null = null;
  #subscriber: Redis | null = null;
  #pool: ProcessPoolExecutor | null = null;
  #closing: Promise<void> | null = null;

  /** Not for direct use: call `serveQueue`. */
  constructor(options: ServeQueueOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const { queue, prefix = 'bull', processes = 0, graceMs = 10_000 } = options;
    requireQueueName(queue, prefix);
    requireInteger(processes, 'options.processes', 0);
    const concurrency = options.concurrency ?? Math.max(1, processes);
    requireInteger(concurrency, 'options.concurrency', 1);
    requireInteger(graceMs, 'options.graceMs', 0);
    if (options.lockDurationMs !== undefined) {
      requireInteger(options.lockDurationMs, 'options.lockDurationMs', 1);
    }
    if (options.stalledIntervalMs !== undefined) {
      requireInteger(options.stalledIntervalMs, 'options.stalledIntervalMs', 1);
    }
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
      throw new TypeError(
        `options.signal must be an AbortSignal; got ${describeValue(options.signal)}`,
      );
    }
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
      throw new TypeError(
        `options.onEvent must be a function; got ${describeValue(options.onEvent)}`,
      );
    }
    this.queue = queue;
    this.concurrency = concurrency;
    this.#moduleUrl = moduleUrlOf(options.module);
    this.#connection = bullConnection(options.connection, 'options.connection');
    this.#prefix = prefix;
    this.#processes = processes;
    this.#graceMs = graceMs;
    this.#lockDurationMs = options.lockDurationMs;
    this.#stalledIntervalMs = options.stalledIntervalMs;
    this.#signal = options.signal;
    this.#onEvent = options.onEvent;
    this.#loop = getRunningLoop();
  }

  /** Jobs running here now. */
  get running(): number {
    return this.#running.size;
  }

  /** @internal Loads the module, subscribes to cancels, then starts taking jobs. */
  async start(): Promise<void> {
    const loaded = (await import(this.#moduleUrl)) as Record<string, unknown>;
    const fallback = loaded.default;
    this.#exports =
      fallback !== null && typeof fallback === 'object'
        ? { ...(fallback as Record<string, unknown>), ...loaded }
        : loaded;
    if (this.#processes > 0) {
      // Made only when asked for: a worker without processes starts no pool.
      const { ProcessPoolExecutor } = await import('@coro/workers');
      this.#pool = new ProcessPoolExecutor({
        maxWorkers: this.#processes,
        module: this.#moduleUrl,
      });
    }
    installCurrentSignal();
    const subscriber = newRedisClient(this.#connection);
    subscriber.on('error', () => {}); // the BullMQ worker reports the same outage
    subscriber.on('message', (_channel: string, jobId: string) => this.#cancelRequested(jobId));
    this.#subscriber = subscriber;
    await subscriber.subscribe(cancelChannel(this.#prefix, this.queue));
    const bull = new BullWorker(this.queue, (job, token) => this.#process(job, token), {
      connection: this.#connection,
      prefix: this.#prefix,
      concurrency: this.concurrency,
      autorun: true,
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
      ...(this.#lockDurationMs === undefined ? {} : { lockDuration: this.#lockDurationMs }),
      ...(this.#stalledIntervalMs === undefined
        ? {}
        : { stalledInterval: this.#stalledIntervalMs }),
    });
    bull.on('error', (error) => this.#report({ type: 'error', error }));
    this.#bull = bull;
    await bull.waitUntilReady();
    if (this.#signal !== undefined) {
      if (this.#signal.aborted) void this.close();
      else this.#signal.addEventListener('abort', () => void this.close(), { once: true });
    }
  }

  async #process(job: Job, token: string | undefined): Promise<unknown> {
    const jobId = job.id as string;
    const name = job.name;
    if (this.#cancelRequests.delete(jobId)) {
      this.counts.cancelled++;
      this.#report({ type: 'cancelled', jobId, name });
      throw cancelledForWire('cancelled by the client before it started');
    }
    const entry: Running = {
      // Eager: the job starts now, not an iteration later (one loop turn less per job).
      task: createTask(() => this.#start(name, job.data), {
        loop: this.#loop,
        name: `job ${jobId} (${name})`,
        eager: true,
      }),
      job,
      handBack: false,
      cancelRequested: false,
    };
    this.#running.set(jobId, entry);
    this.#report({ type: 'started', jobId, name });
    try {
      // A synchronous job has finished inside createTask (eager): no await, no loop turn.
      const value = entry.task.done() ? entry.task.result() : await entry.task;
      const result = value === undefined ? null : value;
      if (!isJsonScalar(result)) requireJson(result, `the result of job '${name}'`);
      this.counts.completed++;
      this.#report({ type: 'completed', jobId, name });
      return result;
    } catch (error) {
      if (entry.handBack) {
        await job.moveToWait(token);
        this.counts.handedBack++;
        this.#report({ type: 'handed-back', jobId, name });
        throw new WaitingError();
      }
      if (entry.cancelRequested && error instanceof CancelledError) {
        this.counts.cancelled++;
        this.#report({ type: 'cancelled', jobId, name });
        throw cancelledForWire(error.message || 'cancelled by the client');
      }
      const wire = errorForWire(error);
      this.counts.failed++;
      this.#report({ type: 'failed', jobId, name, error: wire });
      throw wire;
    } finally {
      this.#running.delete(jobId);
    }
  }

  /**
   * The job's body, in its task: the export called at once (its value, or its promise),
   * or, with a timeout or a process pool, the async path below.
   */
  #start(name: string, data: unknown): unknown {
    const { args, timeoutMs } = readJobData(data);
    if (timeoutMs !== undefined || this.#pool !== null) return this.#run(name, args, timeoutMs);
    return this.#call(name, args);
  }

  #call(name: string, args: unknown[]): unknown {
    const fn = this.#exports[name];
    if (typeof fn !== 'function') {
      throw new TypeError(
        `job name must be a function exported by the workers' module; got '${name}', which ${
          name in this.#exports ? 'is not a function' : 'it does not export'
        }`,
      );
    }
    return fn(...args);
  }

  async #run(name: string, args: unknown[], timeoutMs: number | undefined): Promise<unknown> {
    const pool = this.#pool;
    const body = pool !== null ? () => pool.submit(name, ...args) : () => this.#call(name, args);
    if (timeoutMs === undefined) return await body();
    try {
      return await timeout(timeoutMs, body);
    } catch (error) {
      if (error instanceof TimeoutError && currentTask()?.cancelling() === 0) {
        throw new TimeoutError(`job '${name}' ran past its timeout of ${timeoutMs} ms`);
      }
      throw error;
    }
  }

  /** A cancel request from the channel (invariant 1). */
  #cancelRequested(jobId: string): void {
    const entry = this.#running.get(jobId);
    if (entry !== undefined) {
      entry.cancelRequested = true;
      entry.task.cancel('cancelled by the client');
      return;
    }
    const now = Date.now();
    this.#cancelRequests.set(jobId, now);
    if (this.#cancelRequests.size > CANCEL_MEMORY_SIZE) {
      for (const [id, when] of this.#cancelRequests) {
        if (this.#cancelRequests.size <= CANCEL_MEMORY_SIZE && now - when < CANCEL_MEMORY_MS) break;
        this.#cancelRequests.delete(id);
      }
    }
  }

  #report(event: QueueWorkerEvent): void {
    if (this.#onEvent !== undefined) {
      this.#onEvent(event);
    } else if (event.type === 'error') {
      this.#loop.callExceptionHandler({
        message: `serveQueue (${this.queue}): the BullMQ worker reported an error`,
        exception: event.error,
      });
    }
  }

  /**
   * Stops taking jobs; lets the running ones finish for `graceMs`, then hands those
   * still running back to the queue (their tasks are cancelled, the jobs go back to
   * wait for another worker); then closes the connections. Calling it again returns the
   * same Promise.
   *
   * @example
   * ```ts
   * import { run } from '@coro/futures';
   * import { serveQueue } from '@coro/distributed';
   *
   * await run(async () => {
   *   const worker = await serveQueue({ queue: 'math', connection: 'redis://127.0.0.1:6379', module: './jobs.js' });
   *   process.once('SIGTERM', () => void worker.close({ graceMs: 5_000 }));
   * });
   * ```
   */
  close(options: CloseOptions = {}): Promise<void> {
    if (this.#closing === null) {
      const graceMs = options.graceMs ?? this.#graceMs;
      requireInteger(graceMs, 'options.graceMs', 0);
      this.#closing = this.#close(graceMs);
    }
    return this.#closing;
  }

  async #close(graceMs: number): Promise<void> {
    const bull = this.#bull;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (this.#running.size > 0) {
      timer = setTimeout(() => this.#handBackAll(), graceMs);
    }
    try {
      await bull?.close();
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      await this.#pool?.shutdown({ cancelFutures: true });
      this.#subscriber?.disconnect();
    }
  }

  /** Invariant 3: the jobs still running after the grace period go back to the queue. */
  #handBackAll(): void {
    for (const entry of this.#running.values()) {
      entry.handBack = true;
      entry.task.cancel('the worker is closing; the job goes back to the queue');
    }
  }

  /** `await using worker = await serveQueue(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** What a job cancelled on request throws to BullMQ (invariant 2). */
function cancelledForWire(message: string): Error {
  const error = errorForWire(new CancelledError(message));
  error.name = 'UnrecoverableError'; // BullMQ: no retry; the stack still says CancelledError
  return error;
}

/**
 * Makes `currentSignal()` of @coro/workers return the current job task's signal in this
 * process (it reads a well-known global: see @coro/workers' worker-runtime).
 */
function installCurrentSignal(): void {
  const key = Symbol.for('@coro/workers.currentJob');
  const global = globalThis as Record<symbol, unknown>;
  if (global[key] !== undefined) return;
  Object.defineProperty(global, key, {
    configurable: true,
    value: Object.freeze({
      get signal(): AbortSignal | undefined {
        return currentTask()?.signal;
      },
    }),
  });
}
