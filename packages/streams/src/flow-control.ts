/*
 * FlowControlProtocol: the write-side bookkeeping a StreamWriter needs from its
 * protocol (asyncio's FlowControlMixin): whether the transport asked to pause
 * writing, the drain() calls waiting for it to resume, and a Future for the
 * connection's end that waitClosed() awaits.
 *
 * Invariants
 *   1. `paused` is true between pauseWriting() and resumeWriting(). drainHelper()
 *      returns at once unless paused; a paused drain waits on a StreamWaiter of
 *      its own (one per call), so cancelling one drain() cancels nothing else.
 *   2. resumeWriting() wakes every waiting drain (asyncio issue 74116: all of
 *      them, not one). connectionLost(error) wakes them too, rejecting with
 *      `error` if there is one; a drain after connectionLost throws
 *      ConnectionLostError, so a write/drain loop on a dead socket ends (bpo-25441).
 *   3. The `closed` Future completes in connectionLost() (rejected with its
 *      error, if any). Its exception is marked retrieved at once: a connection
 *      that ended with an error is not an unhandled failure unless someone
 *      awaits waitClosed(), which still throws it.
 *
 * Writing a StreamWriter over a transport of your own (how @coro/workers builds
 * Process.stdin over a child's stdin pipe):
 *
 *     class StdinProtocol extends FlowControlProtocol {
 *       // If you override pauseWriting, resumeWriting or connectionLost, call super.
 *     }
 *     const protocol = new StdinProtocol(loop);
 *     // make the transport call protocol.pauseWriting()/resumeWriting()/
 *     // connectionLost(error) (it is the transport's protocol, or yours forwards)
 *     const stdin = new StreamWriter(pipeTransport, protocol, null, loop);
 *
 *   - `reader` may be null: drain() then only consults the protocol.
 *   - Override getCloseWaiter(writer) to give waitClosed() another Future (asyncio's
 *     subprocess protocol returns the stdin pipe's own "closed" Future).
 *   - Any object with drainHelper() and getCloseWaiter() (StreamWriterProtocol)
 *     also works as a StreamWriter's protocol; startTls() needs a StreamReaderProtocol.
 *
 * Tested by test/stream-writer.test.ts and test/connection.test.ts.
 */

import { Future, type SignalOptions } from '@coro/futures';
import type { Loop } from '@coro/loop';
import type { BaseProtocol } from '@coro/transports';
import { ConnectionLostError } from './errors.js';
import { readSignal, StreamWaiter, waiterOptions } from './waiter.js';

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * What a `StreamWriter` needs from its protocol: a way to wait while writing is
 * paused, and a Future of the connection's end. `FlowControlProtocol` provides both.
 *
 * @example
 * ```ts
 * import type { StreamWriterProtocol } from '@coro/streams';
 *
 * const neverPaused: StreamWriterProtocol = {
 *   drainHelper: () => Promise.resolve(),
 *   getCloseWaiter: () => Promise.resolve(),
 * };
 * ```
 */
export interface StreamWriterProtocol {
  /** Resolves once writing may go on (at once unless paused); throws if the connection was lost. */
  drainHelper(options?: SignalOptions): Promise<void>;
  /** Settles when the connection is closed (rejects with its error, if any). */
  getCloseWaiter(writer: unknown): PromiseLike<void>;
}

/**
 * The write-side bookkeeping of a stream protocol (asyncio's `FlowControlMixin`):
 * `pauseWriting`/`resumeWriting` from the transport, `drainHelper()` for
 * `StreamWriter.drain()`, and the Future `waitClosed()` awaits. Extend it to give a
 * `StreamWriter` a protocol of your own; see the header of `flow-control.ts`.
 *
 * @example
 * ```ts
 * import { FlowControlProtocol } from '@coro/streams';
 *
 * const protocol = new FlowControlProtocol();
 * protocol.pauseWriting(); // the transport's buffer is over its high-water mark
 * const drained = protocol.drainHelper().then(() => console.log('drained'));
 * protocol.resumeWriting();
 * await drained; // drained
 * ```
 */
