/*
 * SocketTransport: asyncio's socket transport (_SelectorSocketTransport and the
 * pipe transports) over a Node stream: a net.Socket, a tls.TLSSocket, a Unix
 * socket, or one direction of a pipe (a child's stdio pipe is a net.Socket; an
 * fs stream or process.stdin works too). The methods' contract is documented on
 * the Transport interfaces (transport.ts); this header says how it is kept.
 *
 * Lifecycle: one field, `#state`
 *
 *   state      write()   isClosing()  meaning
 *   open       sends     false        connected (connectionMade may not have run yet)
 *   closing    throws    true         close()/abort() called; the socket is not gone yet
 *   dropping   drops     true         abandoned at loop shutdown; the socket is not gone yet
 *   lost       drops     true         the socket went away by itself (peer reset, EOF both ways)
 *   closed     throws    true         the socket is gone after close()/abort()
 *   detached   throws    true         startTls took the socket: this transport is inert
 *
 *   from \ event   close()/abort()   socket 'close'   abandon()   detachSocket()
 *   open           closing           lost             dropping    detached
 *   dropping       closing           lost             -           -
 *   closing        - (abort destroys) closed          - (destroys) -
 *   lost           closed            -                -           -
 *   closed, detached: final (every event is ignored)
 *
 *   Independent of it: `#started` (connectionMade ran; it runs even after an early
 *   close), `#readingPaused` (pauseReading), `#eofWritten` (writeEof: half-closed),
 *   `#eofPending` (the peer's EOF, held until connectionMade ran or reading resumed),
 *   and the write flow control (write-flow-control.ts: pauseWriting/resumeWriting).
 *
 * Invariants
 *   1. Callback order is asyncio's: connectionMade runs on the loop (callSoon) after
 *      construction; reading starts only after it, unless it paused reading; then
 *      dataReceived (or getBuffer/bufferUpdated) per chunk, eofReceived at most once,
 *      connectionLost exactly once, on the loop, last. After close()/abort() the
 *      protocol hears nothing but connectionLost (asyncio stops reading at close()).
 *      An EOF Node reports before connectionMade ran, or while reading is paused, is
 *      kept and delivered after it, or at resumeReading().
 *   2. Reading: Node's 'data' Buffers go to dataReceived as they are (no copy, no
 *      closure, no promise per chunk). A BufferedProtocol gets them copied into the
 *      buffers it hands out; if it pauses reading (or startTls takes the socket)
 *      in the middle of a chunk, the rest goes back to the front of the socket's
 *      buffer (unshift), and if it switches protocols the rest goes to the new one.
 *      pauseReading() is Readable.pause(): Node stops reading from the OS once its
 *      small readable buffer is full, so the peer backs up.
 *   3. Writing: bytes go straight to Node's socket.write() (strings as UTF-8); Node
 *      keeps what the OS did not take yet, and `writableLength` is exactly that
 *      (getWriteBufferSize). write() does not copy. A write's callback (one bound
 *      function for all) is where the buffer is seen to drain to the low-water mark
 *      and the flow control resumes the protocol. A write into an empty buffer that
 *      cannot matter to that goes without it (WriteFlowControl.needsWriteCallback):
 *      Node then schedules nothing when the OS takes it at once (a callback costs a
 *      process.nextTick and an object per write, most of a small write's overhead).
 *      Every other write carries it, so whenever the protocol is paused a write with
 *      the callback completes no later than the buffer reaches the low-water mark;
 *      setWriteBufferLimits() adds an empty write with it behind one that went without.
 *   4. close() stops reading, flushes, sends EOF and then destroys the socket (a TLS
 *      socket first waits up to sslShutdownTimeout for the peer's close_notify);
 *      abort() destroys at once. Either way Node's 'close' event schedules
 *      connectionLost(error), where `error` is the first socket error or the exception
 *      of a failing protocol callback. A reset is a ConnectionError of its code
 *      (ConnectionResetError, BrokenPipeError, ConnectionAbortedError; Node's error
 *      as `cause`), whichever direction met it (connection-errors.ts).
 *      Any 'error' of the socket aborts it, also the TLS errors after the handshake
 *      that Node only emits (ERR_SSL_…): they are never a hang.
 *      One limit of libuv: a reset that arrives together with the last unread bytes
 *      may be reported as EOF (its POLLHUP shortcut), so the protocol then hears
 *      eofReceived and connectionLost(undefined) instead of ECONNRESET.
 *   5. A protocol callback that throws is reported to loop.callExceptionHandler
 *      ({ message, exception, transport, protocol }) and the transport is aborted
 *      with that exception (asyncio's _fatal_error), except pauseWriting and
 *      resumeWriting, whose exceptions are reported only (asyncio does the same).
 *   6. write() throws or drops as the lifecycle table says: after the connection was
 *      lost by itself writes are dropped silently, as asyncio does (the protocol
 *      learns of the loss from connectionLost). After abort() or the loss,
 *      getWriteBufferSize() is 0 (the buffer was dropped).
 *   7. peername and sockname are read when the transport is made and kept: Node
 *      forgets them once the socket is closed, and connectionLost wants them.
 *
 * A sibling that owns a pipe builds a transport over one direction of it, e.g. the
 * subprocess transport over a child's stdio:
 *
 *   new SocketTransport(child.stdout, protocol, { writable: false, extra: { pipe: child.stdout } })
 *   new SocketTransport(child.stdin, protocol, { readable: false, extra: { pipe: child.stdin } })
 *
 * A read-only transport hears eofReceived and then connectionLost (its return value is
 * ignored, as asyncio's read pipes do); write() throws on it. A write-only transport
 * never reads; it is lost when the reader goes away (EPIPE) or when it is closed.
 *
 * Tested by test/socket-transport.test.ts, test/flow-control.test.ts, test/faults.test.ts,
 * test/transport-parity.test.ts.
 */

