/*
 * Process: a child process started by createSubprocessExec or createSubprocessShell,
 * asyncio's asyncio.subprocess.Process: streams for its piped stdio, wait(),
 * communicate() and signals.
 *
 * Invariants
 *   1. communicate() writes the input, closes stdin, and reads stdout and stderr to
 *      their ends at the same time, each in a task of its own: whatever the sizes,
 *      no side waits for another (a child blocked writing stderr while we only read
 *      stdout is the classic deadlock). It returns once the child has exited.
 *   2. A broken stdin (the child exited without reading it all) does not fail
 *      communicate(): asyncio ignores BrokenPipeError and ConnectionResetError there.
 *   3. wait() and communicate() are cancellable (task or `signal`); cancelling
 *      communicate() cancels its three parts and leaves the child running: kill()
 *      and wait() then end it (the child is reaped when its exit is seen, so no
 *      zombie is left).
 *   4. A stream that is not piped is `null` (asyncio: None); communicate() reports
 *      it as an empty Buffer, so its result is always two Buffers.
 *   5. Signals go to the child only while `returncode` is null; afterwards they are
 *      no-ops, never ProcessLookupError (asyncio raises it once the process was
 *      waited for, which turns "kill after a timeout" into a race).
 *
 * Tested by test/subprocess.test.ts.
 */

import { constants } from 'node:os';
import {
  CancelledError,
  createTask,
  gather,
  readSignal,
  type SignalOptions,
  type Task,
} from '@coro/futures';
import { describeValue, type Loop } from '@coro/loop';
import { ConnectionLostError, type StreamReader, type StreamWriter } from '@coro/streams';
import type { SubprocessTransport } from '@coro/transports';
import type { SubprocessStreamProtocol } from './subprocess-protocol.js';

/**
 * What `Process.communicate()` resolves to: everything the child wrote to its
 * stdout and stderr. A stream that was not piped gives an empty Buffer.
 *
 * @example
 * ```ts
 * import { type CommunicateResult, createSubprocessExec } from '@coro/workers';
 *
 * const script = 'console.log("ok"); console.error("warning: old config")';
 * const child = await createSubprocessExec(process.execPath, ['-e', script], {
 *   stdout: 'pipe',
 *   stderr: 'pipe',
 * });
 * const { stdout, stderr }: CommunicateResult = await child.communicate();
 * console.log(String(stdout).trim(), '|', String(stderr).trim()); // ok | warning: old config
 * ```
 */
export interface CommunicateResult {
  /** The child's whole stdout (empty if stdout was not `'pipe'`). */
  stdout: Buffer;
  /** The child's whole stderr (empty if stderr was not `'pipe'`, e.g. merged with `'stdout'`). */
  stderr: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * A running (or finished) child process, asyncio's `asyncio.subprocess.Process`.
 * `createSubprocessExec` and `createSubprocessShell` make one. Its piped stdio are
 * streams: `stdin` a {@link StreamWriter}, `stdout` and `stderr`
 * {@link StreamReader}s (`null` where not piped). `await using` kills it if it is
 * still running, and waits for it.
 *
 * @example
 * ```ts
 * import { createSubprocessExec } from '@coro/workers';
 *
 * const child = await createSubprocessExec(
 *   process.execPath,
 *   ['-e', 'process.stdin.on("data", (d) => process.stdout.write(String(d).toUpperCase()))'],
 *   { stdin: 'pipe', stdout: 'pipe' },
 * );
 * const { stdout } = await child.communicate('shout');
 * console.log(String(stdout), child.returncode); // SHOUT 0
 * ```
 */
export class Process {
  /** The child's process id. */
  readonly pid: number;
  /** Writes to the child's stdin (`null` unless `stdin: 'pipe'`). */
  readonly stdin: StreamWriter | null;
  /** Reads the child's stdout (`null` unless `stdout: 'pipe'`). */
  readonly stdout: StreamReader | null;
  /** Reads the child's stderr (`null` unless `stderr: 'pipe'`). */
  readonly stderr: StreamReader | null;
  readonly #transport: SubprocessTransport;
  readonly #protocol: SubprocessStreamProtocol;
  readonly #loop: Loop;

