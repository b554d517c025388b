/**
 * Thrown by `sendSignal()`, `terminate()` and `kill()` of a subprocess that was
 * already waited for: its transport is finished (the child exited and every
 * pipe closed), so its pid may belong to another process by now (Python's
 * `ProcessLookupError`, which asyncio raises there too). Before that point a
 * signal to a child that just exited is a no-op. Check `getReturncode() === null`
 * (or `returncode === null` on a `Process`) first to avoid it.
 *
 * @example
 * ```ts
 * import { ProcessLookupError, subprocessExec } from '@coro/transports';
 *
 * let finished = () => {};
 * const done = new Promise<void>((resolve) => { finished = resolve; });
 * const [transport] = await subprocessExec(
 *   () => ({ connectionLost: () => finished() }),
 *   process.execPath, ['-e', '0'],
 * );
 * await done; // the child exited and its pipes closed
 * try {
 *   transport.kill();
 * } catch (error) {
 *   console.log(error instanceof ProcessLookupError); // true
 * }
 * ```
 */

import { recognizeAcrossCopies } from '@coro/loop';
export class ProcessLookupError extends Error {
  static {
    this.prototype.name = 'ProcessLookupError';
    recognizeAcrossCopies(this, 'ProcessLookupError');
  }
  /** The pid of the process that is gone. */
  readonly pid: number | undefined;

  constructor(pid: number | undefined, message = `process ${pid} has exited and was waited for`) {
    super(message);
    this.pid = pid;
  }
}