import type { Socket } from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { InvalidStateError } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop, type TimerHandle } from '@coro/loop';
import { requireProtocol } from './arguments.js';
import { toConnectionError } from './connection-errors.js';
import { trackResource, untrackResource } from './loop-resources.js';
import type { BufferedProtocol, Protocol } from './protocols.js';
import type { Transport, WriteBufferLimits } from './transport.js';
import { WriteFlowControl } from './write-flow-control.js';

/**
 * A stream protocol: bytes as they come (`Protocol`), or into buffers it hands out
 * (`BufferedProtocol`). What a {@link SocketTransport} calls.
 *
 * @example
 * ```ts
 * import { createConnection, type StreamProtocol } from '@coro/transports';
 *
 * // Either kind is a stream protocol: this one reads into a buffer of its own (no copy per read)
 * const buffer = new Uint8Array(4_096);
 * const intoBuffer: StreamProtocol = {
 *   getBuffer: () => buffer,
 *   bufferUpdated: (bytes) => console.log(`${bytes} bytes read into the buffer`),
 * };
 * const [transport] = await createConnection(() => intoBuffer, 'example.com', 80);
 * transport.close();
 * ```
 */
export type StreamProtocol = Protocol | BufferedProtocol;

/**
 * Options of `new SocketTransport()`.
 *
 * @example
 * ```ts
 * import { type Protocol, SocketTransport } from '@coro/transports';
 *
 * // stdin as a read-only transport: writable: false; extra makes getExtraInfo('pipe') find it
 * const protocol: Protocol = {
 *   dataReceived: (data) => console.log(`${data.length} bytes on stdin`),
 *   eofReceived: () => console.log('stdin closed'),
 * };
 * const options = { writable: false, extra: { pipe: process.stdin } };
 * const stdin = new SocketTransport(process.stdin, protocol, options);
 * console.log(stdin.getExtraInfo('pipe') === process.stdin); // true
 * ```
 */
