/*
 * transport: what a transport offers its protocol and its user, asyncio's
 * BaseTransport / ReadTransport / WriteTransport / Transport / DatagramTransport /
 * SubprocessTransport, as interfaces. The classes that implement them live one per
 * file (a socket transport, a datagram transport, a subprocess transport).
 *
 * Flow control contract (every writing transport)
 *   - write() never blocks and never drops: bytes the OS did not take yet wait in
 *     the transport's buffer; getWriteBufferSize() counts them.
 *   - When that buffer goes above the high-water mark the protocol's pauseWriting()
 *     is called; when it drains to the low-water mark, resumeWriting(). Defaults:
 *     high 64 KiB, low high / 4 (asyncio's).
 *   - pauseReading() stops reading from the OS (so the peer's sends back up);
 *     resumeReading() starts again. Both are no-ops when closing.
 *   - close() flushes the buffer, then closes; abort() drops it and closes now.
 *     Either way the protocol's connectionLost() runs once, on the loop.
 *   - The write side lives once, in write-flow-control.ts, for every transport.
 *
 * The docs of the methods live here, on the interfaces; the classes that implement
 * them document only what is their own.
 */

import type { BaseProtocol, SocketAddress } from './protocols.js';

/**
 * Write-buffer limits of a transport, in bytes.
 *
 * @example
 * ```ts
 * import { createServer, type Protocol, type WriteBufferLimits } from '@coro/transports';
 *
 * // A file server: queue up to 1 MiB per client before pauseWriting(), resume at 256 KiB
 * const limits: WriteBufferLimits = { high: 1_048_576, low: 262_144 };
 * const server = await createServer((): Protocol => ({
 *   connectionMade: (transport) => transport.setWriteBufferLimits(limits),
 *   pauseWriting: () => console.log('client is slow: stop reading the file'),
 *   resumeWriting: () => console.log('client caught up: read on'),
 * }), '127.0.0.1', 0);
 * server.close();
 * ```
 */
export interface WriteBufferLimits {
  /** `pauseWriting()` is called above this. @defaultValue 65536 (or 4 × low if only low is given) */
  high?: number;
  /** `resumeWriting()` is called at or below this. @defaultValue high / 4 */
  low?: number;
}

/**
 * What every transport has: closing, extra information, and its protocol.
 *
 * @example
 * ```ts
 * import type { BaseTransport } from '@coro/transports';
 *
 * function describe(transport: BaseTransport): string {
 *   return transport.isClosing() ? 'closing' : `open to ${JSON.stringify(transport.getExtraInfo('peername'))}`;
 * }
 * ```
 */
export interface BaseTransport<P extends BaseProtocol<never> = BaseProtocol<never>> {
  /**
   * Closes the transport: stops reading at once, writes what is buffered, then
   * closes the connection; `connectionLost(undefined)` follows on the loop. A TLS
   * transport sends close_notify and waits up to `sslShutdownTimeout` for the
   * peer's. Idempotent.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * function bye(transport: Transport) {
   *   transport.write('bye\n');
   *   transport.close(); // 'bye' is still sent
   * }
   * ```
   */
  close(): void;
  /**
   * True once `close()` or `abort()` was called or the connection was lost.
   *
   * @example
   * ```ts
   * import type { Protocol, Transport } from '@coro/transports';
   *
   * // A heartbeat timer may fire after the connection ended, and write() would then throw
   * let transport: Transport | undefined;
   * const protocol: Protocol = { connectionMade: (t) => { transport = t; } };
   * setInterval(() => {
   *   if (transport !== undefined && !transport.isClosing()) transport.write('ping\n');
   * }, 1_000).unref();
   * ```
   */
  isClosing(): boolean;
  /**
   * Information about the connection: `peername` and `sockname` (an
   * `{ address, family, port }` {@link SocketAddress}, or the path of a Unix socket),
   * `socket` (the Node socket), for TLS `peercert` (Node's certificate object),
   * `cipher` (`{ name, standardName, version }`) and `sslobject` (the TLSSocket), and
   * `pipe`, `subprocess` where they apply. Anything else, or a name without a value,
   * returns `defaultValue`.
   *
   * @example
   * ```ts
   * import { createServer, type Protocol, type SocketAddress } from '@coro/transports';
   *
   * // Log who connected, and whether the connection is encrypted
   * const server = await createServer((): Protocol => ({
   *   connectionMade(transport) {
   *     const peer = transport.getExtraInfo<SocketAddress>('peername');
   *     console.log(`client ${peer?.address}:${peer?.port}`); // client 127.0.0.1:…
   *     console.log(transport.getExtraInfo('cipher', 'no TLS')); // no TLS
   *   },
   * }), '127.0.0.1', 0);
   * server.close();
   * ```
   */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined;
  /**
   * The protocol this transport calls.
   *
   * @example
   * ```ts
   * import { createConnection, type Protocol } from '@coro/transports';
   *
   * class LineCounter implements Protocol {
   *   lines = 0;
   *   dataReceived(data: Uint8Array) { this.lines += data.filter((byte) => byte === 10).length; }
   * }
   * // Code that holds only the transport (a registry of connections, say) reaches the protocol
   * const [transport] = await createConnection(() => new LineCounter(), 'example.com', 80);
   * console.log(transport.getProtocol().lines); // 0, typed as a LineCounter
   * transport.close();
   * ```
   */
  getProtocol(): P;
  /**
   * Switches the protocol the transport calls from the next event on (asyncio's
   * set_protocol; a stream transport takes a `BufferedProtocol` or a `Protocol`);
   * `connectionMade` is not called again.
   *
   * @throws TypeError if `protocol` is not an object.
   * @example
   * ```ts
   * import type { Protocol, Transport } from '@coro/transports';
   *
   * // Read a one-line hello, then hand the connection to the protocol that speaks the app
   * function helloThen(app: Protocol): Protocol {
   *   let transport: Transport;
   *   return {
   *     connectionMade: (t) => { transport = t; },
   *     dataReceived: (data) => {
   *       if (String(data).startsWith('HELLO')) transport.setProtocol(app); // app gets the next bytes
   *     },
   *   };
   * }
   * ```
   */
  setProtocol(protocol: P): void;
}

