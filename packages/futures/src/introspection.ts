/*
 * introspection: a live view of a running process's tasks, for `coro ps PID` and
 * `coro pstree PID` (Python 3.14's `python -m asyncio ps` / `pstree`).
 *
 * Security model
 *   1. Nothing listens unless the program calls enableIntrospection(). The default is
 *      no socket, no signal handler, no inspector.
 *   2. The channel is a Unix domain socket, so only this machine can reach it: never a
 *      TCP port. It lives in a directory of its own, `<os.tmpdir()>/coro-<uid>/`, created
 *      with mode 0700 and refused if it exists with another owner or with group/other
 *      permissions; the socket itself is `<pid>.sock`, mode 0600. Only the same user
 *      (and root) can connect, as with the inspector's own rule that whoever can signal
 *      a process may debug it.
 *   3. The channel is read-only: a client connects, receives one JSON snapshot (task
 *      names, states, what each awaits, for how long, who awaits whom) and is
 *      disconnected. Nothing it sends is read; no code is evaluated. Task names and
 *      awaited futures' descriptions are shown to that user, so do not put secrets
 *      in them.
 *   4. The socket is removed by close() and at process exit.
 *
 * Cost: nothing until enabled. Enabled, each suspension of a task on a coro awaitable
 * notes the time (one clock read and a WeakMap write), so `coro ps` can say how long a
 * task has waited; tasks already waiting when introspection was enabled show the time
 * since then, marked as a lower bound. The snapshot walks the pending tasks once.
 *
 * Node built-ins are reached through `process.getBuiltinModule` when enabled, so this
 * module adds no import to a browser bundle.
 *
 * Tested by test/introspection.test.ts and, against a real process, by the `coro` CLI's
 * tests (packages/coro/test/cli.test.ts).
 */

import { describeValue } from '@coro/loop';
import type { Future } from './future.js';
import { pendingTaskList } from './pending-tasks.js';
import { Task } from './task.js';

/** The snapshot format's version: a client refuses one it does not know. */
export const INTROSPECTION_VERSION = 1;

/**
 * One pending task in a snapshot.
 *
 * @example
 * ```ts
 * import type { TaskSnapshot } from '@coro/futures';
 *
 * const row: TaskSnapshot = {
 *   id: 1, name: 'main', loop: 0, state: 'waiting', awaiting: "Future 'reply' pending",
 *   waitingMs: 1200, waitingAtLeast: false, waitsFor: [],
 * };
 * ```
 */
export interface TaskSnapshot {
  /** A number unique in this process, stable across snapshots. */
  readonly id: number;
  readonly name: string;
  /** Which loop the task runs on: 0 for the first loop seen in the snapshot, and so on. */
  readonly loop: number;
  /**
   * `waiting` on a coro awaitable; `foreign` when it awaits something else (a Promise)
   * or is between steps; `not started` before its first step.
   */
  readonly state: 'not started' | 'waiting' | 'foreign';
  /** What it awaits, as `formatCallGraph()` describes it, or `null`. */
  readonly awaiting: string | null;
  /** How long it has awaited that, in ms, or `null` if unknown. */
  readonly waitingMs: number | null;
  /** True if the task was already waiting when introspection was enabled: `waitingMs` is a lower bound. */
  readonly waitingAtLeast: boolean;
  /** The ids of the tasks it waits for (directly, or through a gather), as in `formatCallGraph()`. */
  readonly waitsFor: readonly number[];
}

/**
 * What `coro ps` and `coro pstree` receive from a process.
 *
 * @example
 * ```ts
 * import { snapshotTasks } from '@coro/futures';
 *
 * const snapshot = snapshotTasks();
 * console.log(snapshot.version, snapshot.tasks.length); // 1 0
 * ```
 */
export interface IntrospectionSnapshot {
  readonly version: number;
  readonly pid: number;
  /** The process's command line, for the header. */
  readonly argv: readonly string[];
  /** `process.version`. */
  readonly node: string;
  readonly tasks: readonly TaskSnapshot[];
}

const taskIds = new WeakMap<Task<unknown>, number>();
let nextTaskId = 1;
/** When each task last suspended on a coro awaitable (ms, `performance.now()`). */
const suspendedAt = new WeakMap<Task<unknown>, number>();
let enabledAt: number | null = null;

function idOf(task: Task<unknown>): number {
  let id = taskIds.get(task);
  if (id === undefined) {
    id = nextTaskId++;
    taskIds.set(task, id);
  }
  return id;
}

/** Tasks `future` stands for in a call graph: itself if a task, else the tasks it waits on (a gather's children). */
function tasksBehind(future: Future<unknown>, into: Task<unknown>[]): void {
  if (future instanceof Task) {
    if (!future.done()) into.push(future);
    return;
  }
  for (const inner of future.waitsOn())
    if (inner instanceof Task && !inner.done()) into.push(inner);
}

