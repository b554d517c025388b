/*
 * Workload: one benchmark, written once per peer family.
 *
 * A workload is a TypeScript file in src/workloads/ with the coro version and its
 * Node-side peers (the raw-Node floor, Effect 4, piscina, tinypool, a redis-server driven
 * from Node), and, when it has Python peers, a script python/<name>.py that runs the same
 * work on asyncio (`--uvloop`: on uvloop's loop; `--variant V`: one of its variants).
 * Each function runs the work once, in a fresh process started by the harness, and
 * resolves to the measurement in `unit`. Adding a workload: those files, and one line
 * in src/workloads/index.ts.
 *
 * Variants: a peer may run a workload in several ways that the table compares line by
 * line (coro's streams API and its Protocol API; a pool's threads and its processes).
 * A peer without variants stands on every line (the raw `net` floor is the floor of
 * both APIs). A run may also resolve to several named figures at once (redis-benchmark
 * reports one rate per command): each name is then a variant of its own.
 */

/**
 * `ops/s`, `MB/s` and `speedup` (×): higher is better. `bytes`: a size, lower is better.
 */
export type Unit = 'ops/s' | 'bytes' | 'MB/s' | 'speedup';

/** Peers whose runs are functions of the workload, started by `node dist/runner.js`. */
export const NODE_PEERS = ['coro', 'node', 'effect', 'piscina', 'tinypool', 'redis'] as const;
/** Peers that run python/<name>.py. */
export const PYTHON_PEERS = ['asyncio', 'uvloop', 'python'] as const;

/**
 * Who runs a workload: coro; the raw-Node floor; Effect 4's fibers; piscina and tinypool
 * (pools); a real
 * redis-server (driven by the Node runner); Python asyncio, asyncio on uvloop, and plain
 * Python (`concurrent.futures`, no event loop).
 */
export type Peer = (typeof NODE_PEERS)[number] | (typeof PYTHON_PEERS)[number];
export type NodePeer = (typeof NODE_PEERS)[number];

/** A goal from the issue that asked for the workload, checked on the table. */
export type Target =
  /**
   * coro's median is at least `atLeast` times `peer`'s (higher-is-better units). With
   * `variant`, only on that variant's lines; the peer's figure is its own figure for the
   * variant, or its only figure if it has no variants.
   */
  | { kind: 'ratio'; peer: Peer; atLeast: number; variant?: string }
  /** coro's median is at most `value` (in the workload's unit). */
  | { kind: 'atMost'; value: number; variant?: string }
  /** coro's median is at least `value` (in the workload's unit). */
  | { kind: 'atLeast'; value: number; variant?: string };

/** A peer of a workload and the variants it runs (none: one run, no variant). */
export interface PeerSpec {
  readonly peer: Peer;
  readonly variants?: readonly string[];
}

/** What one run resolves to: a figure, or several named ones (each becomes a variant). */
export type Measurement = number | Readonly<Record<string, number>>;

/** One run of a workload on a Node-side peer, in `variant` if the peer has variants. */
export type NodeRun = (size: number, variant?: string) => Promise<Measurement>;

/** The peers of a workload that declares none: coro, the Node floor, asyncio and uvloop. */
export const DEFAULT_PEERS: readonly PeerSpec[] = [
  { peer: 'coro' },
  { peer: 'node' },
  { peer: 'asyncio' },
  { peer: 'uvloop' },
];

/**
 * The default peers and Effect 4 (its fibers, the JS library nearest to coro's tasks):
 * the workloads of tasks, their memory and their cancellation (issue 12).
 */
export const PEERS_WITH_EFFECT: readonly PeerSpec[] = [
  { peer: 'coro' },
  { peer: 'node' },
  { peer: 'effect' },
  { peer: 'asyncio' },
  { peer: 'uvloop' },
];

export interface Workload {
  /** The name `pnpm bench <name>` takes; python/<name>.py is its Python twin. */
  readonly name: string;
  readonly unit: Unit;
  /** What one run does, in a line (printed by `--list` and in the README). */
  readonly summary: string;
  /** The size of one run (callbacks, timers or tasks) unless `--size` says otherwise. */
  readonly defaultSize: number;
  /** What `size` counts, if not items (`ms` for a run of fixed duration). */
  readonly sizeLabel?: string;
  /** The unit as the results table names it, if not `unit` (`bytes` reads "B/task"). */
  readonly unitLabel?: string;
  /**
   * The measurement is a difference (heap after minus heap before) that may be zero or
   * negative; otherwise it is always positive.
   */
  readonly signed?: boolean;
  /** Extra flags for `node` when it runs this workload. */
  readonly nodeFlags?: readonly string[];
  /** The peers, in the order a sample runs them; {@link DEFAULT_PEERS} if absent. */
  readonly peers?: readonly PeerSpec[];
  readonly targets?: readonly Target[];
  /** Runs the workload on coro; resolves to the measurement in `unit`. */
  coro: NodeRun;
  /** Runs the same work on bare Node.js, the floor any abstraction pays for. */
  node?: NodeRun;
  /**
   * The same work on Effect 4 (npm `effect`, a dev dependency of this package): fibers
   * for tasks. Imported inside the run, so no other peer's process loads it.
   */
  effect?: NodeRun;
  /** The same work through piscina (pools). */
  piscina?: NodeRun;
  /** The same work through tinypool (pools). */
  tinypool?: NodeRun;
  /** The same work against a real redis-server, started and stopped by the run. */
  redis?: NodeRun;
}

/** The peers of `workload`. */
export function peersOf(workload: Workload): readonly PeerSpec[] {
  return workload.peers ?? DEFAULT_PEERS;
}

/** Whether `peer` runs on Node (its run is a function of the workload) or in Python. */
export function isNodePeer(peer: Peer): peer is NodePeer {
  return (NODE_PEERS as readonly string[]).includes(peer);
}