  /** Not for direct use: `createSubprocessExec` and `createSubprocessShell` make processes. */
  constructor(transport: SubprocessTransport, protocol: SubprocessStreamProtocol, loop: Loop) {
    this.pid = transport.getPid() as number;
    this.stdin = protocol.stdin;
    this.stdout = protocol.stdout;
    this.stderr = protocol.stderr;
    this.#transport = transport;
    this.#protocol = protocol;
    this.#loop = loop;
  }

  /**
   * `null` while the child runs; then its exit status, or minus the number of the
   * signal that killed it (`-9` after `kill()`, `-15` after `terminate()`).
   *
   * @example
   * ```ts
   * import { createSubprocessExec } from '@coro/workers';
   *
   * const child = await createSubprocessExec(process.execPath, ['-e', 'process.exit(3)']);
   * console.log(child.returncode); // null: still running, or its exit not seen yet
   * await child.wait();
   * console.log(child.returncode); // 3
   * ```
   */
  get returncode(): number | null {
    return this.#transport.getReturncode();
  }

  /**
   * Waits for the child to exit and returns its {@link Process.returncode}. It
   * returns as soon as the child exits, even if a grandchild still holds one of
   * its pipes. With `stdout`/`stderr: 'pipe'`, read them (or use `communicate()`):
   * a child that fills a pipe nobody reads waits for ever, and so does `wait()`.
   * Cancellable (task or `signal`): giving up the wait leaves the child running.
   *
   * @throws the signal's reason (or CancelledError) when given up.
   * @example
   * ```ts
   * import { createSubprocessShell } from '@coro/workers';
   *
   * const child = await createSubprocessShell('exit 7');
   * console.log(await child.wait()); // 7
   * ```
   */
  async wait(options?: SignalOptions): Promise<number> {
    const signal = readSignal(options);
    if (signal?.aborted) throw signal.reason;
    return this.#protocol.waitForExit(signal);
  }

