/*
 * worker-runtime: the code every pool worker runs, thread or process. The pool sends it
 * as source text (`workerRuntimeSource()`): a thread is a `new Worker(source, { eval: true })`
 * and a process is `node -e source`, so no file has to be found next to the package
 * (vitest runs the TypeScript sources, users run dist/ as ESM or CJS; all load the same).
 * The wire protocol is protocol.ts's, handed in as a parameter (`PROTOCOL` as JSON, the
 * frame functions as source): no message is written here by hand. Errors are encoded by
 * error-transfer.ts's `encodeError`, handed in the same way, next to the pool's decoder.
 *
 * Invariants
 *   1. `workerRuntime` is self-contained: it uses only its parameters and globals, never
 *      a binding of this module (it runs from its source text). `__name` is defined
 *      before it, in case a build tool adds keepNames helpers to it, and `import()` is
 *      passed in from the wrapper (vitest rewrites `import(` in the sources it runs).
 *   2. Jobs run one at a time, in arrival order; an async job is awaited before the next
 *      starts. So results go back in arrival order, and "the job a worker runs" is
 *      well defined.
 *   3. Threads: before a job starts, its slot in the shared `slots` array goes
 *      QUEUED → RUNNING by compare-and-swap; the pool revokes a job that has not started
 *      by QUEUED → REVOKED, so exactly one side wins, without a message. After the job,
 *      the slot is FINISHED. Processes: an ABORT for a job not started yet marks it
 *      skipped. A skipped job is reported SKIPPED and does not run; the source it carried
 *      is kept all the same, since the pool counts its function as known here.
 *   4. Results are sent in batches: when the worker runs out of jobs, before it waits
 *      on an async job, every SLICE_MS of back-to-back jobs, and right after any job
 *      longer than FLUSH_AFTER_MS (so for all but tiny jobs, the oldest job without a
 *      result is the one running). So every job of a RESULTS message but the last took
 *      at most FLUSH_AFTER_MS; the message says what they took in all and what the last
 *      took, from which the pool learns each job function's job time. On process.exit()
 *      or an uncaught error the exit hook sends what is buffered; a process worker then
 *      also sends [EXITING], which tells the pool its reports are complete (the oldest
 *      unreported job is the one that ended the process).
 *   5. A function sent by source is compiled once per worker and cached by its source.
 *   6. The job's AbortSignal is made on first use (`this.signal`, `currentSignal()`);
 *      an abort message from the pool aborts it, so a cooperative job can stop early.
 *      Each job has its own: `currentSignal()` is the running job's, and a job after a
 *      cancelled one starts with a signal that is not aborted.
 *   7. A process worker never outlives its pool: a watchdog thread kills it when the
 *      lifeline pipe ends (the pool's process is gone, however it died), even while a
 *      CPU-bound job holds the main thread; a write to a pool that is gone ends the
 *      process quietly (no EPIPE stack). The watchdog costs each child about 10 MB of
 *      memory (a thread's isolate; measured: 42 → 52 MB RSS on Node 20).
 *
 * Tested through the executors: test/thread-pool-executor.test.ts,
 * test/process-pool-executor.test.ts, test/faults.test.ts, test/orphans.test.ts,
 * test/pool.property.test.ts.
 */

import { encodeError } from './error-transfer.js';
import { encodeFrame, PROTOCOL, type Protocol, readFrames } from './protocol.js';

/** @internal How a worker talks to its pool. */
export type RuntimeTransport = 'thread' | 'process';

/** @internal The frame functions of protocol.ts, handed to the runtime by their source. */
export interface FrameFunctions {
  encodeFrame: typeof encodeFrame;
  readFrames: typeof readFrames;
}

/** @internal The error encoding of error-transfer.ts, handed to the runtime by its source. */
export interface ErrorFunctions {
  encodeError: typeof encodeError;
}

// biome-ignore lint/suspicious/noExplicitAny: the worker's `require`, untyped on purpose
type Require = (id: string) => any;

/**
 * @internal The worker's main function. Runs from its source text: see invariant 1.
 */
