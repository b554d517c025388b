/*
 * StreamWriter: asyncio's StreamWriter, a transport's write side with drain() and
 * waitClosed() (and a TLS upgrade).
 *
 * Invariants
 *   1. write() and writeLines() go straight to the transport: no buffering, no
 *      promise. drain() is where a writer waits, and only while the protocol says
 *      the transport paused writing; otherwise it returns an already resolved
 *      promise, so `write(); await drain()` in a loop costs no Future per write.
 *   2. drain() throws the reader's exception if the connection broke (the socket's
 *      error). On a closing transport it yields one loop iteration, so that a
 *      connectionLost() already due can run and its error be the one thrown, then
 *      throws ConnectionLostError: a write/drain loop on a closed connection ends
 *      instead of spinning (bpo-25441; asyncio raises ConnectionResetError there).
 *   3. waitClosed() waits on a Future of its own linked to the protocol's close
 *      Future: cancelling one waitClosed() cancels nothing shared.
 *   4. `await using` closes gracefully, except in a task being cancelled: there it
 *      aborts, since flushing to a peer that may never read would keep the socket
 *      (and the cancelled task) alive for ever.
 *
 * Tested by test/stream-writer.test.ts, test/connection.test.ts, test/tls.test.ts and
 * test/adapters.test.ts.
 */

import type { Writable } from 'node:stream';
import { currentTask, Future, type SignalOptions, sleep } from '@coro/futures';
import { describeValue, type Loop } from '@coro/loop';
import {
  type BaseProtocol,
  type ClientSsl,
  type ServerSsl,
  type StartTlsOptions,
  startTls,
  type Transport,
  type WriteTransport,
} from '@coro/transports';
import { ConnectionLostError } from './errors.js';
import { FlowControlProtocol, type StreamWriterProtocol } from './flow-control.js';
import type { StreamReader } from './stream-reader.js';
import { readSignal, StreamWaiter, waiterOptions } from './waiter.js';
import { NodeWritableTransport, WebWritableTransport } from './writable-sinks.js';

/**
 * Options of `StreamWriter.startTls()`: those of `@coro/transports`' `startTls`
 * except `serverSide` (a writer knows its side) and `loop`.
 *
 * @example
 * ```ts
 * import type { StreamWriter, WriterTlsOptions } from '@coro/streams';
 *
 * // serverHostname: the name the certificate must carry (and the SNI sent);
 * // sslHandshakeTimeout: give up the handshake after 10 s instead of 60
 * const options: WriterTlsOptions = { serverHostname: 'mail.example.com', sslHandshakeTimeout: 10_000 };
 * async function secure(writer: StreamWriter): Promise<void> {
 *   await writer.startTls(true, options); // true: verify against Node's CA store
 * }
 * ```
 */
export type WriterTlsOptions = Omit<StartTlsOptions, 'serverSide' | 'loop'>;

/** A protocol that can upgrade its connection to TLS (a StreamReaderProtocol). */
interface TlsUpgradable extends BaseProtocol<never> {
  readonly serverSide: boolean;
  replaceTransport(transport: Transport): void;
}

