/*
 * SubprocessStreamProtocol: the protocol behind a `Process`, asyncio's
 * SubprocessStreamProtocol. It turns the child's pipes into streams: a
 * StreamReader for stdout and for stderr, a StreamWriter for stdin.
 *
 * Invariants
 *   1. The readers are fed by pipeDataReceived and ended by pipeConnectionLost
 *      (EOF, or the pipe's error). Each reader holds its pipe transport, so it
 *      pauses reading above 2 × limit buffered bytes (flow control end to end).
 *   2. The stdin writer's drain() waits while the stdin pipe's buffer is over its
 *      high-water mark (the subprocess transport forwards the pipe's
 *      pauseWriting/resumeWriting here); once the stdin pipe is lost, drain()
 *      throws. `#stdinClosed` completes when the stdin pipe is lost (rejected
 *      with its error): the writer's waitClosed() waits on it.
 *   3. `exited` waiters are woken by processExited(), as soon as the child exits,
 *      even if a grandchild keeps a pipe open (asyncio wakes them only when every
 *      pipe is closed as well, which can hang).
 *   4. Once the child exited and every read pipe closed, the transport is closed
 *      (asyncio's _maybe_close_transport).
 *
 * Tested by test/subprocess.test.ts.
 */

import { Future, Waiter, WaiterList, type WaitSource } from '@coro/futures';
import type { Loop } from '@coro/loop';
import { FlowControlProtocol, StreamReader, StreamWriter } from '@coro/streams';
import type {
  ReadTransport,
  SubprocessProtocol,
  SubprocessTransport,
  WriteTransport,
} from '@coro/transports';

/**
 * asyncio's SubprocessStreamProtocol (module header): connects a child's pipes to the
 * StreamWriter and StreamReaders of its `Process`. Not for direct use:
 * `createSubprocessExec` and `createSubprocessShell` make one per process.
 */
export class SubprocessStreamProtocol extends FlowControlProtocol implements SubprocessProtocol {
  stdin: StreamWriter | null;
  stdout: StreamReader | null;
  stderr: StreamReader | null;
  readonly #limit: number | undefined;
  readonly #loop: Loop;
  #transport: SubprocessTransport | null;
  #processExited: boolean;
  readonly #openReadPipes: Set<number>;
  readonly #stdinClosed: Future<void>;
  readonly #exitWaiters: WaiterList<Waiter<number>>;
  readonly #exitSource: WaitSource;

  constructor(limit: number | undefined, loop: Loop) {
    super(loop);
    this.stdin = null;
    this.stdout = null;
    this.stderr = null;
    this.#limit = limit;
    this.#loop = loop;
    this.#transport = null;
    this.#processExited = false;
    this.#openReadPipes = new Set();
    this.#stdinClosed = new Future<void>({ loop });
    this.#exitWaiters = new WaiterList();
    this.#exitSource = {
      describeWait: () => `Process.wait: pid ${this.#transport?.getPid() ?? '?'} running`,
    };
  }

  connectionMade(transport: SubprocessTransport): void {
    this.#transport = transport;
    const limit = this.#limit;
    const loop = this.#loop;
    for (const fd of [1, 2] as const) {
      const pipe = transport.getPipeTransport(fd);
      if (pipe === undefined) continue;
      const reader = new StreamReader(limit === undefined ? { loop } : { limit, loop });
      reader.setTransport(pipe as ReadTransport);
      if (fd === 1) this.stdout = reader;
      else this.stderr = reader;
      this.#openReadPipes.add(fd);
    }
    const stdin = transport.getPipeTransport(0);
    if (stdin !== undefined)
      this.stdin = new StreamWriter(stdin as WriteTransport, this, null, loop);
  }

  pipeDataReceived(fd: number, data: Uint8Array): void {
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    reader?.feedData(data);
  }

  pipeConnectionLost(fd: number, error?: Error): void {
    if (fd === 0) {
      // The pipe transport is lost (so closing): writes are dropped from now on and
      // drain() throws, as asyncio, whose write pipe drops writes once lost.
      this.connectionLost(error); // drain() ends (FlowControlProtocol)
      const closed = this.#stdinClosed;
      if (!closed.done()) {
        if (error === undefined) closed.setResult(undefined);
        else {
          closed.setException(error);
          closed.exception(); // only waitClosed() callers see it (asyncio: _log_traceback = False)
        }
      }
      return;
    }
    const reader = fd === 1 ? this.stdout : fd === 2 ? this.stderr : null;
    if (reader !== null) {
      if (error === undefined) reader.feedEof();
      else reader.setException(error);
    }
    this.#openReadPipes.delete(fd);
    this.#maybeCloseTransport();
  }

  processExited(): void {
    this.#processExited = true;
    const returncode = this.#transport?.getReturncode() ?? null;
    if (returncode !== null) {
      for (let waiter = this.#exitWaiters.shiftPending(); waiter !== undefined; ) {
        waiter.grant(returncode);
        waiter = this.#exitWaiters.shiftPending();
      }
    }
    this.#maybeCloseTransport();
  }

  override getCloseWaiter(writer: unknown): Future<void> {
    return writer === this.stdin ? this.#stdinClosed : super.getCloseWaiter(writer);
  }

  /** @internal Resolves to the return code once the child exited (invariant 3). */
  async waitForExit(signal: AbortSignal | undefined): Promise<number> {
    const returncode = this.#transport?.getReturncode() ?? null;
    if (returncode !== null) return returncode;
    const waiter = new Waiter<number>(this.#exitSource, this.#exitWaiters, signal);
    this.#exitWaiters.push(waiter);
    try {
      return await waiter;
    } finally {
      this.#exitWaiters.remove(waiter);
      waiter.finish();
    }
  }

  #maybeCloseTransport(): void {
    if (this.#processExited && this.#openReadPipes.size === 0) this.#transport?.close();
  }
}
