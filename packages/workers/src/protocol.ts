/*
 * protocol: the wire protocol between a pool and its workers, defined once. The pool side
 * imports it; the worker runtime, which runs from its source text and can import nothing,
 * is handed `PROTOCOL` (as JSON) and the frame functions (as source) by
 * `workerRuntimeSource()`, so both sides read the same names.
 *
 * Messages are flat arrays (one allocation per message, whatever the batch):
 *
 *   pool → worker   [RUN, (id, slot, kind, functionId, source, args)…]    JOB_FIELDS per job
 *                   [ABORT, id]
 *   worker → pool   [RESULTS, elapsedMs, lastMs, (id, status, value)…]    RESULT_FIELDS per result
 *                   [EXITING]                                             (process workers)
 *
 * `source` is the job function's source the first time the worker is sent that function,
 * the export's name for a module job (functionId EXPORT_FUNCTION_ID), else null.
 * `elapsedMs` is what the results' jobs took in all, `lastMs` what the last one took.
 *
 * A thread's jobs also have a slot in a shared Int32Array (the runtime's invariant 3):
 * SLOT_QUEUED → SLOT_RUNNING (the worker starts it) or SLOT_REVOKED (the pool gives it
 * up first), then SLOT_FINISHED. A process worker's messages travel over pipes in frames
 * of [u32 little-endian length][v8.serialize payload] (`encodeFrame`, `readFrames`).
 *
 * Invariants
 *   1. Every number on the wire is a name here; no other file writes a message by hand.
 *   2. `encodeFrame` and `readFrames` use only their parameters and globals (Buffer): they
 *      run in the worker from their source text too.
 *
 * Tested by test/protocol.test.ts, and through the executors.
 */

/** @internal The protocol's names and numbers (handed to the runtime as JSON). */
export const PROTOCOL = {
  /** Where a message's opcode is: its first entry. */
  OPCODE: 0,
  // Opcodes.
  RUN: 0,
  ABORT: 1,
  RESULTS: 2,
  EXITING: 3,

  // A RUN message: after RUN_HEADER (the opcode), JOB_FIELDS entries per job, at these offsets.
  RUN_HEADER: 1,
  JOB_FIELDS: 6,
  JOB_ID: 0,
  JOB_SLOT: 1,
  JOB_KIND: 2,
  JOB_FUNCTION_ID: 3,
  JOB_SOURCE: 4,
  JOB_ARGS: 5,
  /** An ABORT message: [ABORT, id]. */
  ABORT_ID: 1,

  // A RESULTS message: a header, then RESULT_FIELDS entries per result, at these offsets.
  RESULTS_ELAPSED_MS: 1,
  RESULTS_LAST_MS: 2,
  RESULTS_HEADER: 3,
  RESULT_FIELDS: 3,
  RESULT_ID: 0,
  RESULT_STATUS: 1,
  RESULT_VALUE: 2,

  // A result's status.
  STATUS_OK: 0,
  STATUS_ERROR: 1,
  /** The job was given up before it started: it did not run. */
  STATUS_SKIPPED: 2,

  // A job's kind: call the function with the arguments, or map it over them (chunks).
  KIND_CALL: 0,
  KIND_MAP: 1,
  /** The function id of a job that names an export of the pool's module. */
  EXPORT_FUNCTION_ID: -1,

  // A thread job's slot state (shared memory, changed by compare-and-swap).
  SLOT_QUEUED: 0,
  SLOT_RUNNING: 1,
  SLOT_REVOKED: 2,
  SLOT_FINISHED: 3,
  /** Slots per thread worker: more than the jobs it is ever handed at once. */
  SLOT_COUNT: 512,

  // A process worker's pipes (file descriptors in the child).
  JOBS_FD: 3,
  RESULTS_FD: 4,
  /** Never written: it ends when the pool's process is gone, however it died. */
  LIFELINE_FD: 5,

  /** The global (a Symbol.for key) through which `currentSignal()` reads the running job. */
  CURRENT_JOB_KEY: '@coro/workers.currentJob',
  /** The global (a Symbol.for key) that tells tests how many functions a worker compiled. */
  COMPILED_COUNT_KEY: '@coro/workers.compiledCount',
} as const;

/** @internal */
export type Protocol = typeof PROTOCOL;

/** @internal A message between pool and worker. */
export type Message = unknown[];

/** @internal What a RUN message carries of a job itself. */
export interface JobEntry {
  readonly id: number;
  readonly kind: number;
  readonly functionId: number;
  readonly args: unknown[];
}

/** @internal An empty RUN message, to append jobs to. */
export function runMessage(): Message {
  return [PROTOCOL.RUN];
}

/** @internal A message's opcode. */
export function opcodeOf(message: Message): unknown {
  return message[PROTOCOL.OPCODE];
}

/**
 * @internal Appends one job, at `slot` in its worker, to a RUN message; `source` is its
 * function's source the first time the worker gets that function, the export's name for
 * a module job, else null.
 */
export function appendJob(
  message: Message,
  job: JobEntry,
  slot: number,
  source: string | null,
): void {
  message.push(job.id, slot, job.kind, job.functionId, source, job.args);
}

/** @internal The ABORT message for job `id`. */
export function abortMessage(id: number): Message {
  return [PROTOCOL.ABORT, id];
}

/** @internal How many results a RESULTS message holds. */
export function resultCount(message: Message): number {
  return (message.length - PROTOCOL.RESULTS_HEADER) / PROTOCOL.RESULT_FIELDS;
}

/** @internal The offset of result `index` in a RESULTS message. */
export function resultOffset(index: number): number {
  return PROTOCOL.RESULTS_HEADER + index * PROTOCOL.RESULT_FIELDS;
}

/**
 * @internal One frame: the payload's length (u32 little-endian), then the payload.
 * Self-contained (invariant 2).
 */
export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

/**
 * @internal Calls `onPayload` for every whole frame in `pending` + `chunk`, and returns
 * the bytes of an incomplete last frame (null if none), to pass back as `pending` with
 * the next chunk. Self-contained (invariant 2).
 */
export function readFrames(
  pending: Buffer | null,
  chunk: Buffer,
  onPayload: (payload: Buffer) => void,
): Buffer | null {
  const buffer = pending === null ? chunk : Buffer.concat([pending, chunk]);
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const length = buffer.readUInt32LE(offset);
    if (buffer.length - offset < 4 + length) break;
    onPayload(buffer.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return offset < buffer.length ? buffer.subarray(offset) : null;
}