/**
 * asyncio's StreamWriter: writes to a transport, `drain()` to wait while the
 * transport's buffer is over its high-water mark, `close()` and `waitClosed()`.
 * `openConnection` and `startServer` hand you one; `await using` closes it and waits.
 *
 * @example
 * ```ts
 * import { openConnection, startServer } from '@coro/streams';
 *
 * const server = await startServer(async (reader, writer) => {
 *   writer.write(await reader.readLine());
 *   await writer.drain();
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const { port } = server.addresses()[0] as { port: number };
 * const [reader, writer] = await openConnection('127.0.0.1', port);
 * writer.write('ping\n');
 * await writer.drain();
 * console.log(String(await reader.readLine()).trimEnd()); // ping
 * writer.close();
 * await writer.waitClosed();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export class StreamWriter {
  #transport: WriteTransport;
  readonly #protocol: StreamWriterProtocol;
  readonly #reader: StreamReader | null;
  readonly #loop: Loop | undefined;

  /**
   * @param transport - The transport to write to.
   * @param protocol - The transport's protocol: a `StreamReaderProtocol`, a
   *   `FlowControlProtocol`, or any `StreamWriterProtocol`.
   * @param reader - The reader of the same connection, whose exception `drain()`
   *   reports (null if there is none).
   * @param loop - The loop of the writer's waits. @defaultValue the running loop
   * @throws TypeError if `transport` or `protocol` lacks what a writer needs.
   */
  constructor(
    transport: WriteTransport,
    protocol: StreamWriterProtocol,
    reader: StreamReader | null = null,
    loop?: Loop,
  ) {
    if (
      typeof transport !== 'object' ||
      transport === null ||
      typeof transport.write !== 'function'
    ) {
      throw new TypeError(`transport must be a WriteTransport; got ${describeValue(transport)}`);
    }
    if (
      typeof protocol !== 'object' ||
      protocol === null ||
      typeof protocol.drainHelper !== 'function' ||
      typeof protocol.getCloseWaiter !== 'function'
    ) {
      throw new TypeError(
        `protocol must have drainHelper() and getCloseWaiter() (a FlowControlProtocol); got ${describeValue(protocol)}`,
      );
    }
    this.#transport = transport;
    this.#protocol = protocol;
    this.#reader = reader;
    this.#loop = loop;
  }

  /**
   * A writer over a Node `Writable` (a file stream, `process.stdout`, a child's
   * stdin, any `node:stream` sink): `write()` hands it the bytes, `drain()` waits
   * while it is above its `highWaterMark` (until its 'drain'), `writeEof()` and
   * `close()` end it, `waitClosed()` waits until it finished (and throws its error,
   * if it failed), `abort()` on the transport destroys it.
   *
   * @param options.loop - The loop of the writer's waits. @defaultValue the running loop
   * @throws TypeError if `writable` is not a Node Writable.
   * @example
   * ```ts
   * import { PassThrough } from 'node:stream';
   * import { text } from 'node:stream/consumers';
   * import { StreamWriter } from '@coro/streams';
   *
   * const sink = new PassThrough();
   * const writer = StreamWriter.fromNode(sink);
   * writer.write('written through a StreamWriter\n');
   * await writer.drain();
   * writer.close();
   * await writer.waitClosed();
   * console.log((await text(sink)).trimEnd()); // written through a StreamWriter
   * ```
   */
  static fromNode(writable: Writable, options?: { loop?: Loop | undefined }): StreamWriter {
    const loop = readLoopOption(options);
    const protocol = new FlowControlProtocol(loop);
    return new StreamWriter(
      new NodeWritableTransport(writable, protocol, loop),
      protocol,
      null,
      loop,
    );
  }

  /**
   * A writer over a Web `WritableStream`: as {@link StreamWriter.fromNode}; `drain()`
   * waits while more than 64 KiB of writes are unfinished (change it with
   * `writer.transport.setWriteBufferLimits()`). The stream is locked to the writer.
   *
   * @param options.loop - The loop of the writer's waits. @defaultValue the running loop
   * @throws TypeError if `stream` is not a WritableStream.
   * @example
   * ```ts
   * import { StreamWriter } from '@coro/streams';
   *
   * const chunks: string[] = [];
   * const writer = StreamWriter.fromWeb(new WritableStream({ write: (chunk) => { chunks.push(String(chunk)); } }));
   * writer.write(Buffer.from('to the web'));
   * writer.close();
   * await writer.waitClosed();
   * console.log(chunks.join('')); // to the web
   * ```
   */
  static fromWeb(
    stream: WritableStream<Uint8Array>,
    options?: { loop?: Loop | undefined },
  ): StreamWriter {
    const loop = readLoopOption(options);
    const protocol = new FlowControlProtocol(loop);
    return new StreamWriter(new WebWritableTransport(stream, protocol, loop), protocol, null, loop);
  }

  /**
   * The transport the writer writes to (a new one after `startTls()`).
   *
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * function bufferedBytes(writer: StreamWriter): number {
   *   return writer.transport.getWriteBufferSize();
   * }
   * ```
   */
  get transport(): WriteTransport {
    return this.#transport;
  }

  /**
   * Queues `data` for sending (a string is sent as UTF-8). It never waits: call
   * `drain()` after writing to let the transport's buffer go down.
   *
   * @throws the transport's error if it is closing or was half-closed with `writeEof()`.
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * async function send(writer: StreamWriter, message: string) {
   *   writer.write(`${message}\n`);
   *   await writer.drain();
   * }
   * ```
   */
  write(data: Uint8Array | string): void {
    this.#transport.write(data);
  }

  /**
   * Queues each chunk of `chunks`, in order, as one write.
   *
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * function sendHeaders(writer: StreamWriter, headers: string[]) {
   *   writer.writeLines(headers.map((header) => `${header}\r\n`));
   * }
   * ```
   */
  writeLines(chunks: Iterable<Uint8Array | string>): void {
    this.#transport.writeLines(chunks);
  }

  /**
   * Half-closes: sends what is buffered, then the end of the stream; reading goes
   * on. Only where `canWriteEof()` (not over TLS).
   *
   * @example
   * ```ts
   * import type { StreamReader, StreamWriter } from '@coro/streams';
   *
   * async function request(reader: StreamReader, writer: StreamWriter, body: string) {
   *   writer.write(body);
   *   writer.writeEof(); // the server reads to EOF, then answers
   *   return reader.read();
   * }
   * ```
   */
  writeEof(): void {
    this.#transport.writeEof();
  }

  /**
   * Whether the transport supports `writeEof()`.
   *
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * function finish(writer: StreamWriter) {
   *   if (writer.canWriteEof()) writer.writeEof(); else writer.close();
   * }
   * ```
   */
  canWriteEof(): boolean {
    return this.#transport.canWriteEof();
  }

  /**
   * Closes the connection once what is buffered is sent; `waitClosed()` tells when
   * it is done. Idempotent.
   *
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * async function hangUp(writer: StreamWriter) {
   *   writer.close();
   *   await writer.waitClosed();
   * }
   * ```
   */
  close(): void {
    this.#transport.close();
  }

  /**
   * Whether the writer is closed or closing (or the connection was lost).
   *
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * function sendIfOpen(writer: StreamWriter, data: string) {
   *   if (!writer.isClosing()) writer.write(data);
   * }
   * ```
   */
  isClosing(): boolean {
    return this.#transport.isClosing();
  }

  /**
   * Waits until the connection is closed. Throws the connection's error if it
   * ended with one. Cancelling the waiting task (or aborting `signal`) gives up the
   * wait only.
   *
   * @throws the error the connection was lost with, if any.
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * async function hangUp(writer: StreamWriter) {
   *   writer.close();
   *   await writer.waitClosed({ signal: AbortSignal.timeout(5_000) });
   * }
   * ```
   */
  async waitClosed(options?: SignalOptions): Promise<void> {
    const signal = readSignal(options);
    if (signal?.aborted) throw signal.reason;
    const closed = this.#protocol.getCloseWaiter(this);
    if (closed instanceof Future && closed.done()) {
      await closed;
      return;
    }
    // A Future of our own, so a cancellation stays here (invariant 3).
    const waiter = new StreamWaiter(
      waiterOptions(this.#loop),
      signal,
      'StreamWriter.waitClosed',
      null,
    );
    const relay = (): void => {
      const error = (closed as Future<void>).exception();
      if (error === null) waiter.wake();
      else waiter.fail(error);
    };
    if (closed instanceof Future) closed.addDoneCallback(relay);
    else {
      closed.then(
        () => waiter.wake(),
        (error: unknown) => waiter.fail(error),
      );
    }
    try {
      await waiter;
    } finally {
      waiter.finish();
      if (closed instanceof Future) closed.removeDoneCallback(relay);
    }
  }

  /**
   * Optional information about the transport (`peername`, `sockname`, `socket`,
   * `peercert`, `cipher`…), or `defaultValue`.
   *
   * @example
   * ```ts
   * import type { SocketAddress } from '@coro/transports';
   * import type { StreamWriter } from '@coro/streams';
   *
   * function peer(writer: StreamWriter): string {
   *   const address = writer.getExtraInfo<SocketAddress>('peername');
   *   return address === undefined ? 'unknown' : `${address.address}:${address.port}`;
   * }
   * ```
   */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return this.#transport.getExtraInfo<V>(name, defaultValue);
  }

  /**
   * Waits while the transport's write buffer is over its high-water mark (returns
   * at once otherwise). Call it after writes so a fast writer cannot fill memory.
   * Cancellable (task or `signal`).
   *
   * @throws the connection's error if it broke; {@link ConnectionLostError} once it
   *   is lost or closing.
   * @example
   * ```ts
   * import type { StreamWriter } from '@coro/streams';
   *
   * async function sendAll(writer: StreamWriter, chunks: Uint8Array[]) {
   *   for (const chunk of chunks) {
   *     writer.write(chunk);
   *     await writer.drain(); // waits only while the peer is slower than we are
   *   }
   * }
   * ```
   */
  drain(options?: SignalOptions): Promise<void> {
    const reader = this.#reader;
    if (reader !== null) {
      const error = reader.exception();
      if (error !== null) return Promise.reject(error);
    }
    if (this.#transport.isClosing()) return this.#drainClosing(options);
    return this.#protocol.drainHelper(options);
  }

  async #drainClosing(options: SignalOptions | undefined): Promise<void> {
    readSignal(options);
    // Let connectionLost() run first, so its error is the one thrown (invariant 2).
    await sleep(0);
    const error = this.#reader?.exception();
    if (error !== null && error !== undefined) throw error;
    throw new ConnectionLostError('the connection is closing');
  }

  /**
   * A Web `WritableStream` that writes into this writer, with backpressure: each
   * chunk (bytes or a string) is written and its write resolves after `drain()`.
   * Closing the WritableStream half-closes the connection (`writeEof()`) where the
   * transport can, and closes it otherwise; aborting it aborts the transport.
   * Write through the WritableStream only from then on.
   *
   * @example
   * ```ts
   * import { PassThrough } from 'node:stream';
   * import { text } from 'node:stream/consumers';
   * import { StreamWriter } from '@coro/streams';
   *
   * const sink = new PassThrough();
   * const writer = StreamWriter.fromNode(sink);
   * await new Blob(['piped ', 'from a Blob']).stream().pipeTo(writer.toWeb());
   * console.log(await text(sink)); // piped from a Blob
   * ```
   */
  toWeb(): WritableStream<Uint8Array | string> {
    return new WritableStream<Uint8Array | string>({
      write: (chunk) => {
        this.write(chunk);
        return this.drain();
      },
      close: async () => {
        if (this.canWriteEof()) {
          this.writeEof();
          await this.drain().catch(() => {}); // what was written is on its way
        } else {
          this.close();
          await this.waitClosed();
        }
      },
      abort: () => {
        this.#transport.abort();
      },
    });
  }

  /**
   * Closes the writer and waits until the connection is closed (`await using`).
   * In a task that is being cancelled it aborts instead (unsent bytes are dropped:
   * a peer that does not read must not keep the socket open). An error the
   * connection ended with is not thrown here: reads and `drain()` report it.
   *
   * @example
   * ```ts
   * import { openConnection, startServer } from '@coro/streams';
   *
   * const server = await startServer((_reader, writer) => writer.close(), '127.0.0.1', 0);
   * const { port } = server.addresses()[0] as { port: number };
   * {
   *   await using connection = (await openConnection('127.0.0.1', port))[1];
   *   console.log(connection.isClosing()); // false
   * } // closed here
   * server.close();
   * await server.waitClosed();
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    const task = currentTask();
    if (task !== undefined && task.cancelling() > 0) this.#transport.abort();
    else this.close();
    try {
      await this.waitClosed();
    } catch {
      // The connection's error was for reads and drain() to report.
    }
  }

  /**
   * Upgrades the connection to TLS in place (asyncio 3.11's `StreamWriter.start_tls`),
   * e.g. after a STARTTLS exchange: waits for `drain()`, runs the handshake (as the
   * server on a connection `startServer` accepted, as the client otherwise), and
   * from then on the writer and its reader speak TLS. `transport` is the new one.
   * A client verifies the server's certificate and host name unless `ssl` says
   * `rejectUnauthorized: false`.
   *
   * @param ssl - Client: `true` (Node's CA store), `tls.ConnectionOptions` or a
   *   `SecureContext`; server: `tls.TlsOptions` (key and cert) or a `SecureContext`.
   * @throws TypeError if the writer's protocol is not a `StreamReaderProtocol`;
   *   rejects with the TLS error if the handshake fails, `TimeoutError` after
   *   `sslHandshakeTimeout`, `CancelledError` or the signal's reason; the
   *   connection is closed in each case, and the reader's reads and `waitClosed()`
   *   then throw that error (a cancellation as `ConnectionAbortedError`).
   * @example
   * ```ts
   * import type { StreamReader, StreamWriter } from '@coro/streams';
   *
   * async function upgrade(reader: StreamReader, writer: StreamWriter, ca: string) {
   *   writer.write('STARTTLS\r\n');
   *   if (String(await reader.readLine()).startsWith('220')) {
   *     await writer.startTls({ ca }, { serverHostname: 'mail.example.com' });
   *   }
   * }
   * ```
   */
  async startTls(ssl: ClientSsl | ServerSsl, options?: WriterTlsOptions): Promise<void> {
    const protocol = this.#protocol;
    if (!isTlsUpgradable(protocol)) {
      throw new TypeError(
        'startTls() needs a StreamWriter whose protocol is a StreamReaderProtocol',
      );
    }
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    await this.drain(options);
    const upgraded = await startTls(this.#transport as Transport, protocol, ssl, {
      ...options,
      serverSide: protocol.serverSide,
    });
    this.#transport = upgraded;
    protocol.replaceTransport(upgraded);
  }

  get [Symbol.toStringTag](): string {
    return `StreamWriter${this.#transport.isClosing() ? ' closing' : ''}`;
  }
}

/** @internal Whether `protocol` can upgrade its connection (a StreamReaderProtocol). */
export function isTlsUpgradable(protocol: unknown): protocol is TlsUpgradable {
  return (
    typeof protocol === 'object' &&
    protocol !== null &&
    typeof (protocol as Partial<TlsUpgradable>).replaceTransport === 'function' &&
    typeof (protocol as Partial<TlsUpgradable>).serverSide === 'boolean'
  );
}

function readLoopOption(options: { loop?: Loop | undefined } | undefined): Loop | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  return options.loop;
}