/**
 * The reading half: pause and resume reading from the OS.
 *
 * @example
 * ```ts
 * import type { ReadTransport } from '@coro/transports';
 *
 * // Stop reading while a slow consumer works through what arrived, then read on
 * async function consumeSlowly(transport: ReadTransport, work: () => Promise<void>): Promise<void> {
 *   transport.pauseReading(); // the peer's sends back up in the OS buffers meanwhile
 *   try {
 *     await work();
 *   } finally {
 *     transport.resumeReading();
 *   }
 * }
 * ```
 */
export interface ReadTransport<P extends BaseProtocol<never> = BaseProtocol<never>>
  extends BaseTransport<P> {
  /**
   * True unless reading is paused or the transport is closing (or write-only).
   *
   * @example
   * ```ts
   * import { createServer, type Protocol } from '@coro/transports';
   *
   * const server = await createServer((): Protocol => ({
   *   connectionMade(transport) {
   *     transport.pauseReading(); // nothing from the client until it is authenticated
   *     console.log(transport.isReading()); // false
   *   },
   * }), '127.0.0.1', 0);
   * server.close();
   * ```
   */
  isReading(): boolean;
  /**
   * Stops reading: no `dataReceived` until `resumeReading()`, and the peer's sends
   * back up once the OS buffers fill. No-op when closing or already paused.
   *
   * @example
   * ```ts
   * import type { Protocol, Transport } from '@coro/transports';
   *
   * // Back-pressure: stop reading once 100 messages wait to be processed
   * const inbox: Uint8Array[] = [];
   * let transport: Transport;
   * const protocol: Protocol = {
   *   connectionMade: (t) => { transport = t; },
   *   dataReceived: (data) => {
   *     inbox.push(data);
   *     if (inbox.length >= 100) transport.pauseReading(); // no dataReceived until resumeReading()
   *   },
   * };
   * ```
   */
  pauseReading(): void;
  /**
   * Reads again after `pauseReading()`. No-op when closing or not paused.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * // The consumer side of pauseReading's example: drain the inbox, then let data flow again
   * function drain(transport: Transport, inbox: Uint8Array[], handle: (data: Uint8Array) => void) {
   *   for (let data = inbox.shift(); data !== undefined; data = inbox.shift()) handle(data);
   *   transport.resumeReading(); // dataReceived comes again; a no-op if reading was not paused
   * }
   * ```
   */
  resumeReading(): void;
}

/**
 * The writing half: buffered writes with flow control.
 *
 * @example
 * ```ts
 * import type { WriteTransport } from '@coro/transports';
 *
 * function greet(transport: WriteTransport) {
 *   transport.write('hello\r\n'); // strings are UTF-8
 *   transport.writeLines(['a\n', new Uint8Array([98, 10])]);
 * }
 * ```
 */
