import { recognizeAcrossCopies } from './recognize-across-copies.js';

/**
 * Thrown when a callback, timer or run is scheduled on a loop after `close()`.
 *
 * @example
 * ```ts
 * import { LoopClosedError, NodeLoop } from '@coro/loop';
 *
 * const loop = new NodeLoop();
 * loop.close();
 * try {
 *   loop.callSoon(() => {});
 * } catch (error) {
 *   console.log(error instanceof LoopClosedError); // true
 * }
 * ```
 */
export class LoopClosedError extends Error {
  static {
    this.prototype.name = 'LoopClosedError';
    recognizeAcrossCopies(this, 'LoopClosedError');
  }
  constructor(message = 'the event loop is closed') {
    super(message);
  }
}

/**
 * A `VirtualLoop` found its run stuck, and says why instead of hanging (or letting
 * the process exit silently with code 13 on an unsettled top-level await):
 *   - tasks pending, nothing ready, no timer, no I/O for `deadlockTimeoutMs` of
 *     real time; or
 *   - the clock is manual (no `autojump`) and timers are pending, but nothing
 *     called `advance()` for `deadlockTimeoutMs`: `nextTimerWhenMs` is when the
 *     next one is due, and the message says how to move the clock.
 * `diagnosis` is the call graph of what waits on what.
 *
 * @example
 * ```ts
 * import { DeadlockError } from '@coro/loop';
 *
 * const error = new DeadlockError('main waits on Future pending');
 * console.log(error.name, error.diagnosis, error.nextTimerWhenMs); // DeadlockError main waits on Future pending null
 * ```
 */
export class DeadlockError extends Error {
  static {
    this.prototype.name = 'DeadlockError';
    recognizeAcrossCopies(this, 'DeadlockError');
  }
  readonly diagnosis: string;
  /** When the next timer of a manual clock is due (virtual ms); `null` if no timer is pending. */
  readonly nextTimerWhenMs: number | null;
  constructor(diagnosis: string, manualClock?: { nextTimerWhenMs: number; nowMs: number }) {
    super(
      manualClock === undefined
        ? `deadlock: tasks are pending, but nothing is ready and no timer or I/O can wake them\n${diagnosis}`
        : `deadlock: the VirtualLoop's clock is manual (no autojump) and nothing advances it: ` +
            `the next timer is due at ${manualClock.nextTimerWhenMs} ms (now: ${manualClock.nowMs} ms). ` +
            'Move the clock from outside the run with `await loop.advance(ms)`, or create the ' +
            'loop with `new VirtualLoop({ autojump: true })` to jump to each timer.\n' +
            diagnosis,
    );
    this.diagnosis = diagnosis;
    this.nextTimerWhenMs = manualClock?.nextTimerWhenMs ?? null;
  }
}

/**
 * One copy of coro named by a {@link RuntimeConflictError}.
 *
 * @example
 * ```ts
 * import type { RuntimeCopyDescription } from '@coro/loop';
 *
 * const copy: RuntimeCopyDescription = {
 *   package: '@coro/loop',
 *   version: '1.2.0',
 *   location: '/app/node_modules/@coro/loop/dist/index.js',
 *   runtimeVersion: 1,
 * };
 * ```
 */
export interface RuntimeCopyDescription {
  /** The package name. */
  readonly package: string;
  /** The package's version (from its package.json), or `null` if it could not be read. */
  readonly version: string | null;
  /** The file the copy was loaded from. */
  readonly location: string;
  /** The version of the shared runtime it speaks. */
  readonly runtimeVersion: number;
}

function describeCopy(copy: RuntimeCopyDescription): string {
  const version = copy.version === null ? '' : ` ${copy.version}`;
  return `${copy.package}${version} (runtime v${copy.runtimeVersion}) at ${copy.location}`;
}

/**
 * Thrown when a copy of coro is loaded into a process that already holds a copy
 * speaking another version of the shared runtime (two major versions of coro, say).
 * Copies of one runtime version share it (the ESM and CJS builds, compatible
 * versions); incompatible ones fail loudly here rather than each keeping its own
 * loop and tasks. `loaded` is the copy already there, `loading` the one refused.
 *
 * @example
 * ```ts
 * import { RuntimeConflictError } from '@coro/loop';
 *
 * const error = new RuntimeConflictError(
 *   { package: '@coro/loop', version: '1.0.0', location: '/app/a.js', runtimeVersion: 1 },
 *   { package: '@coro/loop', version: '2.0.0', location: '/app/b.js', runtimeVersion: 2 },
 * );
 * console.log(error.loaded.version, error.loading.version); // 1.0.0 2.0.0
 * ```
 */
export class RuntimeConflictError extends Error {
  static {
    this.prototype.name = 'RuntimeConflictError';
    recognizeAcrossCopies(this, 'RuntimeConflictError');
  }
  readonly loaded: RuntimeCopyDescription;
  readonly loading: RuntimeCopyDescription;
  constructor(loaded: RuntimeCopyDescription, loading: RuntimeCopyDescription) {
    super(
      `two incompatible copies of coro in one process: ${describeCopy(loading)} cannot share ` +
        `the runtime of ${describeCopy(loaded)}, loaded first. Make every dependency use ` +
        `one major version of coro (\`npm ls ${loading.package}\` shows which ones pull it in).`,
    );
    this.loaded = loaded;
    this.loading = loading;
  }
}
