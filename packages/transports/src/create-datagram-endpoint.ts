/*
 * createDatagramEndpoint: asyncio's loop.create_datagram_endpoint on Node's `dgram`.
 *
 *   1. Read the options; resolve a host name of localAddr, then of remoteAddr
 *      (in the family the first one fixed), as asyncio's getaddrinfo does.
 *   2. Make a udp4/udp6 socket; bind it to localAddr; connect it to remoteAddr.
 *      With neither address, bind it to port 0 of the wildcard address of
 *      `family` (the OS would do so on the first send; binding now lets the
 *      endpoint receive at once and report its sockname).
 *   3. Make the protocol, wrap the socket in a DatagramSocketTransport, and
 *      resolve once the protocol's connectionMade has run.
 *
 * Every wait is a coro Future: cancelling the calling task, or aborting
 * `signal`, rejects the call and closes the half-made socket; the factory is
 * only called once the socket is ready.
 *
 * Tested by test/datagram.test.ts.
 */

import { createSocket, type Socket as DgramSocket, type SocketType } from 'node:dgram';
import { lookup } from 'node:dns';
import { isIP } from 'node:net';
import { readSignal } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop, requireFunction } from '@coro/loop';
import { type HostPort, readDatagramAddress } from './datagram-address.js';
import { DatagramSocketTransport } from './datagram-transport.js';
import { cancelRequests, deliverLateCancel, pendingIo } from './pending-io.js';
import type { DatagramProtocol, ProtocolFactory } from './protocols.js';
import type { DatagramAddress, DatagramTransport } from './transport.js';

/**
 * Options of {@link createDatagramEndpoint}.
 *
 * @example
 * ```ts
 * import type { DatagramEndpointOptions } from '@coro/transports';
 *
 * const server: DatagramEndpointOptions = { localAddr: ['127.0.0.1', 0] };
 * const client: DatagramEndpointOptions = { remoteAddr: { address: '127.0.0.1', port: 9999 } };
 * ```
 */
export interface DatagramEndpointOptions {
  /** The address to bind: port 0 picks a free port. A host name is resolved first. */
  localAddr?: DatagramAddress;
  /**
   * The address to connect to: the endpoint then only exchanges datagrams with it,
   * `sendto(data)` needs no address, and ICMP errors (a closed port) reach
   * `errorReceived`.
   */
  remoteAddr?: DatagramAddress;
  /**
   * 4 or 6 to choose the IP version; 0 lets the addresses decide. Required (4 or 6)
   * when neither `localAddr` nor `remoteAddr` is given. @defaultValue 0
   */
  family?: 0 | 4 | 6;
  /**
   * Lets several endpoints bind the same address and port (SO_REUSEPORT); the
   * kernel spreads datagrams over them. Needs Node.js 22.12 or later.
   * @defaultValue false
   */
  reusePort?: boolean;
  /** Allows sending to broadcast addresses (SO_BROADCAST). @defaultValue false */
  allowBroadcast?: boolean;
  /** The loop that runs the protocol's callbacks. @defaultValue the running loop */
  loop?: Loop;
  /** Gives up the creation: the call rejects with `signal.reason` and the socket is closed. */
  signal?: AbortSignal | undefined;
}

/**
 * Creates a UDP endpoint (asyncio's `loop.create_datagram_endpoint`): binds to
 * `localAddr` and/or connects to `remoteAddr`, calls `protocolFactory()` for the
 * protocol, and resolves to `[transport, protocol]` once the protocol's
 * `connectionMade` has run. Each datagram reaches `datagramReceived(data, from)`;
 * ICMP errors and failed sends reach `errorReceived(error)` and leave the
 * endpoint open.
 *
 * Cancelling the calling task, or aborting `options.signal`, while the endpoint
 * is being made rejects the call and closes the socket.
 *
 * @throws (rejects with) TypeError/RangeError for a bad factory or option; an
 *   `Error` when `reusePort` is asked of a Node.js without it; the system error
 *   of a failed lookup, bind or connect (`EADDRINUSE`, `ENOTFOUND`…); the
 *   signal's reason, or CancelledError, when given up.
 * @example
 * ```ts
 * import type { DatagramProtocol, DatagramTransport, SocketAddress } from '@coro/transports';
 * import { createDatagramEndpoint } from '@coro/transports';
 *
 * class Echo implements DatagramProtocol {
 *   transport?: DatagramTransport;
 *   connectionMade(transport: DatagramTransport) { this.transport = transport; }
 *   datagramReceived(data: Uint8Array, from: SocketAddress) { this.transport?.sendto(data, from); }
 * }
 *
 * const [server] = await createDatagramEndpoint(() => new Echo(), { localAddr: ['127.0.0.1', 0] });
 * const { port } = server.getExtraInfo<{ port: number }>('sockname')!;
 * const [client] = await createDatagramEndpoint(
 *   () => ({
 *     datagramReceived(data: Uint8Array) {
 *       console.log(Buffer.from(data).toString()); // ping
 *       client.close();
 *       server.close();
 *     },
 *   }),
 *   { remoteAddr: ['127.0.0.1', port] },
 * );
 * client.sendto('ping');
 * ```
 */
