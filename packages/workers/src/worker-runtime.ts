/*
 * worker-runtime: the code every pool worker runs, thread or process. The pool sends it
 * as source text (`workerRuntimeSource()`): a thread is a `new Worker(source, { eval: true })`
 * and a process is `node -e source`, so no file has to be found next to the package
 * (vitest runs the TypeScript sources, users run dist/ as ESM or CJS; all load the same).
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
 *      the slot is FINISHED. Results are sent in batches (one message for many jobs).
 *   4. Results are sent in batches: when the worker runs out of jobs, before it waits
 *      on an async job, every SLICE_MS of back-to-back jobs, and right after any job
 *      longer than FLUSH_AFTER_MS (so for all but tiny jobs, the oldest job without a
 *      result is the one running). So every job of a RESULTS message but the last took
 *      at most FLUSH_AFTER_MS; the message says what they took in all and what the last
 *      took, from which the pool learns each task's job time. On process.exit() or an uncaught error the exit
 *      hook sends what is buffered; a process worker then also sends [EXITING], which
 *      tells the pool its reports are complete (the oldest unreported job is the one
 *      that ended the process).
 *   5. A function sent by source is compiled once per worker and cached by its source.
 *   6. The job's AbortSignal is made on first use (`this.signal`, `currentSignal()`);
 *      an abort message from the pool aborts it, so a cooperative job can stop early.
 *
 * Messages are flat arrays. Pool → worker: [RUN, (id, slot, kind, fnId, text, args)…],
 * [ABORT, id]. Worker → pool: [RESULTS, elapsedMs, lastMs, (id, status, value)…] (the time
 * the jobs took in all, and what the last one took), [EXITING].
 *
 * Tested through the executors: test/thread-pool-executor.test.ts,
 * test/process-pool-executor.test.ts, test/faults.test.ts.
 */

/** @internal Message and state codes shared by the pool and the runtime. */
export const OP_RUN = 0;
/** @internal */ export const OP_ABORT = 1;
/** @internal */ export const OP_RESULTS = 2;
/** @internal */ export const OP_EXITING = 3;
/** @internal */ export const SLOT_QUEUED = 0;
/** @internal */ export const SLOT_RUNNING = 1;
/** @internal */ export const SLOT_REVOKED = 2;
/** @internal */ export const SLOT_FINISHED = 3;
/** @internal */ export const STATUS_OK = 0;
/** @internal */ export const STATUS_ERROR = 1;
/** @internal */ export const STATUS_SKIPPED = 2;
/** @internal */ export const KIND_CALL = 0;
/** @internal */ export const KIND_MAP = 1;
/** @internal fnId of a job that names an export of the pool's module. */
export const EXPORT_FN_ID = -1;
/** @internal Entries per job in a RUN message; per result in a RESULTS message. */
export const JOB_FIELDS = 6;
/** @internal */ export const RESULT_FIELDS = 3;
/** @internal Entries before the first result of a RESULTS message. */
export const RESULTS_HEADER = 3;
/** @internal Slots per thread worker: more than jobs it is ever handed at once. */
export const SLOT_COUNT = 512;
/** @internal The global through which `currentSignal()` reads the running job. */
export const CURRENT_JOB_KEY = '@coro/workers.currentJob';