/**
 * The pending tasks of every loop in this process, as `coro ps` shows them. Works
 * whether or not introspection is enabled (without it, `waitingMs` is `null`).
 *
 * @example
 * ```ts
 * import { createTask, run, sleep, snapshotTasks } from '@coro/futures';
 *
 * await run(async () => {
 *   createTask(() => sleep(1_000), { name: 'sleeper' });
 *   await sleep(0);
 *   const sleeper = snapshotTasks().tasks.find((task) => task.name === 'sleeper');
 *   console.log(sleeper?.state, sleeper?.awaiting); // waiting sleep(1000 ms, 1000 ms left)
 * });
 * ```
 */
export function snapshotTasks(): IntrospectionSnapshot {
  const now = performance.now();
  const loops = new Map<unknown, number>();
  const tasks: TaskSnapshot[] = [];
  for (const task of pendingTaskList()) {
    if (task.done()) continue;
    let loop = loops.get(task.getLoop());
    if (loop === undefined) {
      loop = loops.size;
      loops.set(task.getLoop(), loop);
    }
    const waitsOn = task.waitsOn();
    const awaited = waitsOn[0];
    const notStarted = task.describe().endsWith('not started yet');
    const behind: Task<unknown>[] = [];
    for (const next of waitsOn) tasksBehind(next, behind);
    let waitingMs: number | null = null;
    let waitingAtLeast = false;
    if (awaited !== undefined && enabledAt !== null) {
      const since = suspendedAt.get(task);
      waitingAtLeast = since === undefined;
      waitingMs = Math.max(0, Math.round(now - (since ?? enabledAt)));
    }
    tasks.push({
      id: idOf(task),
      name: task.getName(),
      loop,
      state: notStarted ? 'not started' : awaited !== undefined ? 'waiting' : 'foreign',
      awaiting: awaited?.describe() ?? null,
      waitingMs,
      waitingAtLeast,
      waitsFor: behind.map(idOf),
    });
  }
  const host = globalThis as { process?: { pid?: number; argv?: string[]; version?: string } };
  return {
    version: INTROSPECTION_VERSION,
    pid: host.process?.pid ?? 0,
    argv: host.process?.argv ?? [],
    node: host.process?.version ?? '',
    tasks,
  };
}

/**
 * The open introspection channel of this process.
 *
 * @example
 * ```ts
 * import { enableIntrospection } from '@coro/futures';
 *
 * const introspection = await enableIntrospection();
 * console.log(introspection.path.endsWith(`${process.pid}.sock`)); // true
 * await introspection.close();
 * ```
 */