export async function createDatagramEndpoint<P extends DatagramProtocol>(
  protocolFactory: ProtocolFactory<P>,
  options?: DatagramEndpointOptions,
): Promise<[DatagramTransport<P>, P]> {
  requireFunction(protocolFactory, 'protocolFactory');
  const signal = readSignal(options);
  const settings = readOptions(options ?? {});
  const loop = settings.loop;
  if (signal?.aborted) throw signal.reason;

  let family = settings.family;
  let local: HostPort | undefined;
  let remote: HostPort | undefined;
  if (settings.localAddr !== undefined) {
    local = await resolveHost(settings.localAddr, family, loop, signal);
    family = ipFamily(local.host);
  }
  if (settings.remoteAddr !== undefined) {
    remote = await resolveHost(settings.remoteAddr, family, loop, signal);
    family = ipFamily(remote.host);
  }
  const type: SocketType = family === 6 ? 'udp6' : 'udp4';
  const socket = createSocket(
    settings.reusePort ? ({ type, reusePort: true } as { type: SocketType }) : { type },
  );
  try {
    if (local !== undefined || remote === undefined) {
      const address = local ?? { host: type === 'udp6' ? '::' : '0.0.0.0', port: 0 };
      await settle(socket, 'listening', loop, signal, () =>
        socket.bind({ address: address.host, port: address.port, exclusive: true }),
      );
    }
    if (remote !== undefined) {
      const address = remote;
      await settle(socket, 'connect', loop, signal, () =>
        socket.connect(address.port, address.host),
      );
    }
    if (settings.allowBroadcast) socket.setBroadcast(true);
  } catch (error) {
    closeQuietly(socket);
    throw error;
  }

  let protocol: P;
  try {
    protocol = protocolFactory();
  } catch (error) {
    closeQuietly(socket);
    throw error;
  }
  const made = pendingIo<void>(loop, signal);
  const given = settings.remoteAddr;
  const transport = new DatagramSocketTransport(loop, socket, protocol, given, () => {
    if (!made.done()) made.setResult(undefined);
  });
  const requests = cancelRequests();
  try {
    await made;
    await deliverLateCancel(requests);
  } catch (error) {
    transport.abort();
    throw error;
  }
  return [transport, protocol];
}

interface Settings {
  localAddr: HostPort | undefined;
  remoteAddr: HostPort | undefined;
  family: 0 | 4 | 6;
  reusePort: boolean;
  allowBroadcast: boolean;
  loop: Loop;
}

function readOptions(options: DatagramEndpointOptions): Settings {
  const localAddr =
    options.localAddr === undefined
      ? undefined
      : readDatagramAddress(options.localAddr, 'options.localAddr', 0);
  const remoteAddr =
    options.remoteAddr === undefined
      ? undefined
      : readDatagramAddress(options.remoteAddr, 'options.remoteAddr', 1);
  const family = options.family ?? 0;
  if (family !== 0 && family !== 4 && family !== 6) {
    const message = `options.family must be 0, 4 or 6; got ${describeValue(family)}`;
    throw typeof family === 'number' ? new RangeError(message) : new TypeError(message);
  }
  if (localAddr === undefined && remoteAddr === undefined && family === 0) {
    throw new TypeError(
      'options.family must be 4 or 6 when neither options.localAddr nor options.remoteAddr is given; got 0',
    );
  }
  const reusePort = readBoolean(options.reusePort, 'options.reusePort');
  if (reusePort && !nodeHasReusePort()) {
    throw new Error(
      `options.reusePort needs Node.js 22.12 or later (dgram's reusePort); this is ${process.version}`,
    );
  }
  const loop = options.loop ?? getRunningLoop();
  if (typeof loop !== 'object' || loop === null || typeof loop.callSoon !== 'function') {
    throw new TypeError(`options.loop must be a Loop; got ${describeValue(loop)}`);
  }
  return {
    localAddr,
    remoteAddr,
    family,
    reusePort,
    allowBroadcast: readBoolean(options.allowBroadcast, 'options.allowBroadcast'),
    loop,
  };
}

function readBoolean(value: unknown, argument: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') {
    throw new TypeError(`${argument} must be a boolean; got ${describeValue(value)}`);
  }
  return value;
}

/** @internal Whether this Node.js lets sockets share a port with SO_REUSEPORT (22.12+, 23.1+). */
export function nodeHasReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

function ipFamily(host: string): 4 | 6 {
  return isIP(host) === 6 ? 6 : 4;
}

/** `address` with its host name resolved to an IP of `family` (0: any). */
async function resolveHost(
  address: HostPort,
  family: 0 | 4 | 6,
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<HostPort> {
  const version = isIP(address.host);
  if (version !== 0) {
    if (family !== 0 && version !== family) {
      throw new RangeError(
        `${address.host} is an IPv${version} address but the endpoint is IPv${family}`,
      );
    }
    return address;
  }
  const resolved = pendingIo<string>(loop, signal);
  lookup(address.host, { family }, (error, ip) => {
    if (resolved.done()) return;
    if (error !== null) resolved.setException(error);
    else resolved.setResult(ip);
  });
  return { host: await resolved, port: address.port };
}

/** Runs `start` and waits for `event` on `socket`, or its first 'error'. */
async function settle(
  socket: DgramSocket,
  event: 'listening' | 'connect',
  loop: Loop,
  signal: AbortSignal | undefined,
  start: () => void,
): Promise<void> {
  const done = pendingIo<void>(loop, signal);
  const onEvent = () => {
    if (!done.done()) done.setResult(undefined);
  };
  const onError = (error: Error) => {
    if (!done.done()) done.setException(error);
  };
  socket.once(event, onEvent);
  socket.once('error', onError);
  try {
    start();
    await done;
  } finally {
    socket.off(event, onEvent);
    socket.off('error', onError);
  }
}

function closeQuietly(socket: DgramSocket): void {
  socket.on('error', () => {}); // a late bind/connect error must not become an uncaught 'error'
  try {
    socket.close();
  } catch {
    // never bound: nothing to close
  }
}