/** @internal How a worker talks to its pool. */
export type RuntimeTransport = 'thread' | 'process';

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
): void {
  const RUN = 0;
  const ABORT = 1;
  const RESULTS = 2;
  const QUEUED = 0;
  const RUNNING = 1;
  const FINISHED = 3;
  const OK = 0;
  const ERROR = 1;
  const SKIPPED = 2;
  const MAP = 1;
  const FIELDS = 6;
  const LIFELINE_FD = 5;
  /** Longest stretch of back-to-back jobs before yielding to the worker's event loop. */
  const SLICE_MS = 2;
  /** A job longer than this has its result sent at once. */
  const FLUSH_AFTER_MS = 0.2;
  const v8 = require('node:v8');
  const fs = require('node:fs');
  const jobKey = Symbol.for('@coro/workers.currentJob');
  const nameHelper = (target: unknown) => target;

  interface Job {
    id: number;
    slot: number;
    kind: number;
    fnId: number;
    text: string | null;
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
  let results: unknown[] = [RESULTS, 0, 0];
  let elapsedMs = 0;
  /** What the last job in `results` took (0 for a skipped one). */
  let lastMs = 0;
  const skipped = new Set<number>();
  // biome-ignore lint/suspicious/noExplicitAny: a user module's namespace
  let module: any = null;
  let moduleError: unknown = null;
  let moduleReady = moduleUrl === null;
  const globals = globalThis as unknown as Record<symbol, unknown>;
  globals[Symbol.for('@coro/workers.compiledCount')] = () => bySource.size;

  /**
   * A process worker's watchdog (invariant 7): a thread of its own reads the lifeline
   * pipe, whose other end only the pool holds, and kills this process when it ends: the
   * pool is gone, however it died. A thread, because a CPU-bound job keeps the main
   * thread from ever seeing the end of its own pipe.
   */
  function watchParent(require: Require): void {
    const { Worker } = require('node:worker_threads');
    const watchdog = new Worker(
      `const lifeline = new (require('node:net').Socket)({ fd: ${LIFELINE_FD}, readable: true, writable: false });
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
    claim = (job) => Atomics.compareExchange(slots, job.slot, QUEUED, RUNNING) === QUEUED;
    finish = (job) => Atomics.store(slots, job.slot, FINISHED);
    port.on('message', receive);
  } else {
    const net = require('node:net');
    send = (message) => {
      const payload: Uint8Array = v8.serialize(message);
      const frame = Buffer.allocUnsafe(4 + payload.length);
      frame.writeUInt32LE(payload.length, 0);
      frame.set(payload, 4);
      let offset = 0;
      while (offset < frame.length) {
        try {
          offset += fs.writeSync(4, frame, offset);
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
    const input = new net.Socket({ fd: 3, readable: true, writable: false });
    let pending: Buffer | null = null;
    input.on('data', (chunk: Buffer) => {
      let buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
      pending = null;
      while (buffer.length >= 4) {
        const length = buffer.readUInt32LE(0);
        if (buffer.length < 4 + length) break;
        receive(v8.deserialize(buffer.subarray(4, 4 + length)));
        buffer = buffer.subarray(4 + length);
      }
      if (buffer.length > 0) pending = buffer;
    });
    // The pool closed the pipe (shutdown) or is gone: nothing more will come.
    input.on('end', () => process.exit(0));
    input.on('error', () => process.exit(0));
  }
  // process.exit() in a job, or an uncaught error: results already made still go back.
  let exiting = false;
  process.on('exit', () => {
    exiting = true;
    flush();
    if (transport === 'process') send([3]); // EXITING: the reports are complete
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
    const op = message[0];
    if (op === RUN) {
      for (let i = 1; i < message.length; i += FIELDS) {
        const fnId = message[i + 3] as number;
        const text = message[i + 4] as string | null;
        if (fnId >= 0 && text !== null) sourceById.set(fnId, text);
        queue.push({
          id: message[i] as number,
          slot: message[i + 1] as number,
          kind: message[i + 2] as number,
          fnId: message[i + 3] as number,
          text: message[i + 4] as string | null,
          args: message[i + 5] as unknown[],
        });
      }
      if (!draining) drain();
    } else if (op === ABORT) {
      const id = message[1] as number;
      if (current !== null && current.id === id) current.abort();
      else skipped.add(id);
    }
  }

  function flush(): void {
    if (results.length === 3) return;
    const message = results;
    message[1] = elapsedMs;
    message[2] = lastMs;
    results = [RESULTS, 0, 0];
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
    for (let i = 3; i < message.length; i += 3) {
      try {
        v8.serialize(message[i + 2]);
      } catch (error) {
        // Read what the value was before the status says ERROR.
        const what = message[i + 1] === OK ? 'result' : 'error';
        message[i + 1] = ERROR;
        message[i + 2] = encodeError(
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
      let status = OK;
      let value: unknown;
      try {
        value = execute(job, context);
      } catch (error) {
        status = ERROR;
        value = encodeError(error, job);
      }
      if (status === OK && isThenable(value)) {
        flush();
        (value as PromiseLike<unknown>).then(
          (resolved) => settleAsync(job, started, OK, resolved),
          (error) => settleAsync(job, started, ERROR, encodeError(error, job)),
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
    if (job.fnId < 0) return exportedFunction(job.text as string);
    let fn = byId.get(job.fnId);
    if (fn === undefined) {
      fn = compile(sourceById.get(job.fnId) as string);
      byId.set(job.fnId, fn);
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
    if (typeof fn !== 'function') throw new TypeError('the task source is not a function');
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

  // ── errors: sent as plain data, rebuilt by the pool (decodeError) ─────────
  function encodeError(error: unknown, job: Job | null): unknown {
    if (
      !(error instanceof Error) &&
      !(typeof error === 'object' && error !== null && 'message' in error && 'stack' in error)
    ) {
      try {
        v8.serialize(error);
        return { error: false, value: error };
      } catch {
        return { error: false, value: String(error) };
      }
    }
    const original = error as Error & { cause?: unknown };
    let message = String(original.message);
    let stack = typeof original.stack === 'string' ? original.stack : undefined;
    if (job !== null && job.fnId >= 0 && original.name === 'ReferenceError') {
      const explained = explainFreeVariable(message, sourceById.get(job.fnId) ?? '');
      if (explained !== null) {
        stack = stack?.replace(message, explained);
        message = explained;
      }
    }
    const props: Record<string, unknown> = {};
    for (const key of Object.keys(original)) {
      if (key === 'cause' || key === 'stack' || key === 'message' || key === 'name') continue;
      const value = (original as unknown as Record<string, unknown>)[key];
      try {
        v8.serialize(value);
        props[key] = value;
      } catch {
        // not cloneable: left out
      }
    }
    const encoded: Record<string, unknown> = {
      error: true,
      name: String(original.name),
      message,
      stack,
      props,
      hasCause: 'cause' in original,
      cause: undefined,
    };
    if ('cause' in original) encoded.cause = encodeError(original.cause, null);
    if (error instanceof AggregateError) {
      encoded.errors = error.errors.map((inner: unknown) => encodeError(inner, null));
    }
    return encoded;
  }

  /** "x is not defined" from a variable the function's source uses: say what to do. */
  function explainFreeVariable(message: string, source: string): string | null {
    const match = /^(\S+) is not defined$/.exec(message);
    if (match === null) return null;
    const name = match[1] as string;
    const escaped = name.replace(/[$]/g, '\\$');
    if (!new RegExp(`(^|[^\\w$.])${escaped}([^\\w$]|$)`).test(source)) return null;
    return (
      `${name} is not defined: the task function uses '${name}' from outside itself, but a ` +
      'function sent to a worker runs there from its source text alone, without the ' +
      `variables and imports around it. Pass ${name} as an argument ` +
      `(executor.submit(task, ${name})), or move the function into a module and name its ` +
      "export: new ThreadPoolExecutor({ module: new URL('./tasks.js', import.meta.url) })" +
      ".submit('taskName', ...args)"
    );
  }
}

/**
 * @internal The script a worker is started with: the runtime's source and the call to it.
 */
export function workerRuntimeSource(transport: RuntimeTransport, moduleUrl: string | null): string {
  return (
    'var __name = (target) => target;\n' +
    `(${workerRuntime.toString()})(require, (url) => import(url), ${JSON.stringify(transport)}, ${JSON.stringify(moduleUrl)});\n`
  );
}
