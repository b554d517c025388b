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
  }
  constructor(message = 'the event loop is closed') {
    super(message);
  }
}

/**
 * A `VirtualLoop` found its run stuck: tasks pending, nothing ready, no timer,
 * no I/O for `deadlockTimeoutMs` of real time. `diagnosis` is the call graph of
 * what waits on what.
 *
 * @example
 * ```ts
 * import { DeadlockError } from '@coro/loop';
 *
 * const error = new DeadlockError('main waits on Future pending');
 * console.log(error.diagnosis);
 * ```
 */
export class DeadlockError extends Error {
  static {
    this.prototype.name = 'DeadlockError';
  }
  readonly diagnosis: string;
  constructor(diagnosis: string) {
    super(
      `deadlock: tasks are pending, but nothing is ready and no timer or I/O can wake them\n${diagnosis}`,
    );
    this.diagnosis = diagnosis;
  }
}