export class FlowControlProtocol implements BaseProtocol<never>, StreamWriterProtocol {
  /**
   * The loop the protocol's Futures run on (undefined: the running loop).
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   * import { VirtualLoop } from '@coro/loop';
   *
   * const loop = new VirtualLoop();
   * console.log(new FlowControlProtocol(loop).loop === loop); // true
   * ```
   */
  readonly loop: Loop | undefined;
  #paused: boolean;
  #connectionLost: boolean;
  readonly #drainWaiters: StreamWaiter[];
  readonly #closed: Future<void>;

  /** @param loop - The loop of the protocol's Futures. @defaultValue the running loop */
  constructor(loop?: Loop) {
    this.loop = loop;
    this.#paused = false;
    this.#connectionLost = false;
    this.#drainWaiters = [];
    this.#closed = new Future<void>(loop === undefined ? undefined : { loop });
  }

  /**
   * Whether the transport asked to pause writing and has not resumed.
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * protocol.pauseWriting();
   * console.log(protocol.writingPaused); // true
   * ```
   */
  get writingPaused(): boolean {
    return this.#paused;
  }

  /**
   * Whether `connectionLost()` was called.
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * protocol.connectionLost();
   * console.log(protocol.isConnectionLost()); // true
   * ```
   */
  isConnectionLost(): boolean {
    return this.#connectionLost;
  }

  /**
   * The transport's write buffer went over its high-water mark: `drain()` waits
   * from now on. Called by the transport; a subclass that overrides it calls `super`.
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * protocol.pauseWriting();
   * console.log(protocol.writingPaused); // true
   * ```
   */
  pauseWriting(): void {
    this.#paused = true;
  }

  /**
   * The write buffer drained to its low-water mark: every waiting `drain()`
   * returns. Called by the transport; a subclass that overrides it calls `super`.
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * protocol.pauseWriting();
   * protocol.resumeWriting();
   * console.log(protocol.writingPaused); // false
   * ```
   */
  resumeWriting(): void {
    this.#paused = false;
    for (const waiter of this.#drainWaiters) waiter.wake();
  }

  /**
   * The connection is gone: waiting drains return (or throw `error`), later ones
   * throw {@link ConnectionLostError}, and the close waiter completes. A subclass
   * that overrides it calls `super`.
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * protocol.connectionLost();
   * await protocol.drainHelper().catch((error) => console.log(error.name)); // ConnectionLostError
   * ```
   */
  connectionLost(error?: Error): void {
    this.#connectionLost = true;
    const closed = this.#closed;
    if (!closed.done()) {
      if (error === undefined || error === null) closed.setResult(undefined);
      else {
        closed.setException(error);
        closed.exception(); // retrieved: only waitClosed() callers see it (invariant 3)
      }
    }
    if (!this.#paused) return;
    for (const waiter of this.#drainWaiters) {
      if (error === undefined || error === null) waiter.wake();
      else waiter.fail(error);
    }
  }

  /**
   * Resolves once writing may go on: at once unless the transport paused writing.
   * `StreamWriter.drain()` calls it. Cancellable (task or `signal`).
   *
   * @throws {@link ConnectionLostError} if the connection was lost.
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * await protocol.drainHelper(); // not paused: returns at once
   * console.log('ready');
   * ```
   */
  drainHelper(options?: SignalOptions): Promise<void> {
    if (this.#connectionLost) return Promise.reject(new ConnectionLostError('connection lost'));
    const signal = readSignal(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.#paused) return RESOLVED;
    return this.#waitForResume(signal);
  }

  async #waitForResume(signal: AbortSignal | undefined): Promise<void> {
    const waiter = new StreamWaiter(
      waiterOptions(this.loop),
      signal,
      'StreamWriter.drain: writing paused',
      null,
    );
    const waiters = this.#drainWaiters;
    waiters.push(waiter);
    try {
      await waiter;
    } finally {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.finish();
    }
  }

  /**
   * The Future that `StreamWriter.waitClosed()` awaits: it completes when the
   * connection is lost (rejected with the error, if any). Override it to hand a
   * writer another Future.
   *
   * @example
   * ```ts
   * import { FlowControlProtocol } from '@coro/streams';
   *
   * const protocol = new FlowControlProtocol();
   * protocol.connectionLost();
   * await protocol.getCloseWaiter(null);
   * console.log('closed');
   * ```
   */
  getCloseWaiter(_writer: unknown): Future<void> {
    return this.#closed;
  }
}