export function workerRuntime(
  require: Require,
  importModule: (url: string) => Promise<unknown>,
  transport: RuntimeTransport,
  moduleUrl: string | null,
  protocol: Protocol,
  frames: FrameFunctions,
  errors: ErrorFunctions,
): void {
  const { RUN, ABORT, RESULTS, EXITING, STATUS_OK: OK, STATUS_ERROR: ERROR } = protocol;
  const { STATUS_SKIPPED: SKIPPED, KIND_MAP: MAP, JOB_FIELDS, RESULT_FIELDS } = protocol;
  const { RESULTS_HEADER, RESULT_STATUS, RESULT_VALUE } = protocol;
  /** Longest stretch of back-to-back jobs before yielding to the worker's event loop. */
  const SLICE_MS = 2;
  /** A job longer than this has its result sent at once. */
  const FLUSH_AFTER_MS = 0.2;
  const v8 = require('node:v8');
  const fs = require('node:fs');
  const jobKey = Symbol.for(protocol.CURRENT_JOB_KEY);
  const nameHelper = (target: unknown) => target;

  interface Job {
    id: number;
    slot: number;
    kind: number;
    functionId: number;
    /** The function's source (first time here) or the export's name, else null. */
    source: string | null;
    args: unknown[];
  }

  class JobContext {
    readonly id: number;
    controller: AbortController | null = null;
    aborted = false;
    constructor(id: number) {
      this.id = id;
    }
    get signal(): AbortSignal {
      if (this.controller === null) {
        this.controller = new AbortController();
        if (this.aborted) this.controller.abort(abortReason());
      }
      return this.controller.signal;
    }
    abort(): void {
      if (this.aborted) return;
      this.aborted = true;
      this.controller?.abort(abortReason());
    }
  }

  function abortReason(): unknown {
    return new DOMException('the job was cancelled', 'AbortError');
  }

  const byId = new Map<number, (...args: unknown[]) => unknown>();
  /** The source of every function this worker was sent, by id: kept when the job that
   * carried it is skipped, since the pool now counts the function as known here. */
  const sourceById = new Map<number, string>();
  const bySource = new Map<string, (...args: unknown[]) => unknown>();
  const queue: Job[] = [];
  let queueHead = 0;
  let draining = false;
  let current: JobContext | null = null;
  let results: unknown[] = newResults();
  let elapsedMs = 0;
  /** What the last job in `results` took (0 for a skipped one). */
  let lastMs = 0;
  const skipped = new Set<number>();
  /** The exit hook runs: a write to a pool that is gone just stops (invariant 7). */
  let exiting = false;
  // biome-ignore lint/suspicious/noExplicitAny: a user module's namespace
  let module: any = null;
  let moduleError: unknown = null;
  let moduleReady = moduleUrl === null;
  const globals = globalThis as unknown as Record<symbol, unknown>;
  globals[Symbol.for(protocol.COMPILED_COUNT_KEY)] = () => bySource.size;

  /**
   * A process worker's watchdog (invariant 7): a thread of its own reads the lifeline
   * pipe, whose other end only the pool holds, and kills this process when it ends: the
   * pool is gone, however it died. A thread, because a CPU-bound job keeps the main
   * thread from ever seeing the end of its own pipe.
   */
  function watchParent(require: Require): void {
    const { Worker } = require('node:worker_threads');
    const watchdog = new Worker(
      `const lifeline = new (require('node:net').Socket)({ fd: ${protocol.LIFELINE_FD}, readable: true, writable: false });
const die = () => process.kill(process.pid, 'SIGKILL');
lifeline.on('end', die);
lifeline.on('error', die);
lifeline.resume();`,
      { eval: true, execArgv: [], stdout: true, stderr: true, name: 'coro-pool-watchdog' },
    );
    watchdog.unref();
  }

  // ── transport ────────────────────────────────────────────────────────────
  let send: (message: unknown[]) => void;
  let claim: (job: Job) => boolean;
  let finish: (job: Job) => void;
  if (transport === 'thread') {
    const threads = require('node:worker_threads');
    const slots = new Int32Array(threads.workerData.slots);
    const port = threads.parentPort;
    send = (message) => port.postMessage(message);
    const { SLOT_QUEUED, SLOT_RUNNING, SLOT_FINISHED } = protocol;
    claim = (job) =>
      Atomics.compareExchange(slots, job.slot, SLOT_QUEUED, SLOT_RUNNING) === SLOT_QUEUED;
    finish = (job) => Atomics.store(slots, job.slot, SLOT_FINISHED);
    port.on('message', receive);
  } else {
    const net = require('node:net');
    send = (message) => {
      const frame = frames.encodeFrame(v8.serialize(message));
      let offset = 0;
      while (offset < frame.length) {
        try {
          offset += fs.writeSync(protocol.RESULTS_FD, frame, offset);
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === 'EPIPE') {
            // The pool is gone: nobody will read this. Leave quietly (no stack).
            if (!exiting) process.exit(0);
            return;
          }
          if (code !== 'EAGAIN') throw error;
        }
      }
    };
    watchParent(require);
    claim = (job) => !skipped.delete(job.id);
    finish = () => {};
    const input = new net.Socket({ fd: protocol.JOBS_FD, readable: true, writable: false });
    const onPayload = (payload: Buffer) => receive(v8.deserialize(payload));
    let pending: Buffer | null = null;
    input.on('data', (chunk: Buffer) => {
      pending = frames.readFrames(pending, chunk, onPayload);
    });
    // The pool closed the pipe (shutdown) or is gone: nothing more will come.
    input.on('end', () => process.exit(0));
    input.on('error', () => process.exit(0));
  }
  // process.exit() in a job, or an uncaught error: results already made still go back.
  process.on('exit', () => {
    exiting = true;
    flush();
    if (transport === 'process') send([EXITING]); // the reports are complete
  });

  if (moduleUrl !== null) {
    importModule(moduleUrl).then(
      (loaded) => {
        module = loaded;
        moduleReady = true;
        drain();
      },
      (error) => {
        moduleError = error;
        moduleReady = true;
        drain();
      },
    );
  }

  function receive(message: unknown[]): void {
    const op = message[protocol.OPCODE];
    if (op === RUN) {
      const { JOB_ID, JOB_SLOT, JOB_KIND, JOB_FUNCTION_ID, JOB_SOURCE, JOB_ARGS } = protocol;
      for (let i = protocol.RUN_HEADER; i < message.length; i += JOB_FIELDS) {
        const functionId = message[i + JOB_FUNCTION_ID] as number;
        const source = message[i + JOB_SOURCE] as string | null;
        // Kept even if this job is skipped (invariant 3).
        if (functionId >= 0 && source !== null) sourceById.set(functionId, source);
        queue.push({
          id: message[i + JOB_ID] as number,
          slot: message[i + JOB_SLOT] as number,
          kind: message[i + JOB_KIND] as number,
          functionId,
          source,
          args: message[i + JOB_ARGS] as unknown[],
        });
      }
      if (!draining) drain();
    } else if (op === ABORT) {
      const id = message[protocol.ABORT_ID] as number;
      if (current !== null && current.id === id) current.abort();
      else skipped.add(id);
    }
  }

  /** An empty RESULTS message; its times are filled in by flush(). */
  function newResults(): unknown[] {
    const message: unknown[] = new Array(RESULTS_HEADER).fill(0);
    message[protocol.OPCODE] = RESULTS;
    return message;
  }

  function flush(): void {
    if (results.length === RESULTS_HEADER) return; // no result yet
    const message = results;
    message[protocol.RESULTS_ELAPSED_MS] = elapsedMs;
    message[protocol.RESULTS_LAST_MS] = lastMs;
    results = newResults();
    elapsedMs = 0;
    lastMs = 0;
    try {
      send(message);
    } catch {
      send(replaceUnsendable(message));
    }
  }

  /** A result that cannot be cloned fails its own job only. */
  function replaceUnsendable(message: unknown[]): unknown[] {
    for (let i = RESULTS_HEADER; i < message.length; i += RESULT_FIELDS) {
      try {
        v8.serialize(message[i + RESULT_VALUE]);
      } catch (error) {
        // Read what the value was before the status says ERROR.
        const what = message[i + RESULT_STATUS] === OK ? 'result' : 'error';
        message[i + RESULT_STATUS] = ERROR;
        message[i + RESULT_VALUE] = encodeJobError(
          new TypeError(
            `the job's ${what} cannot be sent back from the worker: ${(error as Error)?.message ?? error}`,
          ),
          null,
        );
      }
    }
    return message;
  }

  function drain(): void {
    if (!moduleReady) return;
    draining = true;
    const sliceStart = performance.now();
    while (queueHead < queue.length) {
      const job = queue[queueHead] as Job;
      queue[queueHead++] = undefined as unknown as Job;
      if (!claim(job)) {
        results.push(job.id, SKIPPED, undefined);
        lastMs = 0;
        continue;
      }
      const context = new JobContext(job.id);
      current = context;
      globals[jobKey] = context;
      const started = performance.now();
      let status: number = OK;
      let value: unknown;
      try {
        value = execute(job, context);
      } catch (error) {
        status = ERROR;
        value = encodeJobError(error, job);
      }
      if (status === OK && isThenable(value)) {
        flush();
        (value as PromiseLike<unknown>).then(
          (resolved) => settleAsync(job, started, OK, resolved),
          (error) => settleAsync(job, started, ERROR, encodeJobError(error, job)),
        );
        return; // still draining: the next job waits for this one (invariant 2)
      }
      complete(job, started, status, value);
      if (performance.now() - sliceStart > SLICE_MS && queueHead < queue.length) {
        // Let abort messages and new batches in, then go on.
        flush();
        setImmediate(drain);
        return;
      }
    }
    queue.length = 0;
    queueHead = 0;
    draining = false;
    flush();
  }

  function settleAsync(job: Job, started: number, status: number, value: unknown): void {
    complete(job, started, status, value);
    drain();
  }

  function complete(job: Job, started: number, status: number, value: unknown): void {
    finish(job);
    current = null;
    globals[jobKey] = undefined;
    const took = performance.now() - started;
    elapsedMs += took;
    lastMs = took;
    results.push(job.id, status, value);
    if (took > FLUSH_AFTER_MS) flush();
  }

  function isThenable(value: unknown): boolean {
    return (
      value !== null &&
      (typeof value === 'object' || typeof value === 'function') &&
      typeof (value as { then?: unknown }).then === 'function'
    );
  }

  function execute(job: Job, context: JobContext): unknown {
    const fn = resolveFunction(job);
    if (job.kind !== MAP) return fn.apply(context, job.args);
    const items = job.args;
    const out: unknown[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const value = fn.call(context, items[i]);
      if (isThenable(value)) return mapRest(fn, context, items, out, i, value);
      out[i] = value;
    }
    return out;
  }

  async function mapRest(
    fn: (...args: unknown[]) => unknown,
    context: JobContext,
    items: unknown[],
    out: unknown[],
    from: number,
    first: unknown,
  ): Promise<unknown[]> {
    out[from] = await first;
    for (let i = from + 1; i < items.length; i++) out[i] = await fn.call(context, items[i]);
    return out;
  }

  function resolveFunction(job: Job): (...args: unknown[]) => unknown {
    if (job.functionId < 0) return exportedFunction(job.source as string);
    let fn = byId.get(job.functionId);
    if (fn === undefined) {
      fn = compile(sourceById.get(job.functionId) as string);
      byId.set(job.functionId, fn);
    }
    return fn;
  }

  function compile(source: string): (...args: unknown[]) => unknown {
    const cached = bySource.get(source);
    if (cached !== undefined) return cached;
    let fn: unknown;
    try {
      fn = new Function('require', '__name', `return (${source}\n);`)(require, nameHelper);
    } catch {
      // A method written in shorthand (`double(x) { … }`) is not an expression on its own.
      const holder = new Function('require', '__name', `return ({ ${source}\n});`)(
        require,
        nameHelper,
      );
      fn = Object.values(holder)[0];
    }
    if (typeof fn !== 'function') {
      throw new TypeError("the job function's source is not a function");
    }
    bySource.set(source, fn as (...args: unknown[]) => unknown);
    return fn as (...args: unknown[]) => unknown;
  }

  function exportedFunction(name: string): (...args: unknown[]) => unknown {
    if (moduleError !== null) throw moduleError;
    if (module === null)
      throw new TypeError(`no module was given to the pool, so '${name}' names nothing`);
    let fn = module[name];
    if (fn === undefined && module.default !== null && typeof module.default === 'object') {
      fn = module.default[name]; // a CommonJS module's exports
    }
    if (typeof fn !== 'function') {
      const names = Object.keys(module).filter((key) => typeof module[key] === 'function');
      throw new TypeError(
        `the module ${moduleUrl} has no exported function '${name}'; its exported functions: ${names.join(', ') || 'none'}`,
      );
    }
    return fn;
  }

  /** What a job threw, as plain data (error-transfer.ts), knowing its function's source. */
  function encodeJobError(error: unknown, job: Job | null): unknown {
    const source =
      job === null || job.functionId < 0 ? null : (sourceById.get(job.functionId) ?? '');
    return errors.encodeError(error, v8.serialize, source);
  }
}

/**
 * @internal The script a worker is started with: the runtime's source and the call to it,
 * with the protocol handed in (the runtime imports nothing: invariant 1).
 */
export function workerRuntimeSource(transport: RuntimeTransport, moduleUrl: string | null): string {
  const frames = `{ encodeFrame: ${encodeFrame.toString()}, readFrames: ${readFrames.toString()} }`;
  const errors = `{ encodeError: ${encodeError.toString()} }`;
  return (
    'var __name = (target) => target;\n' +
    `(${workerRuntime.toString()})(require, (url) => import(url), ${JSON.stringify(transport)}, ` +
    `${JSON.stringify(moduleUrl)}, ${JSON.stringify(PROTOCOL)}, ${frames}, ${errors});\n`
  );
}