export interface SocketTransportOptions {
  /** The loop that runs the protocol's callbacks. @defaultValue the running loop */
  loop?: Loop | undefined;
  /** Read from the stream. False for a write-only pipe. @defaultValue true */
  readable?: boolean | undefined;
  /** Write to the stream. False for a read-only pipe. @defaultValue true */
  writable?: boolean | undefined;
  /**
   * Extra information returned by `getExtraInfo(name)` before the built-in names
   * (`peername`, `sockname`, `socket`, TLS details). A Unix socket's path goes here.
   */
  extra?: Readonly<Record<string, unknown>> | undefined;
  /** Write-buffer water marks. @defaultValue `{ high: 65536, low: 16384 }` */
  writeBufferLimits?: WriteBufferLimits | undefined;
  /** How long close() waits for a TLS peer's close_notify, in ms. @defaultValue 30000 */
  sslShutdownTimeout?: number | undefined;
  /** @internal Told when the connection is lost (a Server counting its clients). */
  owner?: TransportOwner | undefined;
  /** @internal Settled once connectionMade ran: with undefined, or its exception. */
  onStarted?: ((error: unknown) => void) | undefined;
  /** @internal False after startTls: the protocol is already connected. */
  callConnectionMade?: boolean | undefined;
}

/** @internal What a server is told about its connections. */
export interface TransportOwner {
  detach(transport: SocketTransport): void;
}

/** asyncio's default for the TLS shutdown, in ms. */
export const DEFAULT_SSL_SHUTDOWN_TIMEOUT_MS = 30_000;

type AnyStream = Duplex & { readonly destroyed: boolean; readonly errored?: Error | null };

/** The lifecycle of a SocketTransport: the module header's table. */
type State = 'open' | 'closing' | 'dropping' | 'lost' | 'closed' | 'detached';

/**
 * A {@link Transport} over a Node socket or stream: TCP, TLS, Unix sockets, and
 * either direction of a pipe. `createConnection`, `createServer` and the pipe
 * functions make them; build one yourself only to adopt a stream you already have.
 * Its methods are documented on {@link Transport}; the module header lists its
 * invariants.
 *
 * @example
 * ```ts
 * import * as net from 'node:net';
 * import { SocketTransport, type Protocol } from '@coro/transports';
 *
 * const server = net.createServer((socket) => socket.end('hello\n'));
 * await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
 * const { port } = server.address() as net.AddressInfo;
 * const socket = net.connect(port, '127.0.0.1');
 * await new Promise((resolve) => socket.once('connect', resolve));
 *
 * const done = new Promise<void>((resolve) => {
 *   const protocol: Protocol = {
 *     dataReceived: (data) => console.log(String(data).trim()), // prints: hello
 *     connectionLost: () => resolve(),
 *   };
 *   new SocketTransport(socket, protocol);
 * });
 * await done;
 * server.close();
 * ```
 */
export class SocketTransport implements Transport<StreamProtocol> {
  // Also a LoopResource: an internal interface, so not named in the `implements` clause,
  // which the published types would show without it.
  readonly #socket: AnyStream;
  readonly #loop: Loop;
  readonly #readable: boolean;
  readonly #writable: boolean;
  readonly #extra: Readonly<Record<string, unknown>> | undefined;
  readonly #tls: boolean;
  readonly #sslShutdownTimeout: number;
  #owner: TransportOwner | undefined;
  #onStarted: ((error: unknown) => void) | undefined;
  readonly #callConnectionMade: boolean;
  #protocol: StreamProtocol;
  #buffered: boolean;
  readonly #flow: WriteFlowControl;
  #state: State = 'open';
  /** connectionMade has run (reading may start). */
  #started = false;
  /** pauseReading() is in force. */
  #readingPaused = false;
  /** writeEof() was called. */
  #eofWritten = false;
  /** The peer's EOF arrived before connectionMade or while paused: delivered later. */
  #eofPending = false;
  /** Why the connection was lost: the first socket error, or a protocol exception. */
  #error: Error | undefined = undefined;
  /** peername and sockname, kept from the start: Node forgets them once the socket is gone. */
  #peername: PeerAddress | undefined = undefined;
  #sockname: PeerAddress | undefined = undefined;
  #shutdownTimer: TimerHandle | undefined = undefined;
  readonly #onData: (data: Buffer) => void;
  readonly #onEnd: () => void;
  readonly #onError: (error: Error) => void;
  readonly #onClose: () => void;
  readonly #onFinish: () => void;
  readonly #afterWrite: (error?: Error | null) => void;

