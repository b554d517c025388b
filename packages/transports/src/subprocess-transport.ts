/*
 * ChildProcessTransport: a child process and its stdio pipes, asyncio's
 * BaseSubprocessTransport. `subprocessExec` and `subprocessShell` make one.
 *
 * Each piped stdio stream of the child (a net.Socket, as Node makes them) gets a
 * SocketTransport of its own, write-only for stdin (fd 0), read-only for stdout
 * and stderr (fds 1, 2), with a small pipe protocol that reports to this
 * transport; `getPipeTransport(fd)` returns it.
 *
 * Invariants
 *   1. The protocol hears, in order, from the loop: connectionMade once every pipe
 *      transport is connected; then pipeDataReceived(fd, data),
 *      pipeConnectionLost(fd, error) (once per pipe) and processExited() (once),
 *      in the order they happened; then connectionLost(undefined), exactly once,
 *      when the child has exited AND every pipe is closed. Events that happen
 *      before connectionMade wait in `#pending` and follow it in order
 *      (asyncio's _pending_calls). Nothing comes after connectionLost.
 *   2. The return code is set when Node reports the exit: the exit status, or
 *      minus the number of the signal that killed the child (-9 for SIGKILL).
 *      Node reaps the child (waitpid) before it reports the exit, so a child
 *      whose exit was seen is never a zombie.
 *   3. sendSignal/terminate/kill: sent while the child runs; a no-op once it
 *      exited; ProcessLookupError once the transport is finished (connectionLost
 *      scheduled), as asyncio (test_proc_exited).
 *   4. close() closes every pipe transport and, if the child still runs, kills
 *      it with SIGKILL (asyncio's close()). The child then exits and is reaped.
 *   5. pauseWriting/resumeWriting of the stdin pipe go straight to the protocol.
 *
 * Tested by test/subprocess.test.ts.
 */

import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { describeValue, type Loop } from '@coro/loop';
import { requireProtocol } from './arguments.js';
import { type LoopResource, trackResource, untrackResource } from './loop-resources.js';
import { ProcessLookupError } from './process-lookup-error.js';
import type { Protocol, SubprocessProtocol } from './protocols.js';
import { SocketTransport } from './socket-transport.js';
import type { ReadTransport, SubprocessTransport, WriteTransport } from './transport.js';

/** The child's stdio streams to adopt; a missing one is not piped. */
export interface ChildPipes {
  0?: Writable | null | undefined;
  1?: Readable | null | undefined;
  2?: Readable | null | undefined;
}

type PipeFd = 0 | 1 | 2;

/**
 * @internal Node discards a child's unread output when the child exits, unless
 * someone listens for 'readable' on the pipe (its flushStdio). `subprocessExec`
 * adds this listener to the stdout and stderr pipes right after spawning, so that
 * what the child writes before the transport is ready waits in the pipe; the pipe
 * transport removes it once connected, and then reads.
 */
export function holdOutput(): void {}

/** One piped stdio stream: its transport and where it stands. */
class PipeEnd {
  readonly fd: PipeFd;
  readonly stream: Readable | Writable;
  connected = false;
  disconnected = false;
  transport: SocketTransport | undefined = undefined;

  constructor(fd: PipeFd, stream: Readable | Writable) {
    this.fd = fd;
    this.stream = stream;
  }
}

/** The protocol of one pipe transport: it reports to the subprocess transport. */
class PipeProtocol implements Protocol {
  readonly #owner: ChildProcessTransport<SubprocessProtocol>;
  readonly #end: PipeEnd;

  constructor(owner: ChildProcessTransport<SubprocessProtocol>, end: PipeEnd) {
    this.#owner = owner;
    this.#end = end;
  }

  connectionMade(): void {
    // Reading starts now: Node may flow the pipe once no 'readable' listener is left.
    this.#end.stream.off('readable', holdOutput);
    this.#end.connected = true;
    this.#owner.pipeConnected();
  }

  dataReceived(data: Uint8Array): void {
    this.#owner.pipeDataReceived(this.#end.fd, data);
  }