  /**
   * Sends `input` (if given) to stdin and closes it, reads stdout and stderr to
   * their ends, waits for the child to exit, and resolves to what it wrote. All at
   * once, so tens of megabytes each way never deadlock. A child that exits without
   * reading all of its input is not an error. Cancellable (task or `signal`):
   * giving up leaves the child running, so follow it with `kill()` and `wait()`.
   *
   * @param input - Bytes for stdin, or a string (UTF-8). Needs `stdin: 'pipe'`.
   * @throws TypeError if `input` is neither bytes nor a string, or is given while
   *   stdin is not piped.
   * @throws the signal's reason (or CancelledError) when given up.
   * @example
   * ```ts
   * import { timeout } from '@coro/futures';
   * import { createSubprocessExec } from '@coro/workers';
   *
   * const child = await createSubprocessExec(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
   *   stdout: 'pipe',
   * });
   * try {
   *   await timeout(100, () => child.communicate());
   * } catch (error) {
   *   child.kill(); // timed out: stop it, then reap it
   *   await child.wait();
   *   console.log((error as Error).name, child.returncode); // TimeoutError -9
   * }
   * ```
   */
  async communicate(
    input?: string | Uint8Array,
    options?: SignalOptions,
  ): Promise<CommunicateResult> {
    if (input !== undefined && typeof input !== 'string' && !(input instanceof Uint8Array)) {
      throw new TypeError(
        `input must be a Uint8Array, a string or undefined; got ${describeValue(input)}`,
      );
    }
    if (input !== undefined && this.stdin === null) {
      throw new TypeError("communicate(input) needs a process made with stdin: 'pipe'");
    }
    const signal = readSignal(options);
    if (signal?.aborted) throw signal.reason;
    const loop = this.#loop;
    const name = `communicate(${this.pid})`;
    const parts: [Task<void>, Task<Buffer>, Task<Buffer>] = [
      createTask(() => this.#feedStdin(input), { loop, name: `${name} stdin` }),
      createTask(() => this.#readToEnd(this.stdout, 1), { loop, name: `${name} stdout` }),
      createTask(() => this.#readToEnd(this.stderr, 2), { loop, name: `${name} stderr` }),
    ];
    const all = gather(parts);
    const onAbort = () => all.cancel();
    signal?.addEventListener('abort', onAbort);
    let stdout: Buffer;
    let stderr: Buffer;
    try {
      [, stdout, stderr] = await all;
    } catch (error) {
      if (signal?.aborted && error instanceof CancelledError) throw signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    await this.wait(options);
    return { stdout, stderr };
  }

  async #feedStdin(input: string | Uint8Array | undefined): Promise<void> {
    const stdin = this.stdin;
    if (stdin === null) return;
    // A stdin already closing (the child exited) takes no more: skip to the drain,
    // which reports the broken pipe that invariant 2 ignores.
    if (input !== undefined && input.length > 0 && !stdin.isClosing()) stdin.write(input);
    try {
      await stdin.drain();
    } catch (error) {
      if (!isBrokenPipe(error)) throw error; // invariant 2
    }
    stdin.close();
  }

  async #readToEnd(reader: StreamReader | null, fd: 1 | 2): Promise<Buffer> {
    if (reader === null) return EMPTY;
    const output = await reader.read();
    this.#transport.getPipeTransport(fd)?.close();
    return output;
  }

  /**
   * Sends `signal` (a name like `'SIGHUP'`, or a number) to the child; a no-op
   * once the child has exited (`returncode` is set). asyncio raises
   * ProcessLookupError there once the process was waited for; coro does not, so
   * that `kill()` after a timeout cannot throw when the child exited in the same
   * moment. An exited child's pid is never signalled (it may belong to another
   * process by then).
   *
   * @throws TypeError/RangeError for a signal Node does not know.
   * @example
   * ```ts
   * import { createSubprocessExec } from '@coro/workers';
   *
   * const child = await createSubprocessExec(process.execPath, ['-e', 'setInterval(() => {}, 1_000)']);
   * child.sendSignal('SIGINT');
   * console.log(await child.wait()); // -2
   * child.sendSignal('SIGINT'); // exited: nothing happens
   * ```
   */
  sendSignal(signal: NodeJS.Signals | number): void {
    requireSignal(signal);
    if (this.#transport.getReturncode() === null) this.#transport.sendSignal(signal);
  }

  /**
   * Asks the child to stop: SIGTERM (the child may catch it). A no-op once it exited.
   *
   * @example
   * ```ts
   * import { createSubprocessExec } from '@coro/workers';
   *
   * const child = await createSubprocessExec(process.execPath, ['-e', 'setInterval(() => {}, 1_000)']);
   * child.terminate();
   * console.log(await child.wait()); // -15
   * ```
   */
  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  /**
   * Kills the child: SIGKILL (it cannot be caught). A no-op once it exited.
   *
   * @example
   * ```ts
   * import { createSubprocessExec } from '@coro/workers';
   *
   * const child = await createSubprocessExec(process.execPath, ['-e', 'setInterval(() => {}, 1_000)']);
   * child.kill();
   * console.log(await child.wait()); // -9
   * ```
   */
  kill(): void {
    this.sendSignal('SIGKILL');
  }

  /**
   * `await using`: kills the child (SIGKILL) if it is still running, waits for it,
   * and closes its pipes, so leaving the scope leaves no process behind.
   *
   * @example
   * ```ts
   * import { createSubprocessExec } from '@coro/workers';
   *
   * {
   *   await using child = await createSubprocessExec(process.execPath, ['-e', 'setInterval(() => {}, 1_000)']);
   *   console.log(child.returncode); // null
   * } // killed and reaped here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.kill();
      await this.#protocol.waitForExit(undefined);
    } finally {
      this.#transport.close();
    }
  }
}

function requireSignal(signal: unknown): asserts signal is NodeJS.Signals | number {
  if (typeof signal === 'number' && Number.isInteger(signal) && signal >= 0) return;
  if (typeof signal === 'string' && Object.hasOwn(constants.signals, signal)) return;
  const message = `signal must be a signal name like 'SIGTERM' or an integer >= 0; got ${describeValue(signal)}`;
  throw typeof signal === 'string' || typeof signal === 'number'
    ? new RangeError(message)
    : new TypeError(message);
}

function isBrokenPipe(error: unknown): boolean {
  if (error instanceof ConnectionLostError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ECONNRESET';
}