export interface WriteTransport<P extends BaseProtocol<never> = BaseProtocol<never>>
  extends BaseTransport<P> {
  /**
   * Queues `data` for sending (a string as UTF-8) and returns at once. Node keeps a
   * reference to `data` until the OS took it: do not modify it after writing (copy a
   * buffer you reuse). Calls the protocol's `pauseWriting()` when more than the
   * high-water mark is buffered.
   *
   * @throws TypeError if `data` is neither a Uint8Array nor a string.
   * @throws InvalidStateError after `close()`, `abort()` or `writeEof()`, or on a
   *   read-only transport. Once the connection was lost by itself, writes are dropped.
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * function send(transport: Transport) {
   *   transport.write('GET / HTTP/1.0\r\n\r\n');
   *   transport.write(new Uint8Array([0x01, 0x02]));
   * }
   * ```
   */
  write(data: Uint8Array | string): void;
  /**
   * Writes every chunk of `chunks`, in order, as one write (Node's writev).
   *
   * @throws as {@link WriteTransport.write}.
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * function reply(transport: Transport) {
   *   transport.writeLines(['HTTP/1.0 200 OK\r\n', 'content-length: 2\r\n', '\r\n', 'ok']);
   * }
   * ```
   */
  writeLines(chunks: Iterable<Uint8Array | string>): void;
  /**
   * Half-closes: sends EOF after the buffered bytes; the transport keeps reading.
   * Idempotent.
   *
   * @throws InvalidStateError if `canWriteEof()` is false (TLS, a read-only pipe).
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * function done(transport: Transport) {
   *   transport.write('last request\n');
   *   transport.writeEof(); // the peer reads EOF; its answer still arrives
   * }
   * ```
   */
  writeEof(): void;
  /**
   * True if `writeEof()` works: plain TCP, Unix sockets and write pipes; false for TLS
   * and read-only pipes.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * // Say "no more requests" yet read the replies: half-close where the transport can
   * function doneSending(transport: Transport): void {
   *   if (transport.canWriteEof()) transport.writeEof(); // the peer reads EOF; its reply still arrives
   *   else console.log('TLS has no half-close: close() after the last reply instead');
   * }
   * ```
   */
  canWriteEof(): boolean;
  /**
   * Closes at once, dropping buffered writes; `connectionLost(undefined)` follows
   * on the loop. Idempotent.
   *
   * @example
   * ```ts
   * import type { Protocol, Transport } from '@coro/transports';
   *
   * // A client that sends garbage gets no goodbye: drop it and whatever is queued to it
   * let transport: Transport;
   * const protocol: Protocol = {
   *   connectionMade: (t) => { transport = t; },
   *   dataReceived: (data) => {
   *     if (data[0] !== 0x7b) transport.abort(); // not JSON; connectionLost(undefined) follows
   *   },
   * };
   * ```
   */
  abort(): void;
  /**
   * Bytes written but not yet taken by the OS (0 once aborted or lost: the buffer
   * was dropped).
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * // Skip a non-essential update for a client that is already far behind
   * function sendTick(transport: Transport, tick: string): void {
   *   if (transport.getWriteBufferSize() > 64 * 1024) return; // 64 KiB still queued: drop this tick
   *   transport.write(tick);
   * }
   * ```
   */
  getWriteBufferSize(): number;
  /**
   * Sets the water marks of flow control: `pauseWriting()` above `high`,
   * `resumeWriting()` at or below `low`. May call `pauseWriting()` at once.
   *
   * @throws TypeError/RangeError unless both are integers with `0 <= low <= high`.
   * @example
   * ```ts
   * import type { Protocol } from '@coro/transports';
   *
   * // Streaming large files: let 1 MiB queue before pauseWriting() (low defaults to a quarter)
   * const protocol: Protocol = {
   *   connectionMade: (transport) => {
   *     transport.setWriteBufferLimits({ high: 1_048_576 });
   *     console.log(transport.getWriteBufferLimits()); // { high: 1048576, low: 262144 }
   *   },
   * };
   * ```
   */
  setWriteBufferLimits(limits?: WriteBufferLimits): void;
  /**
   * The current water marks.
   *
   * @example
   * ```ts
   * import type { Protocol } from '@coro/transports';
   *
   * // Log the flow-control marks a connection starts with
   * const protocol: Protocol = {
   *   connectionMade: (transport) => {
   *     const { high, low } = transport.getWriteBufferLimits();
   *     console.log(`pause above ${high} bytes, resume at ${low}`); // pause above 65536 bytes, resume at 16384
   *   },
   * };
   * ```
   */
  getWriteBufferLimits(): { high: number; low: number };
}

