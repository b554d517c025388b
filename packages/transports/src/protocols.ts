/*
 * protocols: the callback interfaces a user implements, asyncio's Protocol family.
 *
 * A transport owns the I/O; a protocol is told what happened. Every method is
 * optional (asyncio's base classes are no-ops), so a protocol implements only what it
 * needs. Callbacks run on the transport's loop, one at a time, in this order:
 *
 *   connectionMade → (dataReceived | getBuffer/bufferUpdated)* → eofReceived? → connectionLost
 *
 * `pauseWriting`/`resumeWriting` come in pairs, between connectionMade and
 * connectionLost, when the transport's write buffer crosses its high/low water marks.
 * connectionLost is called exactly once, after which no callback comes.
 */

import type { DatagramTransport, SubprocessTransport, Transport } from './transport.js';

/**
 * An internet address as Node reports it (`net.AddressInfo`): peers, datagram
 * senders and server addresses all use this shape.
 *
 * @example
 * ```ts
 * import { createServer, type Protocol, type SocketAddress } from '@coro/transports';
 *
 * const server = await createServer((): Protocol => ({}), '127.0.0.1', 0);
 * // A TCP server's addresses are SocketAddresses (a Unix server's are paths)
 * const local = server.addresses()[0] as SocketAddress;
 * console.log(`listening on ${local.address}:${local.port} (${local.family})`); // listening on 127.0.0.1:… (IPv4)
 * server.close();
 * ```
 */
export interface SocketAddress {
  address: string;
  family: string;
  port: number;
}

/**
 * What every protocol may hear: the connection's start and end, and write flow control.
 *
 * @example
 * ```ts
 * import type { BaseProtocol, Transport } from '@coro/transports';
 *
 * class Logger implements BaseProtocol<Transport> {
 *   connectionMade(transport: Transport) { console.log('up', transport.getExtraInfo('peername')); }
 *   connectionLost(error?: Error) { console.log('down', error?.message ?? 'cleanly'); }
 * }
 * ```
 */
export interface BaseProtocol<T = Transport> {
  /** The connection is up; `transport` is how to write to it and close it. */
  connectionMade?(transport: T): void;
  /** The connection is gone: `error` is undefined for a clean close or EOF, else why. Called once. */
  connectionLost?(error?: Error): void;
  /** The transport's write buffer went over its high-water mark: stop writing until `resumeWriting`. */
  pauseWriting?(): void;
  /** The write buffer drained to its low-water mark: writing may go on. */
  resumeWriting?(): void;
}

/**
 * A stream protocol (TCP, TLS, Unix sockets, pipes) that receives bytes as they arrive.
 *
 * @example
 * ```ts
 * import type { Protocol, Transport } from '@coro/transports';
 *
 * class Echo implements Protocol {
 *   #transport?: Transport;
 *   connectionMade(transport: Transport) { this.#transport = transport; }
 *   dataReceived(data: Uint8Array) { this.#transport?.write(data); }
 * }
 * ```
 */
export interface Protocol extends BaseProtocol<Transport> {
  /** Bytes arrived (a `Buffer` on Node). Their boundaries mean nothing: TCP is a byte stream. */
  dataReceived?(data: Uint8Array): void;
  /**
   * The peer will send no more (half-close). Return `true` to keep the connection open
   * for writing; otherwise the transport closes itself.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: a method that returns nothing must fit
  eofReceived?(): boolean | void;
}

/**
 * A stream protocol that hands the transport its own buffer to read into, saving a
 * copy per read (asyncio's BufferedProtocol).
 *
 * @example
 * ```ts
 * import type { BufferedProtocol } from '@coro/transports';
 *
 * class Counter implements BufferedProtocol {
 *   readonly buffer = new Uint8Array(65_536);
 *   total = 0;
 *   getBuffer(_sizeHint: number) { return this.buffer; }
 *   bufferUpdated(bytes: number) { this.total += bytes; }
 * }
 * ```
 */
export interface BufferedProtocol extends BaseProtocol<Transport> {
  /** A buffer for the next read: at least one byte long; `sizeHint` is what the transport expects (-1: unknown). */
  getBuffer(sizeHint: number): Uint8Array;
  /** The first `bytes` bytes of the buffer `getBuffer` returned now hold received data. */
  bufferUpdated(bytes: number): void;
  /** As `Protocol.eofReceived`. */
  // biome-ignore lint/suspicious/noConfusingVoidType: a method that returns nothing must fit
  eofReceived?(): boolean | void;
}

/**
 * A UDP protocol: whole datagrams, each with its sender.
 *
 * @example
 * ```ts
 * import type { DatagramProtocol, DatagramTransport, SocketAddress } from '@coro/transports';
 *
 * class EchoDatagrams implements DatagramProtocol {
 *   #transport?: DatagramTransport;
 *   connectionMade(transport: DatagramTransport) { this.#transport = transport; }
 *   datagramReceived(data: Uint8Array, from: SocketAddress) { this.#transport?.sendto(data, from); }
 * }
 * ```
 */
export interface DatagramProtocol extends BaseProtocol<DatagramTransport> {
  /** A datagram arrived from `from`. */
  datagramReceived?(data: Uint8Array, from: SocketAddress): void;
  /** A send or receive failed (e.g. ICMP port unreachable); the endpoint stays open. */
  errorReceived?(error: Error): void;
}

/**
 * A subprocess protocol: output of the child's pipes and its exit.
 *
 * @example
 * ```ts
 * import type { SubprocessProtocol } from '@coro/transports';
 *
 * class Collect implements SubprocessProtocol {
 *   readonly output: Uint8Array[] = [];
 *   pipeDataReceived(fd: number, data: Uint8Array) { if (fd === 1) this.output.push(data); }
 *   processExited() { console.log('exited'); }
 * }
 * ```
 */
export interface SubprocessProtocol extends BaseProtocol<SubprocessTransport> {
  /** The child wrote `data` to its stdout (`fd` 1) or stderr (`fd` 2). */
  pipeDataReceived?(fd: number, data: Uint8Array): void;
  /** The pipe `fd` (0, 1 or 2) closed; `error` says why if it broke. */
  pipeConnectionLost?(fd: number, error?: Error): void;
  /** The child exited; `transport.getReturncode()` now tells how. */
  processExited?(): void;
}

/**
 * A function that makes a fresh protocol per connection (asyncio's `protocol_factory`).
 *
 * @example
 * ```ts
 * import { createServer, type Protocol, type ProtocolFactory } from '@coro/transports';
 *
 * // Called once per connection, so each client gets its own byte count
 * const counting: ProtocolFactory<Protocol> = () => {
 *   let bytes = 0;
 *   return {
 *     dataReceived: (data) => {
 *       bytes += data.length;
 *     },
 *     connectionLost: () => console.log(`${bytes} bytes from this client`),
 *   };
 * };
 * const server = await createServer(counting, '127.0.0.1', 0);
 * server.close();
 * ```
 */
export type ProtocolFactory<P> = () => P;
