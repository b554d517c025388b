/*
 * DatagramSocketTransport: a UDP endpoint on a Node `dgram.Socket`, asyncio's
 * _SelectorDatagramTransport. `createDatagramEndpoint` makes one.
 *
 * Invariants
 *   1. The protocol hears of events from the loop (callSoon), in the order they
 *      happened: connectionMade first; datagramReceived/errorReceived after it;
 *      connectionLost last and exactly once; nothing after it. pauseWriting is
 *      the exception: it is called inside the sendto() that crossed the
 *      high-water mark, as asyncio does, so a writer can stop at once.
 *   2. Datagrams and errors that arrive once the transport is closing are dropped.
 *   3. The write buffer is what the OS has not taken yet: the bytes libuv still
 *      queues (`getSendQueueSize()`), plus 8 bytes of header per queued datagram
 *      (asyncio counts them too, so empty datagrams weigh something), plus
 *      datagrams waiting for a DNS lookup of their destination. The water marks,
 *      pauseWriting/resumeWriting and their error reports are the stream
 *      transports' (write-flow-control.ts): they strictly alternate, so a resume
 *      scheduled from a send callback re-checks the size when it runs and never
 *      crosses a newer pause.
 *   4. close() stops reading, lets the sends in flight finish (`#inFlight`
 *      counts their callbacks), then closes the socket; abort() closes it at
 *      once (libuv cancels queued sends). Either way the socket closes once.
 *   5. ICMP errors (ECONNREFUSED on a connected endpoint) and failed sends reach
 *      errorReceived; the endpoint stays open (asyncio's error_received).
 *   6. sendto() after close()/abort() throws InvalidStateError (as the stream
 *      transports' write()); once the socket was closed under the transport,
 *      datagrams are dropped silently, as asyncio does.
 *
 * Tested by test/datagram.test.ts.
 */