/**
 * A bidirectional stream transport: TCP, TLS, Unix sockets.
 *
 * @example
 * ```ts
 * import type { Transport } from '@coro/transports';
 *
 * function finish(transport: Transport) {
 *   if (transport.canWriteEof()) transport.writeEof(); else transport.close();
 * }
 * ```
 */
export interface Transport<P extends BaseProtocol<never> = BaseProtocol<never>>
  extends ReadTransport<P>,
    WriteTransport<P> {}

/**
 * Where a datagram goes: a {@link SocketAddress}-like object or asyncio's `[host, port]` pair.
 *
 * @example
 * ```ts
 * import type { DatagramAddress } from '@coro/transports';
 *
 * const a: DatagramAddress = ['127.0.0.1', 9999];
 * const b: DatagramAddress = { address: '127.0.0.1', port: 9999 };
 * ```
 */
export type DatagramAddress = { address: string; port: number } | readonly [string, number];

/**
 * A UDP endpoint.
 *
 * @example
 * ```ts
 * import { createDatagramEndpoint, type DatagramProtocol } from '@coro/transports';
 *
 * // A UDP client: send a ping to a local service and print its answer
 * const client: DatagramProtocol = {
 *   connectionMade: (transport) => transport.sendto('ping', ['127.0.0.1', 9999]),
 *   datagramReceived: (data, from) => console.log(`${String(data)} from port ${from.port}`),
 * };
 * const [transport] = await createDatagramEndpoint(() => client, { localAddr: ['127.0.0.1', 0] });
 * setTimeout(() => transport.close(), 1_000); // give the answer a second
 * ```
 */
export interface DatagramTransport<P extends BaseProtocol<never> = BaseProtocol<never>>
  extends BaseTransport<P> {
  /**
   * Sends one datagram to `to`, or to the connected remote address when `to` is omitted.
   * Throws if the endpoint is closing, or `to` is given to a connected endpoint with another address.
   */
  sendto(data: Uint8Array | string, to?: DatagramAddress): void;
  /** Closes at once, dropping unsent datagrams. */
  abort(): void;
  /** Bytes queued but not yet sent. */
  getWriteBufferSize(): number;
  /** Sets the water marks of the send buffer (as a stream transport's); `RangeError` unless `0 <= low <= high`. */
  setWriteBufferLimits(limits?: WriteBufferLimits): void;
  /** The current water marks. */
  getWriteBufferLimits(): { high: number; low: number };
}

/**
 * A child process and its pipes.
 *
 * @example
 * ```ts
 * import type { SubprocessTransport } from '@coro/transports';
 *
 * function stop(transport: SubprocessTransport) {
 *   if (transport.getReturncode() === null) transport.terminate();
 * }
 * ```
 */
export interface SubprocessTransport<P extends BaseProtocol<never> = BaseProtocol<never>>
  extends BaseTransport<P> {
  /** The child's process id (undefined if it failed to start). */
  getPid(): number | undefined;
  /**
   * `null` while the child runs; its exit code once it exited, or minus the signal
   * number if a signal killed it (asyncio's convention, e.g. -9 for SIGKILL).
   */
  getReturncode(): number | null;
  /** The transport of the child's stdin (0: a WriteTransport), stdout (1) or stderr (2), if piped. */
  getPipeTransport(fd: 0 | 1 | 2): ReadTransport | WriteTransport | undefined;
  /** Sends `signal` (a name like 'SIGTERM' or a number) to the child. */
  sendSignal(signal: NodeJS.Signals | number): void;
  /** Sends SIGTERM. */
  terminate(): void;
  /** Sends SIGKILL. */
  kill(): void;
}

/**
 * Information about a connected socket, as `getExtraInfo('peername')` returns it.
 *
 * @example
 * ```ts
 * import type { PeerName, Transport } from '@coro/transports';
 *
 * // peername is an address over TCP and a path over a Unix socket: log either
 * function describePeer(transport: Transport): string {
 *   const peer = transport.getExtraInfo<PeerName>('peername');
 *   if (peer === undefined) return 'unknown';
 *   return typeof peer === 'string' ? `unix:${peer || '(unnamed)'}` : `${peer.address}:${peer.port}`;
 * }
 * ```
 */
export type PeerName = SocketAddress | string;