  /**
   * Adopts `socket` and schedules `protocol.connectionMade(this)` on the loop.
   *
   * @throws TypeError if `socket` is not a Node stream or `protocol` not an object.
   */
  constructor(
    socket: Duplex | Readable | Writable,
    protocol: StreamProtocol,
    options: SocketTransportOptions = {},
  ) {
    if (typeof socket !== 'object' || socket === null || typeof socket.on !== 'function') {
      throw new TypeError(`socket must be a Node stream; got ${describeValue(socket)}`);
    }
    requireProtocol(protocol);
    this.#socket = socket as AnyStream;
    this.#loop = options.loop ?? getRunningLoop();
    this.#readable = options.readable ?? true;
    this.#writable = options.writable ?? true;
    this.#extra = options.extra;
    this.#tls = (socket as Partial<TLSSocket>).encrypted === true;
    this.#sslShutdownTimeout = options.sslShutdownTimeout ?? DEFAULT_SSL_SHUTDOWN_TIMEOUT_MS;
    this.#owner = options.owner;
    this.#onStarted = options.onStarted;
    this.#callConnectionMade = options.callConnectionMade ?? true;
    this.#protocol = protocol;
    this.#buffered = typeof (protocol as BufferedProtocol).getBuffer === 'function';
    this.#flow = new WriteFlowControl(this.#loop, this, options.writeBufferLimits);
    this.#onData = (data) => this.#dataArrived(data);
    this.#onEnd = () => this.#endArrived();
    this.#onError = (error) => {
      if (this.#error === undefined) this.#error = toConnectionError(error);
      // Node destroys a socket on its errors, except a TLS socket after its handshake
      // (a corrupted record, a bad alert): it only emits 'error' and stays open, and
      // the connection would hang. asyncio's _fatal_error aborts it (invariant 4).
      if (!this.#socket.destroyed) this.#socket.destroy();
    };
    this.#onClose = () => this.#socketClosed();
    this.#onFinish = () => this.#writeSideFinished();
    this.#afterWrite = (error) => {
      if (error == null && this.#flow.canResume(this.#socket.writableLength)) {
        this.#flow.resume(this.#state === 'open');
      }
    };

    const stream = this.#socket;
    stream.on('error', this.#onError);
    stream.on('close', this.#onClose);
    if (this.#writable) stream.on('finish', this.#onFinish);
    if (this.#readable) {
      stream.pause(); // no 'data' before connectionMade ran (invariant 1)
      stream.on('data', this.#onData);
      stream.on('end', this.#onEnd);
      // Ended before we listened (the peer closed right after connecting): the EOF
      // is still owed to the protocol, after connectionMade.
      if ((stream as Partial<Readable>).readableEnded === true) this.#eofPending = true;
    }
    this.#rememberAddresses();
    this.#loop.callSoon(startTransport, this);
    trackResource(this.#loop, this); // aborted if still open when run() ends
    // TCP_NODELAY, as asyncio sets on every TCP transport: a small write (a reply, the
    // answers to pipelined requests) leaves at once instead of waiting on Nagle's timer
    // for the peer's ACK. A no-op on Unix sockets and pipes.
    if (this.#writable) (stream as Partial<Socket>).setNoDelay?.(true);
    if (stream.destroyed) {
      // Lost before we got it (reset right after connecting): 'close' already fired.
      this.#error = stream.errored == null ? undefined : toConnectionError(stream.errored);
      this.#socketClosed();
    }
  }

  // ── the lifecycle (module header) ────────────────────────────────────────

  /** close() or abort() was called, or startTls took the socket: write() throws. */
  #closedByUser(): boolean {
    const state = this.#state;
    return state === 'closing' || state === 'closed' || state === 'detached';
  }

  /** startTls took the socket (a method: a protocol callback may have changed the state). */
  #detached(): boolean {
    return this.#state === 'detached';
  }

  /** @internal The EOF kept while reading was paused, once reading resumed. */
  deliverPendingEof(): void {
    if (this.#eofPending && !this.#readingPaused) this.#endArrived();
  }

  /** @internal Runs connectionMade, then lets data flow (invariant 1). */
  start(): void {
    if (this.#state === 'detached') return;
    this.#started = true;
    const onStarted = this.#onStarted;
    this.#onStarted = undefined;
    try {
      if (this.#callConnectionMade) this.#protocol.connectionMade?.(this);
    } catch (error) {
      this.#fatalError(error, 'connectionMade');
      onStarted?.(error);
      return;
    }
    if (this.#readable && !this.#readingPaused && !this.#closedByUser()) {
      if (this.#state === 'open') this.#socket.resume();
      // An EOF that came before connectionMade is heard now, even if the socket then
      // closed by itself (a TLS socket ends both ways at once): before connectionLost.
      if (this.#eofPending) this.#endArrived();
    }
    onStarted?.(undefined);
  }

  // ── reading ──────────────────────────────────────────────────────────────

  #dataArrived(data: Buffer): void {
    if (this.#state !== 'open') return; // asyncio stops reading at close() (invariant 1)
    if (this.#loopGone()) return;
    if (!this.#buffered) {
      try {
        (this.#protocol as Protocol).dataReceived?.(data);
      } catch (error) {
        this.#fatalError(error, 'dataReceived');
      }
      return;
    }
    let rest: Buffer = data;
    try {
      // A BufferedProtocol may pause reading, switch protocols or start TLS in the
      // middle of a chunk (invariant 2): the rest must not reach it regardless.
      while (rest.length > 0 && this.#state === 'open' && !this.#readingPaused) {
        if (!this.#buffered) {
          (this.#protocol as Protocol).dataReceived?.(rest);
          return;
        }
        rest = this.#feedBuffered(rest);
      }
    } catch (error) {
      this.#fatalError(error, this.#buffered ? 'bufferUpdated' : 'dataReceived');
      return;
    }
    // Paused, or detached by startTls: the bytes go back to the front of the socket's
    // buffer, for resumeReading() or for the TLS socket that takes the stream over.
    if (rest.length > 0 && (this.#readingPaused || this.#detached())) {
      this.#socket.unshift(rest);
    }
  }

  /** Feeds `data` to the buffered protocol until it is consumed or the protocol changes; returns the rest. */
  #feedBuffered(data: Buffer): Buffer {
    const protocol = this.#protocol as BufferedProtocol;
    let offset = 0;
    while (
      offset < data.length &&
      this.#state === 'open' &&
      !this.#readingPaused &&
      this.#protocol === protocol
    ) {
      const remaining = data.length - offset;
      const buffer = protocol.getBuffer(remaining);
      if (!(buffer instanceof Uint8Array) || buffer.length === 0) {
        throw new TypeError(
          `getBuffer() must return a non-empty Uint8Array; got ${describeValue(buffer)}`,
        );
      }
      const count = Math.min(buffer.length, remaining);
      buffer.set(
        offset === 0 && count === data.length ? data : data.subarray(offset, offset + count),
      );
      offset += count;
      protocol.bufferUpdated(count);
    }
    return offset === 0 ? data : data.subarray(offset);
  }

  #endArrived(): void {
    if (this.#loopGone()) return;
    if (this.#closedByUser()) {
      // The peer answered our close (a TLS close_notify): nothing more to wait for.
      if (this.#socket.writableFinished) this.#socket.destroy();
      return;
    }
    if (!this.#started || this.#readingPaused) {
      // Node can end a paused stream whose buffer is empty: keep the EOF for start()
      // or resumeReading(), so that it never comes before connectionMade (invariant 1).
      this.#eofPending = true;
      return;
    }
    this.#eofPending = false;
    let keepOpen: unknown;
    try {
      keepOpen = this.#protocol.eofReceived?.();
    } catch (error) {
      this.#fatalError(error, 'eofReceived');
      return;
    }
    // A read-only pipe and TLS cannot stay half-open (asyncio ignores the answer there).
    // If our side ended already, Node closes the socket now that both sides did.
    if (keepOpen === true && this.canWriteEof()) return;
    this.close();
  }

  // ── closing ──────────────────────────────────────────────────────────────

  #writeSideFinished(): void {
    if (this.#state !== 'closing') return; // only a close() waits for its EOF to go out
    if (!this.#tls) {
      this.#socket.destroy();
      return;
    }
    // TLS: our close_notify is out; give the peer sslShutdownTimeout to answer.
    this.#shutdownTimer = this.#loop.callLater(this.#sslShutdownTimeout, destroySocket, this);
  }

  /** @internal Destroys the socket (the TLS shutdown timer). */
  destroySocket(): void {
    this.#socket.destroy();
  }

  #socketClosed(): void {
    const state = this.#state;
    if (state === 'detached' || state === 'lost' || state === 'closed') return;
    this.#state = state === 'closing' ? 'closed' : 'lost';
    this.#shutdownTimer?.cancel();
    untrackResource(this.#loop, this);
    // A loop that is closed runs nothing more: nobody is left to tell.
    if (this.#loop.isClosed()) return;
    this.#loop.callSoon(connectionLost, this);
  }

  /** The loop is closed: nobody is left to hear anything (abandons the transport). */
  #loopGone(): boolean {
    if (!this.#loop.isClosed()) return false;
    this.abandon();
    return true;
  }

  /** @internal Its loop is shutting down or closed with this still open: drop it now. */
  abandon(): void {
    const state = this.#state;
    if (state === 'open') this.#state = 'dropping';
    else if (state !== 'closing' && state !== 'dropping') return; // gone, or not ours
    this.#socket.destroy(); // a close() in progress (a TLS shutdown) ends now too
  }

  /** @internal For the debug-mode report of an unclosed transport. */
  describeResource(): string {
    const peer = this.getExtraInfo<{ address?: string; port?: number } | string>('peername');
    const where =
      typeof peer === 'string'
        ? peer
        : peer?.port === undefined
          ? ''
          : ` to ${peer.address}:${peer.port}`;
    return `transport${where}`;
  }

  /** @internal Tells the protocol (once) and the owning server that the connection is gone. */
  callConnectionLost(): void {
    const error = this.#error;
    try {
      this.#protocol.connectionLost?.(error);
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: 'Exception in protocol.connectionLost()',
        exception,
        transport: this,
        protocol: this.#protocol,
      });
    } finally {
      const owner = this.#owner;
      this.#owner = undefined;
      owner?.detach(this);
    }
  }

  #fatalError(exception: unknown, callbackName: string): void {
    this.#loop.callExceptionHandler({
      message: `Fatal error: protocol.${callbackName}() call failed.`,
      exception,
      transport: this,
      protocol: this.#protocol,
    });
    if (this.#error === undefined) {
      this.#error = exception instanceof Error ? exception : new Error(String(exception));
    }
    this.abort();
  }

  close(): void {
    const state = this.#state;
    if (state === 'lost') this.#state = 'closed';
    if (state !== 'open' && state !== 'dropping') return;
    this.#state = 'closing';
    const stream = this.#socket;
    if (!this.#writable) {
      stream.destroy();
      return;
    }
    if (!stream.writableEnded) stream.end();
    else if (stream.writableFinished) this.#writeSideFinished();
  }

  abort(): void {
    const state = this.#state;
    if (state === 'lost') this.#state = 'closed';
    if (state !== 'open' && state !== 'dropping' && state !== 'closing') return;
    this.#state = 'closing';
    this.#socket.destroy();
  }

  isClosing(): boolean {
    return this.#state !== 'open';
  }

  // ── writing ──────────────────────────────────────────────────────────────

  write(data: Uint8Array | string): void {
    let bytes: Uint8Array;
    if (typeof data === 'string') bytes = Buffer.from(data, 'utf8');
    else if (data instanceof Uint8Array) bytes = data;
    else throw new TypeError(`data must be a Uint8Array or a string; got ${describeValue(data)}`);
    if (!this.#canWrite('write')) return;
    if (bytes.length === 0) return;
    const stream = this.#socket;
    if (this.#flow.needsWriteCallback(stream.writableLength, bytes.length)) {
      stream.write(bytes, this.#afterWrite);
    } else {
      stream.write(bytes);
    }
    this.#flow.maybePause(stream.writableLength);
  }

  writeLines(chunks: Iterable<Uint8Array | string>): void {
    if (typeof chunks !== 'object' || chunks === null || !(Symbol.iterator in chunks)) {
      throw new TypeError(
        `chunks must be an iterable of Uint8Array or string; got ${describeValue(chunks)}`,
      );
    }
    const list: Uint8Array[] = [];
    for (const chunk of chunks) {
      if (typeof chunk === 'string') list.push(Buffer.from(chunk, 'utf8'));
      else if (chunk instanceof Uint8Array) list.push(chunk);
      else {
        throw new TypeError(
          `each chunk must be a Uint8Array or a string; got ${describeValue(chunk)}`,
        );
      }
    }
    if (!this.#canWrite('writeLines')) return;
    const stream = this.#socket;
    stream.cork();
    for (const bytes of list) if (bytes.length > 0) stream.write(bytes, this.#afterWrite);
    stream.uncork();
    this.#flow.maybePause(stream.writableLength);
  }

  writeEof(): void {
    // Checked first, even when closing: asyncio's TLS transport refuses it whatever its state.
    if (!this.canWriteEof()) {
      throw new InvalidStateError(
        this.#tls
          ? 'writeEof() is not supported by TLS transports'
          : 'writeEof() called on a read-only transport',
      );
    }
    if (this.#eofWritten || this.#state !== 'open') return;
    this.#eofWritten = true;
    this.#socket.end();
  }

  canWriteEof(): boolean {
    return this.#writable && !this.#tls;
  }

  getWriteBufferSize(): number {
    // Once aborted or lost the buffer is dropped (asyncio's _force_close clears it),
    // though Node may still count a write that was in flight.
    if (!this.#writable || this.#state === 'detached' || this.#socket.destroyed) return 0;
    return this.#socket.writableLength;
  }

  setWriteBufferLimits(limits?: WriteBufferLimits): void {
    this.#flow.setLimits(limits, this.getWriteBufferSize());
    // A write that went out without the callback (invariant 3) may still be in Node's
    // buffer, and the new limits may make its completion the moment to resume: an
    // empty write behind it carries the callback (Node completes writes in order).
    const stream = this.#socket;
    if (stream.writableLength > 0 && this.#state === 'open' && !stream.writableEnded) {
      stream.write(EMPTY_WRITE, this.#afterWrite);
    }
  }

  getWriteBufferLimits(): { high: number; low: number } {
    return this.#flow.limits();
  }

  /** Throws where the lifecycle says write() throws; false where it drops (invariant 6). */
  #canWrite(method: string): boolean {
    if (!this.#writable) {
      throw new InvalidStateError(`${method}() called on a read-only transport`);
    }
    if (this.#eofWritten) throw new InvalidStateError(`${method}() called after writeEof()`);
    if (this.#closedByUser()) {
      throw new InvalidStateError(`${method}() called on a closed transport`);
    }
    return this.#state === 'open'; // lost by itself, or dropping: drop silently
  }

  // ── reading control ──────────────────────────────────────────────────────

  pauseReading(): void {
    if (this.#state !== 'open' || this.#readingPaused || !this.#readable) return;
    this.#readingPaused = true;
    this.#socket.pause();
  }

  resumeReading(): void {
    if (this.#state !== 'open' || !this.#readingPaused) return;
    this.#readingPaused = false;
    if (!this.#started) return;
    this.#socket.resume();
    if (this.#eofPending) this.#loop.callSoon(deliverEof, this);
  }

  isReading(): boolean {
    return this.#readable && !this.#readingPaused && this.#state === 'open';
  }

  // ── protocol and information ─────────────────────────────────────────────

  getProtocol(): StreamProtocol {
    return this.#protocol;
  }

  setProtocol(protocol: StreamProtocol): void {
    requireProtocol(protocol);
    this.#protocol = protocol;
    this.#buffered = typeof (protocol as BufferedProtocol).getBuffer === 'function';
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    const value = this.#extraInfo(name);
    return value === undefined ? defaultValue : (value as V);
  }

  #extraInfo(name: string): unknown {
    const extra = this.#extra;
    if (extra !== undefined && Object.hasOwn(extra, name)) return extra[name];
    const socket = this.#socket as unknown as Partial<TLSSocket>;
    switch (name) {
      case 'socket':
        return this.#socket;
      case 'peername':
        this.#rememberAddresses();
        return this.#peername === undefined ? undefined : { ...this.#peername };
      case 'sockname':
        this.#rememberAddresses();
        return this.#sockname === undefined ? undefined : { ...this.#sockname };
      case 'sslobject':
        return this.#tls ? socket : undefined;
      case 'peercert': {
        if (!this.#tls || typeof socket.getPeerCertificate !== 'function') return undefined;
        const certificate = socket.getPeerCertificate();
        return certificate === null || Object.keys(certificate).length === 0
          ? undefined
          : certificate;
      }
      case 'cipher':
        return this.#tls && typeof socket.getCipher === 'function' ? socket.getCipher() : undefined;
      default:
        return undefined;
    }
  }

  /** Reads the socket's addresses while it has them (asyncio reads them at creation). */
  #rememberAddresses(): void {
    if (this.#peername !== undefined && this.#sockname !== undefined) return;
    const socket = this.#socket as unknown as Partial<TLSSocket>;
    this.#peername ??= addressInfo(socket.remoteAddress, socket.remoteFamily, socket.remotePort);
    this.#sockname ??= addressInfo(socket.localAddress, socket.localFamily, socket.localPort);
  }

  // ── startTls ─────────────────────────────────────────────────────────────

  /**
   * @internal startTls: stops listening to the socket (another transport takes it
   * over) and makes this one inert: no more callbacks, writes throw.
   */
  detachSocket(): Duplex {
    const stream = this.#socket;
    this.#state = 'detached';
    untrackResource(this.#loop, this);
    stream.pause();
    stream.removeListener('error', this.#onError);
    stream.removeListener('close', this.#onClose);
    stream.removeListener('finish', this.#onFinish);
    stream.removeListener('data', this.#onData);
    stream.removeListener('end', this.#onEnd);
    return stream;
  }

  /**
   * @internal A startTls of this (detached) transport failed: `protocol` hears
   * `connectionLost(error)` on the loop, as from a connection lost by itself.
   */
  loseDetached(protocol: StreamProtocol, error: Error): void {
    this.#protocol = protocol;
    this.#error = error;
    if (!this.#loop.isClosed()) this.#loop.callSoon(connectionLost, this);
  }

  /** @internal The server this transport reports to (startTls hands it on). */
  takeOwner(): TransportOwner | undefined {
    const owner = this.#owner;
    this.#owner = undefined;
    return owner;
  }

  /** @internal The loop of this transport. */
  getLoop(): Loop {
    return this.#loop;
  }
}

function startTransport(transport: SocketTransport): void {
  transport.start();
}

function deliverEof(transport: SocketTransport): void {
  transport.deliverPendingEof();
}

function connectionLost(transport: SocketTransport): void {
  transport.callConnectionLost();
}

function destroySocket(transport: SocketTransport): void {
  transport.destroySocket();
}

/** The empty write that carries the write callback behind writes that went without it. */
const EMPTY_WRITE = new Uint8Array(0);

type PeerAddress = { address: string; family: string; port: number };

function addressInfo(
  address: string | undefined,
  family: string | undefined,
  port: number | undefined,
): PeerAddress | undefined {
  if (address === undefined || port === undefined) return undefined;
  return { address, family: family ?? (address.includes(':') ? 'IPv6' : 'IPv4'), port };
}