import type { Socket as DgramSocket, RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import { InvalidStateError } from '@coro/futures';
import { describeValue, type Loop } from '@coro/loop';
import { requireProtocol } from './arguments.js';
import { formatHostPort, type HostPort, readDatagramAddress } from './datagram-address.js';
import { type LoopResource, trackResource, untrackResource } from './loop-resources.js';
import type { DatagramProtocol, SocketAddress } from './protocols.js';
import type { DatagramAddress, DatagramTransport, WriteBufferLimits } from './transport.js';
import { WriteFlowControl } from './write-flow-control.js';

/** Bytes asyncio adds to the buffer size per queued datagram (a UDP header). */
const DATAGRAM_HEADER_SIZE = 8;

function addressOf(info: RemoteInfo | SocketAddress): SocketAddress {
  return { address: info.address, family: info.family, port: info.port };
}

/**
 * @internal asyncio's datagram transport on a bound (and maybe connected)
 * `dgram.Socket`; see the module header. Users get it from `createDatagramEndpoint`.
 */
export class DatagramSocketTransport<P extends DatagramProtocol = DatagramProtocol>
  implements DatagramTransport<P>, LoopResource
{
  readonly #loop: Loop;
  readonly #socket: DgramSocket;
  #protocol: P;
  /** The remote address of a connected endpoint, as given and as resolved. */
  readonly #remote: HostPort | undefined;
  readonly #peername: SocketAddress | undefined;
  readonly #sockname: SocketAddress;
  /** close() or abort() was called: sendto() throws. */
  #closedByUser: boolean;
  /** Closing or lost: nothing more is received. */
  #closing: boolean;
  #socketClosed: boolean;
  #connectionLost: boolean;
  /** Sends whose callback has not run yet (invariant 4). */
  #inFlight: number;
  /** Bytes of sends waiting for a DNS lookup (invariant 3). */
  #lookupBytes: number;
  readonly #flow: WriteFlowControl;
  #resumeScheduled: boolean;

  constructor(
    loop: Loop,
    socket: DgramSocket,
    protocol: P,
    remote: HostPort | undefined,
    onConnectionMade: () => void,
  ) {
    this.#loop = loop;
    this.#socket = socket;
    this.#protocol = protocol;
    this.#remote = remote;
    this.#sockname = addressOf(socket.address());
    this.#peername = remote === undefined ? undefined : addressOf(socket.remoteAddress());
    this.#closedByUser = false;
    this.#closing = false;
    this.#socketClosed = false;
    this.#connectionLost = false;
    this.#inFlight = 0;
    this.#lookupBytes = 0;
    this.#flow = new WriteFlowControl(loop, this, undefined);
    this.#resumeScheduled = false;
    socket.on('message', this.#onMessage);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    loop.callSoon(this.#callConnectionMade, onConnectionMade);
    trackResource(loop, this); // closed if still open when run() ends
  }

  /** @internal Its loop is shutting down or closed with this still open: drop it now. */
  abandon(): void {
    this.#closing = true;
    if (this.#socketClosed) return;
    this.#socketClosed = true;
    this.#socket.off('message', this.#onMessage);
    this.#socket.close();
  }

  /** @internal For the debug-mode report of an unclosed endpoint. */
  describeResource(): string {
    return `datagram endpoint on ${this.#sockname.address}:${this.#sockname.port}`;
  }

  /** The loop is closed: nobody is left to tell (abandons the endpoint). */
  #loopGone(): boolean {
    if (!this.#loop.isClosed()) return false;
    this.abandon();
    return true;
  }

  // ── BaseTransport ──────────────────────────────────────────────────────

  close(): void {
    this.#closedByUser = true;
    if (this.#closing) return;
    this.#closing = true;
    if (this.#inFlight === 0) this.#closeSocket(undefined);
  }

  isClosing(): boolean {
    return this.#closing;
  }

  abort(): void {
    this.#closedByUser = true;
    this.#closing = true;
    this.#closeSocket(undefined);
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    switch (name) {
      case 'socket':
        return this.#socket as V;
      case 'sockname':
        return { ...this.#sockname } as V;
      case 'peername':
        return this.#peername === undefined ? defaultValue : ({ ...this.#peername } as V);
      default:
        return defaultValue;
    }
  }

  getProtocol(): P {
    return this.#protocol;
  }

  setProtocol(protocol: P): void {
    requireProtocol(protocol);
    this.#protocol = protocol;
  }

  // ── sending and flow control ───────────────────────────────────────────

  sendto(data: Uint8Array | string, to?: DatagramAddress): void {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new TypeError(`data must be a Uint8Array or a string; got ${describeValue(data)}`);
    }
    const remote = this.#remote;
    let destination: HostPort | undefined;
    if (remote !== undefined) {
      const given = to === undefined ? undefined : readDatagramAddress(to, 'to', 1);
      if (given !== undefined && !this.#isRemote(given)) {
        throw new RangeError(
          `to must be omitted or the remote address ${formatHostPort(remote)} on a connected endpoint; got ${formatHostPort(given)}`,
        );
      }
    } else {
      if (to === undefined) {
        throw new TypeError(
          'to must be an address ({ address, port } or [host, port]) on an endpoint made without remoteAddr; got undefined',
        );
      }
      destination = readDatagramAddress(to, 'to', 1);
    }
    if (this.#closedByUser) throw new InvalidStateError('sendto() called on a closed transport');
    if (this.#closing) return; // lost by itself: dropped, as asyncio does (invariant 6)
    const socket = this.#socket;
    // libuv keeps a reference to the bytes of a queued datagram, and so does Node while
    // it resolves a host name: copy what would wait, so the caller may reuse its buffer
    // (asyncio buffers a copy too).
    const waits =
      socket.getSendQueueCount() > 0 || (destination !== undefined && isIP(destination.host) === 0);
    const payload = typeof data !== 'string' && waits ? Uint8Array.from(data) : data;
    this.#inFlight++;
    if (destination === undefined) {
      socket.send(payload, this.#onSent);
    } else if (isIP(destination.host) === 0) {
      const size = byteLength(payload) + DATAGRAM_HEADER_SIZE;
      this.#lookupBytes += size;
      socket.send(payload, destination.port, destination.host, (error) => {
        this.#lookupBytes -= size;
        this.#onSent(error);
      });
    } else {
      socket.send(payload, destination.port, destination.host, this.#onSent);
    }
    this.#flow.maybePause(this.getWriteBufferSize());
  }

  getWriteBufferSize(): number {
    if (this.#socketClosed) return 0;
    const socket = this.#socket;
    return (
      socket.getSendQueueSize() +
      DATAGRAM_HEADER_SIZE * socket.getSendQueueCount() +
      this.#lookupBytes
    );
  }

  setWriteBufferLimits(limits?: WriteBufferLimits): void {
    this.#flow.setLimits(limits, this.getWriteBufferSize());
  }

  getWriteBufferLimits(): { high: number; low: number } {
    return this.#flow.limits();
  }

  #isRemote(address: HostPort): boolean {
    const remote = this.#remote as HostPort;
    if (address.port !== remote.port) return false;
    return address.host === remote.host || address.host === this.#peername?.address;
  }

  readonly #onSent = (error: Error | null): void => {
    this.#inFlight--;
    if (this.#loopGone()) return;
    if (error !== null && !this.#closing) this.#loop.callSoon(this.#callErrorReceived, error);
    if (this.#flow.paused && !this.#resumeScheduled) {
      this.#resumeScheduled = true;
      this.#loop.callSoon(this.#maybeResumeProtocol);
    }
    if (this.#closing && this.#inFlight === 0) this.#closeSocket(undefined);
  };

  readonly #maybeResumeProtocol = (): void => {
    this.#resumeScheduled = false;
    if (!this.#flow.paused || this.#connectionLost) return;
    // Not drained yet: the next send callback schedules another look. With no
    // send in flight nothing is queued, whatever the limits.
    if (this.#inFlight > 0 && !this.#flow.canResume(this.getWriteBufferSize())) return;
    this.#flow.resume(true);
  };

  // ── receiving ──────────────────────────────────────────────────────────

  readonly #onMessage = (data: Buffer, from: RemoteInfo): void => {
    if (!this.#closing && !this.#loopGone())
      this.#loop.callSoon(this.#callDatagramReceived, data, addressOf(from));
  };

  readonly #onError = (error: Error): void => {
    if (!this.#closing && !this.#loopGone()) this.#loop.callSoon(this.#callErrorReceived, error);
  };

  /** The socket closed under us (someone closed `getExtraInfo('socket')`). */
  readonly #onClose = (): void => {
    if (this.#socketClosed) return;
    this.#closing = true;
    this.#socketClosed = true;
    untrackResource(this.#loop, this);
    if (!this.#loop.isClosed()) this.#loop.callSoon(this.#callConnectionLost, undefined);
  };

  // ── protocol calls, from the loop (invariant 1) ────────────────────────

  readonly #callConnectionMade = (onConnectionMade: () => void): void => {
    try {
      this.#protocol.connectionMade?.(this);
    } finally {
      onConnectionMade();
    }
  };

  readonly #callDatagramReceived = (data: Buffer, from: SocketAddress): void => {
    if (!this.#closing) this.#protocol.datagramReceived?.(data, from);
  };

  readonly #callErrorReceived = (error: Error): void => {
    if (!this.#closing) this.#protocol.errorReceived?.(error);
  };

  readonly #callConnectionLost = (error: Error | undefined): void => {
    if (this.#connectionLost) return;
    this.#connectionLost = true;
    this.#protocol.connectionLost?.(error);
  };

  #closeSocket(error: Error | undefined): void {
    if (this.#socketClosed) return;
    this.#socketClosed = true;
    untrackResource(this.#loop, this);
    this.#socket.off('message', this.#onMessage);
    this.#socket.close();
    this.#loop.callSoon(this.#callConnectionLost, error);
  }
}

function byteLength(data: Uint8Array | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}