  eofReceived(): boolean {
    return false; // a read pipe closes at EOF; connectionLost follows
  }

  connectionLost(error?: Error): void {
    this.#end.disconnected = true;
    this.#owner.pipeConnectionLost(this.#end.fd, error);
  }

  pauseWriting(): void {
    this.#owner.getProtocol().pauseWriting?.();
  }

  resumeWriting(): void {
    this.#owner.getProtocol().resumeWriting?.();
  }
}

type PendingCall = [callback: (...args: never[]) => void, args: unknown[]];

/**
 * @internal asyncio's subprocess transport over a Node `ChildProcess` that has
 * spawned; see the module header. Users get it from `subprocessExec`.
 */
export class ChildProcessTransport<P extends SubprocessProtocol = SubprocessProtocol>
  implements SubprocessTransport<P>, LoopResource
{
  readonly #loop: Loop;
  readonly #child: ChildProcess;
  readonly #pid: number | undefined;
  #protocol: P;
  readonly #ends: PipeEnd[];
  #pending: PendingCall[] | null;
  #returncode: number | null;
  #closed: boolean;
  #finished: boolean;
  #onStarted: (() => void) | undefined;

  constructor(
    loop: Loop,
    child: ChildProcess,
    protocol: P,
    pipes: ChildPipes,
    onStarted: () => void,
  ) {
    this.#loop = loop;
    this.#child = child;
    this.#pid = child.pid;
    this.#protocol = protocol;
    this.#ends = [];
    this.#pending = [];
    this.#returncode = null;
    this.#closed = false;
    this.#finished = false;
    this.#onStarted = onStarted;
    child.on('exit', this.#onExit);
    child.on('error', this.#onError);
    for (const fd of [0, 1, 2] as const) {
      const stream = pipes[fd];
      if (stream === undefined || stream === null) continue;
      const end = new PipeEnd(fd, stream);
      this.#ends.push(end);
      end.transport = new SocketTransport(stream, new PipeProtocol(this, end), {
        loop,
        readable: fd !== 0,
        writable: fd === 0,
        extra: { pipe: stream },
      });
    }
    if (this.#ends.length === 0) loop.callSoon(this.#start);
    trackResource(loop, this); // killed if still running when run() ends
    if (child.exitCode !== null || child.signalCode !== null) {
      this.#onExit(child.exitCode, child.signalCode);
    }
  }

  // ── BaseTransport ──────────────────────────────────────────────────────

  /**
   * Closes every pipe and kills the child with SIGKILL if it still runs.
   * `connectionLost()` follows once the child exited and the pipes closed.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // A pipe already gone (Node destroys a child's stdin as it reports the exit,
    // before its transport hears of it) is left alone: closing it would turn "lost"
    // into "closed by us", and writes would throw instead of being dropped.
    for (const end of this.#ends) {
      if (!end.stream.destroyed && !end.transport?.isClosing()) end.transport?.close();
    }
    const child = this.#child;
    if (this.#returncode === null && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }

  isClosing(): boolean {
    return this.#closed;
  }

  /** @internal Its loop is shutting down with the child still running: close (kill) it now. */
  abandon(): void {
    this.close();
  }

  /** @internal For the debug-mode report of an unclosed transport. */
  describeResource(): string {
    return `subprocess transport of pid ${this.#pid}`;
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return name === 'subprocess' ? (this.#child as V) : defaultValue;
  }

  getProtocol(): P {
    return this.#protocol;
  }

  setProtocol(protocol: P): void {
    requireProtocol(protocol);
    this.#protocol = protocol;
  }

  // ── the child ──────────────────────────────────────────────────────────

  getPid(): number | undefined {
    return this.#pid;
  }

  getReturncode(): number | null {
    return this.#returncode;
  }

  getPipeTransport(fd: 0 | 1 | 2): ReadTransport | WriteTransport | undefined {
    for (const end of this.#ends) if (end.fd === fd) return end.transport;
    return undefined;
  }

  sendSignal(signal: NodeJS.Signals | number): void {
    requireSignal(signal);
    if (this.#finished) throw new ProcessLookupError(this.#pid);
    if (this.#returncode !== null) return; // exited: nothing to signal (invariant 3)
    this.#child.kill(signal);
  }

  terminate(): void {
    this.sendSignal('SIGTERM');
  }

  kill(): void {
    this.sendSignal('SIGKILL');
  }

  // ── events from the pipes and the child ────────────────────────────────

  /** @internal A pipe transport ran its connectionMade. */
  pipeConnected(): void {
    if (this.#pending === null) return;
    for (const end of this.#ends) if (!end.connected) return;
    this.#start();
  }

  /** @internal */
  pipeDataReceived(fd: PipeFd, data: Uint8Array): void {
    this.#call(this.#callPipeDataReceived, fd, data);
  }

  /** @internal */
  pipeConnectionLost(fd: PipeFd, error: Error | undefined): void {
    this.#call(this.#callPipeConnectionLost, fd, error);
    this.#tryFinish();
  }

  readonly #onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    if (this.#returncode !== null) return;
    this.#returncode = code ?? -(signal === null ? 0 : (constants.signals[signal] ?? 0));
    this.#call(this.#callProcessExited);
    this.#tryFinish();
  };

  /** A failed kill() (not "no such process", which Node ignores): report it. */
  readonly #onError = (error: Error): void => {
    this.#loop.callExceptionHandler({
      message: 'subprocess error',
      exception: error,
      transport: this,
      protocol: this.#protocol,
    });
  };

  #tryFinish(): void {
    if (this.#finished || this.#returncode === null) return;
    for (const end of this.#ends) if (!end.disconnected) return;
    this.#finished = true;
    untrackResource(this.#loop, this);
    this.#call(this.#callConnectionLost);
  }

  #call(callback: (...args: never[]) => void, ...args: unknown[]): void {
    if (this.#pending !== null) this.#pending.push([callback, args]);
    else if (this.#loop.isClosed())
      this.close(); // nobody is left to tell
    else this.#loop.callSoon(callback as (...args: unknown[]) => void, ...args);
  }

  /** Every pipe is connected: connectionMade, then what waited (invariant 1). */
  readonly #start = (): void => {
    const pending = this.#pending;
    if (pending === null) return;
    this.#pending = null;
    const loop = this.#loop;
    loop.callSoon(this.#callConnectionMade);
    for (const [callback, args] of pending) {
      loop.callSoon(callback as (...args: unknown[]) => void, ...args);
    }
  };

  // ── protocol calls, from the loop ──────────────────────────────────────

  readonly #callConnectionMade = (): void => {
    const onStarted = this.#onStarted;
    this.#onStarted = undefined;
    try {
      this.#protocol.connectionMade?.(this);
    } finally {
      onStarted?.();
    }
  };

  readonly #callPipeDataReceived = (fd: PipeFd, data: Uint8Array): void => {
    this.#protocol.pipeDataReceived?.(fd, data);
  };

  readonly #callPipeConnectionLost = (fd: PipeFd, error: Error | undefined): void => {
    this.#protocol.pipeConnectionLost?.(fd, error);
  };

  readonly #callProcessExited = (): void => {
    this.#protocol.processExited?.();
  };

  readonly #callConnectionLost = (): void => {
    this.#protocol.connectionLost?.(undefined);
  };
}

/** @internal Throws unless `signal` is a signal name Node knows or an integer >= 0. */
export function requireSignal(signal: unknown): asserts signal is NodeJS.Signals | number {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal < 0) {
      throw new RangeError(`signal must be a signal name or an integer >= 0; got ${signal}`);
    }
    return;
  }
  if (typeof signal !== 'string') {
    throw new TypeError(
      `signal must be a signal name like 'SIGTERM' or a number; got ${describeValue(signal)}`,
    );
  }
  if (!Object.hasOwn(constants.signals, signal)) {
    throw new RangeError(
      `signal must be a signal name like 'SIGTERM' or a number; got ${describeValue(signal)}`,
    );
  }
}