export interface Introspection {
  /** The Unix socket `coro ps` connects to: `<os.tmpdir()>/coro-<uid>/<pid>.sock`. */
  readonly path: string;
  /** Stops listening and removes the socket. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Options of `enableIntrospection`.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { enableIntrospection } from '@coro/futures';
 *
 * // path: listen here instead of <os.tmpdir()>/coro-<uid>/<pid>.sock (the default)
 * const directory = mkdtempSync(join(tmpdir(), 'my-app-')); // mode 0700: private to you
 * const introspection = await enableIntrospection({ path: join(directory, 'ps.sock') });
 * console.log(introspection.path.endsWith('ps.sock')); // true
 * await introspection.close();
 * ```
 */
export interface IntrospectionOptions {
  /**
   * Another socket path (its directory must already be private to you).
   * @defaultValue `introspectionSocketPath(process.pid)`
   */
  path?: string;
}

/** The parts of Node's net, fs, os and path modules the channel uses. */
interface NodeParts {
  net: {
    createServer(listener: (socket: { end(data: string): void }) => void): NodeServer;
  };
  fs: {
    mkdirSync(path: string, options: { mode: number }): void;
    lstatSync(path: string): { isDirectory(): boolean; uid: number; mode: number };
    chmodSync(path: string, mode: number): void;
    rmSync(path: string, options: { force: boolean }): void;
  };
  os: { tmpdir(): string };
  path: { join(...parts: string[]): string };
}
interface NodeServer {
  listen(path: string, callback: () => void): void;
  once(event: 'error', listener: (error: Error) => void): void;
  close(callback: () => void): void;
  unref(): void;
}

function nodeParts(): NodeParts {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const load = host.process?.getBuiltinModule;
  if (typeof load !== 'function') {
    throw new Error(
      'enableIntrospection() needs Node.js 20.16 or newer (process.getBuiltinModule); it is not available in browsers',
    );
  }
  return {
    net: load('node:net') as NodeParts['net'],
    fs: load('node:fs') as NodeParts['fs'],
    os: load('node:os') as NodeParts['os'],
    path: load('node:path') as NodeParts['path'],
  };
}

function userDirectory(parts: NodeParts): { directory: string; uid: number } {
  const host = globalThis as { process?: { getuid?: () => number } };
  const uid = host.process?.getuid?.() ?? 0;
  return { directory: parts.path.join(parts.os.tmpdir(), `coro-${uid}`), uid };
}

/**
 * Where the introspection socket of process `pid` of this user is (or would be):
 * `<os.tmpdir()>/coro-<uid>/<pid>.sock`. `coro ps PID` connects there.
 *
 * @throws RangeError if `pid` is not a positive integer.
 * @example
 * ```ts
 * import { existsSync } from 'node:fs';
 * import { introspectionSocketPath } from '@coro/futures';
 *
 * // Is process 4242 of this user open to `coro ps`? Its socket exists only if it is.
 * const pid = 4242;
 * console.log(existsSync(introspectionSocketPath(pid)) ? `try: coro ps ${pid}` : 'not enabled');
 * ```
 */
export function introspectionSocketPath(pid: number): string {
  if (!Number.isInteger(pid) || pid <= 0) {
    throw new RangeError(`pid must be a positive integer; got ${describeValue(pid)}`);
  }
  const parts = nodeParts();
  return parts.path.join(userDirectory(parts).directory, `${pid}.sock`);
}

/**
 * The private directory of this user's sockets, created with mode 0700; throws if it
 * exists with another owner or with permissions for group or others.
 */
function introspectionDirectory(parts: NodeParts): string {
  const { directory, uid } = userDirectory(parts);
  try {
    parts.fs.mkdirSync(directory, { mode: 0o700 });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
  const stat = parts.fs.lstatSync(directory);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new Error(
      `${directory} must be a directory owned by uid ${uid} with mode 0700; got owner ${stat.uid}, mode ${(stat.mode & 0o777).toString(8)}`,
    );
  }
  return directory;
}

let open: Introspection | null = null;
let originalSuspendOn: Task<unknown>['suspendOn'] | null = null;

function noteSuspension(this: Task<unknown>, future: Future<unknown> | null): void {
  suspendedAt.set(this, performance.now());
  (originalSuspendOn as Task<unknown>['suspendOn']).call(this, future);
}

/**
 * Opens this process to `coro ps PID` and `coro pstree PID`: listens on a Unix socket,
 * `<os.tmpdir()>/coro-<uid>/<pid>.sock` (directory 0700, socket 0600), that answers
 * each connection with a snapshot of the tasks and hangs up. Nothing listens until this
 * is called; only the same user (and root) can connect; nothing a client sends is read.
 * The socket does not keep the process alive and is removed at exit. Calling it again
 * returns the open channel.
 *
 * @throws Error on a host without Node built-ins (a browser), or before Node 20.16; or
 * if the socket directory exists with another owner or loose permissions.
 * @example
 * ```ts
 * import { enableIntrospection } from '@coro/futures';
 *
 * const introspection = await enableIntrospection();
 * console.log(`inspect me: npx coro ps ${process.pid}`);
 * await introspection.close();
 * ```
 */
export async function enableIntrospection(options?: IntrospectionOptions): Promise<Introspection> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  if (options?.path !== undefined && typeof options.path !== 'string') {
    throw new TypeError(`options.path must be a string; got ${describeValue(options.path)}`);
  }
  if (open !== null) return open;
  const parts = nodeParts();
  const host = globalThis as unknown as {
    process: { pid: number; once(event: 'exit', listener: () => void): void };
  };
  const path =
    options?.path ?? parts.path.join(introspectionDirectory(parts), `${host.process.pid}.sock`);
  parts.fs.rmSync(path, { force: true }); // a socket left by a crashed process of this pid
  const server = parts.net.createServer((socket) => {
    socket.end(`${JSON.stringify(snapshotTasks())}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  parts.fs.chmodSync(path, 0o600);
  server.unref();
  const removeSocket = (): void => parts.fs.rmSync(path, { force: true });
  host.process.once('exit', removeSocket);

  enabledAt = performance.now();
  if (originalSuspendOn === null) {
    originalSuspendOn = Task.prototype.suspendOn;
    Task.prototype.suspendOn = noteSuspension;
  }
  const close = async (): Promise<void> => {
    if (open !== introspection) return;
    open = null;
    enabledAt = null;
    if (originalSuspendOn !== null) {
      Task.prototype.suspendOn = originalSuspendOn;
      originalSuspendOn = null;
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    removeSocket();
  };
  const introspection: Introspection = { path, close, [Symbol.asyncDispose]: close };
  open = introspection;
  return introspection;
}
