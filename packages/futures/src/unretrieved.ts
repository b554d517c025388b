/*
 * unretrieved: "exception was never retrieved" reports.
 *
 * A future that completes with an exception opens a record; result(), exception()
 * or an await close it. An open record is reported through the loop's exception
 * handler, as asyncio reports from __del__:
 *   - deterministically when run() ends (Runner.close) and when the loop closes;
 *   - at garbage collection (a FinalizationRegistry), for loops that run for ever;
 *   - at process exit, for loops on the real clock that were never closed (the
 *     default loop), so an unawaited failing task is never silent.
 *
 * Invariants
 *   1. A record is reported at most once: `open` turns false when it is reported
 *      or its exception retrieved, and nothing reports a closed record.
 *   2. Neither the record nor the registry holds the future, so it can be
 *      collected. But V8 keeps the receivers of an unformatted stack's frames
 *      alive, and a task that fails in its first step has itself as one
 *      (Task.start): the exception would hold the task, the registry the
 *      exception, and the task would never be collected nor reported (issue 11,
 *      case 13: 100,000 such tasks, 130 MB). So the stack of an exception still
 *      unretrieved one to two macrotasks later is formatted then, which drops the
 *      frames. Not at once: formatting costs 20-300 µs (more with source maps), and
 *      most exceptions are retrieved by then (an awaiter runs in the next loop
 *      iteration) and never need it.
 *   3. A loop's open records are in one Set, left when reported or retrieved:
 *      memory is O(open records), and garbage collection drains it.
 *
 * Tested by test/unretrieved.test.ts.
 */

import { BaseLoop, installRuntimeHooks, sharedState, VirtualLoop } from '@coro/loop';

interface Reportable {
  readonly loop: BaseLoop;
  describeKind(): string;
  createdAt?: string | null;
}

/** @internal One future's unretrieved exception, waiting to be reported. */
export class UnretrievedRecord {
  readonly loop: BaseLoop;
  readonly exception: unknown;
  readonly description: string;
  readonly createdAt: string | null;
  open: boolean;

  constructor(loop: BaseLoop, exception: unknown, description: string, createdAt: string | null) {
    this.loop = loop;
    this.exception = exception;
    this.description = description;
    this.createdAt = createdAt;
    this.open = true;
  }
}

/**
 * The open records, shared by every copy of coro in the process (a slot of @coro/loop's
 * shared runtime): `run()` or the closing loop of one copy reports the futures of the
 * other, and one exit hook reports them all.
 */
const shared = sharedState('futures.unretrieved', () => ({
  openRecords: new WeakMap<BaseLoop, Set<UnretrievedRecord>>(),
  /** The open record of each failed future (kept off the Future: 8 bytes on every one). */
  recordOfFuture: new WeakMap<object, UnretrievedRecord>(),
  /** Loops on the real clock with open records: reported at process exit if never closed. */
  loopsToReportAtExit: new Set<BaseLoop>(),
  exitHookInstalled: false,
}));
const openRecords = shared.openRecords;
const loopsToReportAtExit = shared.loopsToReportAtExit;

function report(record: UnretrievedRecord): void {
  if (!record.open) return;
  close(record);
  record.loop.callExceptionHandler({
    message: `${record.description} exception was never retrieved`,
    exception: record.exception,
    future: record.description,
    ...(record.createdAt === null ? {} : { createdAt: record.createdAt }),
  });
}

function close(record: UnretrievedRecord): void {
  record.open = false;
  const records = openRecords.get(record.loop);
  if (records === undefined) return;
  records.delete(record);
  if (records.size === 0) {
    openRecords.delete(record.loop);
    loopsToReportAtExit.delete(record.loop);
  }
}

const registry: FinalizationRegistry<UnretrievedRecord> | null =
  typeof FinalizationRegistry === 'function' ? new FinalizationRegistry(report) : null;

/** Formats the stack now, so it no longer holds its frames' receivers (invariant 2). */
function settleStack(exception: unknown, depth: number): void {
  if (!(exception instanceof Error) || depth > 3) return;
  try {
    void exception.stack;
    if (exception instanceof AggregateError) {
      for (const inner of exception.errors) settleStack(inner, depth + 1);
    }
    if ('cause' in exception) settleStack(exception.cause, depth + 1);
  } catch {
    // A throwing `stack` getter or `errors` array: nothing to settle.
  }
}

/**
 * Records opened since the last sweep, and those opened before it (invariant 2). A
 * record is formatted only once it survived a whole sweep interval: a storm of failures
 * whose awaiters run an iteration later, across a macrotask boundary, is not formatted.
 */
let young: UnretrievedRecord[] = [];
let aged: UnretrievedRecord[] = [];
let sweepScheduled = false;

function sweepUnsettled(): void {
  const records = aged;
  aged = young;
  young = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as UnretrievedRecord;
    if (record.open) settleStack(record.exception, 0);
  }
  sweepScheduled = aged.length > 0;
  if (sweepScheduled) scheduleSweep(sweepUnsettled);
}

const scheduleSweep: (callback: () => void) => void =
  typeof setImmediate === 'function' ? setImmediate : (callback) => setTimeout(callback, 0);

function reportAtExit(): void {
  for (const loop of [...loopsToReportAtExit]) {
    if (!loop.isClosed()) reportUnretrieved(loop);
  }
}

function installExitHook(): void {
  shared.exitHookInstalled = true;
  const host = globalThis as { process?: { once?: (event: string, listener: () => void) => void } };
  if (typeof host.process?.once === 'function') host.process.once('exit', reportAtExit);
}

/** @internal Opens a record of `future`'s exception (it completed with it just now). */
export function trackUnretrieved(future: Reportable, exception: unknown): void {
  const loop = future.loop;
  const record = new UnretrievedRecord(
    loop,
    exception,
    future.describeKind(),
    future.createdAt ?? null,
  );
  let records = openRecords.get(loop);
  if (records === undefined) {
    records = new Set();
    openRecords.set(loop, records);
    if (!(loop instanceof VirtualLoop)) {
      loopsToReportAtExit.add(loop);
      if (!shared.exitHookInstalled) installExitHook();
    }
  }
  records.add(record);
  shared.recordOfFuture.set(future, record);
  registry?.register(future, record, record);
  young.push(record);
  if (!sweepScheduled) {
    sweepScheduled = true;
    scheduleSweep(sweepUnsettled);
  }
}

/** @internal Closes `future`'s open record, if any: its exception was retrieved. */
export function forgetUnretrieved(future: object): void {
  const record = shared.recordOfFuture.get(future);
  if (record === undefined) return;
  shared.recordOfFuture.delete(future);
  if (!record.open) return;
  close(record);
  registry?.unregister(record);
}

/**
 * @internal Reports every open record of `loop` now (run() ends, the loop closes,
 * the process exits), in the order the futures failed.
 */
export function reportUnretrieved(loop: BaseLoop): void {
  const records = openRecords.get(loop);
  if (records === undefined) return;
  for (const record of [...records]) {
    registry?.unregister(record);
    report(record);
  }
}

installRuntimeHooks({
  loopClosing: (loop) => {
    if (loop instanceof BaseLoop) reportUnretrieved(loop);
  },
});
