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
 * import type { WriteBufferLimits } from '@coro/transports';
 *
 * const limits: WriteBufferLimits = { high: 1_048_576, low: 262_144 };
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
   * import type { Transport } from '@coro/transports';
   *
   * const sendIfOpen = (transport: Transport, line: string) => { if (!transport.isClosing()) transport.write(line); };
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
   * import type { Transport } from '@coro/transports';
   *
   * const who = (transport: Transport) => transport.getExtraInfo('peername', 'unknown');
   * ```
   */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined;
  /**
   * The protocol this transport calls.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * const protocolOf = (transport: Transport) => transport.getProtocol();
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
   * const upgrade = (transport: Transport, next: Protocol) => transport.setProtocol(next);
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
 * function backOff(transport: ReadTransport) { if (transport.isReading()) transport.pauseReading(); }
 * ```
 */
export interface ReadTransport<P extends BaseProtocol<never> = BaseProtocol<never>>
  extends BaseTransport<P> {
  /**
   * True unless reading is paused or the transport is closing (or write-only).
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * const state = (transport: Transport) => (transport.isReading() ? 'reading' : 'paused');
   * ```
   */
  isReading(): boolean;
  /**
   * Stops reading: no `dataReceived` until `resumeReading()`, and the peer's sends
   * back up once the OS buffers fill. No-op when closing or already paused.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * const hold = (transport: Transport) => transport.pauseReading();
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
   * const release = (transport: Transport) => transport.resumeReading();
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
   * const finish = (transport: Transport) => (transport.canWriteEof() ? transport.writeEof() : transport.close());
   * ```
   */
  canWriteEof(): boolean;
  /**
   * Closes at once, dropping buffered writes; `connectionLost(undefined)` follows
   * on the loop. Idempotent.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * function hangUp(transport: Transport) { transport.abort(); }
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
   * const backlog = (transport: Transport) => `${transport.getWriteBufferSize()} bytes waiting`;
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
   * import type { Transport } from '@coro/transports';
   *
   * const roomy = (transport: Transport) => transport.setWriteBufferLimits({ high: 1_048_576 }); // low: 256 KiB
   * ```
   */
  setWriteBufferLimits(limits?: WriteBufferLimits): void;
  /**
   * The current water marks.
   *
   * @example
   * ```ts
   * import type { Transport } from '@coro/transports';
   *
   * const limits = (transport: Transport) => transport.getWriteBufferLimits(); // { high: 65536, low: 16384 }
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
 * import type { DatagramTransport } from '@coro/transports';
 *
 * function ping(transport: DatagramTransport) { transport.sendto('ping', ['127.0.0.1', 9999]); }
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
 * import type { PeerName } from '@coro/transports';
 *
 * const peer: PeerName = { address: '127.0.0.1', family: 'IPv4', port: 51234 };
 * ```
 */
export type PeerName = SocketAddress | string;
