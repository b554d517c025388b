/*
 * Workload: one benchmark, written once per peer family.
 *
 * A workload is a TypeScript file in src/workloads/ with the coro version and the
 * raw-Node floor (`coro(size)`, `node(size)`), and a Python script python/<name>.py
 * that runs the same work on asyncio, or on uvloop when given `--uvloop`. Each function
 * runs the work once, in a fresh process started by the harness, and resolves to the
 * measurement in `unit`. Adding a workload: those two files, and one line in
 * src/workloads/index.ts.
 */

/** `ops/s`: higher is better. `bytes`: a size per item, lower is better. */
export type Unit = 'ops/s' | 'bytes';

/** Who runs a workload: coro, the raw-Node floor, Python asyncio, or asyncio on uvloop. */
export type Peer = 'coro' | 'node' | 'asyncio' | 'uvloop';

/** A goal from the issue that asked for the workload, checked on the table. */
export type Target =
  /** coro's median is at least `atLeast` times `peer`'s (higher-is-better units). */
  | { kind: 'ratio'; peer: Peer; atLeast: number }
  /** coro's median is at most `value` (in the workload's unit). */
  | { kind: 'atMost'; value: number };

export interface Workload {
  /** The name `pnpm bench <name>` takes; python/<name>.py is its Python twin. */
  readonly name: string;
  readonly unit: Unit;
  /** What one run does, in a line (printed by `--list` and in the README). */
  readonly summary: string;
  /** The size of one run (callbacks, timers or tasks) unless `--size` says otherwise. */
  readonly defaultSize: number;
  /** The unit as the results table names it, if not `unit` (`bytes` reads "B/task"). */
  readonly unitLabel?: string;
  /**
   * The measurement is a difference (heap after minus heap before) that may be zero or
   * negative; otherwise it is always positive.
   */
  readonly signed?: boolean;
  /** Extra flags for `node` when it runs this workload. */
  readonly nodeFlags?: readonly string[];
  readonly target?: Target;
  /** Runs the workload on coro; resolves to the measurement in `unit`. */
  coro(size: number): Promise<number>;
  /** Runs the same work on bare Node.js, the floor any abstraction pays for. */
  node(size: number): Promise<number>;
}
