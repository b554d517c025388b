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
  /** Closes after the buffered bytes are written; the protocol's `connectionLost()` follows once. Idempotent. */
  close(): void;
  /** True once `close()` or `abort()` was called or the connection was lost. */
  isClosing(): boolean;
  /**
   * Optional information about the transport: `peername` and `sockname`
   * ({@link SocketAddress}, or a path for Unix sockets), `socket` (the Node socket),
   * `peercert`, `cipher`, `sslobject` (TLS), `pipe`, `subprocess`. Returns `defaultValue`
   * for a name the transport does not know.
   */
  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined;
  /** The protocol the transport calls. */
  getProtocol(): P;
  /** Switches the protocol the transport calls from now on (asyncio's set_protocol). */
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
  /** True unless reading is paused (or the transport is closing). */
  isReading(): boolean;
  /** Stops reading from the OS until `resumeReading()`; no data reaches the protocol meanwhile. */
  pauseReading(): void;
  /** Reads again after `pauseReading()`. */
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
  /** Queues `data` (bytes, or a string as UTF-8) for writing. Throws after `close()`/`abort()`/`writeEof()`. */
  write(data: Uint8Array | string): void;
  /** Writes each chunk of `chunks`, in order, as one write. */
  writeLines(chunks: Iterable<Uint8Array | string>): void;
  /** Closes the write side after buffered data is sent (half-close); the read side stays open. */
  writeEof(): void;
  /** True if `writeEof()` is supported (TCP and Unix sockets, write pipes; not TLS). */
  canWriteEof(): boolean;
  /** Closes at once, dropping buffered data; `connectionLost()` follows. */
  abort(): void;
  /** Bytes written but not yet taken by the OS. */
  getWriteBufferSize(): number;
  /** Sets the water marks; `RangeError` unless `0 <= low <= high`. */
  setWriteBufferLimits(limits?: WriteBufferLimits): void;
  /** The current water marks. */
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
