/*
 * createConnection / createUnixConnection: asyncio's loop.create_connection and
 * loop.create_unix_connection as functions.
 *
 * Steps: validate → connect (and TLS handshake) on a coro Future → protocolFactory()
 * → SocketTransport → wait for connectionMade → [transport, protocol].
 *
 * Invariants
 *   1. Cancellable at every await: task.cancel() or options.signal during the
 *      connect, the handshake or the wait for connectionMade leaves no socket open
 *      (socket-waiter destroys it; a made transport is aborted).
 *   2. A failed connect rejects with Node's error, code preserved (ECONNREFUSED,
 *      ENOTFOUND, a TLS verification error such as DEPTH_ZERO_SELF_SIGNED_CERT).
 *   3. protocolFactory is called only once the connection is up (asyncio's order),
 *      and if it throws the socket is closed and the error rethrown.
 *
 * Tested by test/create-connection.test.ts, test/tls.test.ts, test/unix.test.ts.
 */

import * as net from 'node:net';
import type { Duplex, Readable, Writable } from 'node:stream';
import * as tls from 'node:tls';
import { Future } from '@coro/futures';
import { getRunningLoop, type Loop } from '@coro/loop';
import {
  readOptions,
  readTimeout,
  requireFactory,
  requireHost,
  requirePath,
  requirePort,
} from './arguments.js';
import { awaitUnlessAborted } from './pending-io.js';
import type { BaseProtocol } from './protocols.js';
import { SocketTransport, type StreamProtocol, type TransportOwner } from './socket-transport.js';
import { waitForSocket } from './socket-waiter.js';
import {
  type ClientSsl,
  clientTlsOptions,
  DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
} from './tls-options.js';
import type { Transport } from './transport.js';

/**
 * Options every connecting or serving function takes.
 *
 * @example
 * ```ts
 * import { createConnection, type Protocol } from '@coro/transports';
 *
 * // signal: give up connecting after 5 s; the call rejects and closes what it opened
 * const [transport] = await createConnection((): Protocol => ({}), 'example.com', 80, {
 *   signal: AbortSignal.timeout(5_000),
 * });
 * transport.close();
 * ```
 */
export interface LoopOptions {
  /** The loop that runs the protocol's callbacks. @defaultValue the running loop */
  loop?: Loop | undefined;
  /** Gives up the call when aborted: it rejects with `signal.reason` and closes what it opened. */
  signal?: AbortSignal | undefined;
}

/**
 * Options of {@link createUnixConnection}; {@link ConnectionOptions} adds the TCP ones.
 *
 * @example
 * ```ts
 * import { createUnixConnection, type Protocol } from '@coro/transports';
 *
 * // TLS over a Unix socket: check the certificate for 'daemon.internal', and abort the
 * // connection if the handshake takes over 10 s (the default is 60)
 * const [transport] = await createUnixConnection((): Protocol => ({}), '/run/secure-daemon.sock', {
 *   ssl: true,
 *   serverHostname: 'daemon.internal',
 *   sslHandshakeTimeout: 10_000,
 * });
 * transport.close();
 * ```
 */
export interface UnixConnectionOptions extends LoopOptions {
  /** Speak TLS: `true` (Node's CA store), `tls.ConnectionOptions`, or a `SecureContext`. */
  ssl?: ClientSsl | undefined;
  /** The name the certificate must match, sent as SNI. `''`: no name check. @defaultValue the host */
  serverHostname?: string | undefined;
  /** Milliseconds the TLS handshake may take before the connection is aborted. @defaultValue 60000 */
  sslHandshakeTimeout?: number | undefined;
  /** Milliseconds close() waits for the TLS peer's close_notify. @defaultValue 30000 */
  sslShutdownTimeout?: number | undefined;
}

/**
 * Options of {@link createConnection}.
 *
 * @example
 * ```ts
 * import { createConnection, type Protocol } from '@coro/transports';
 *
 * // ssl: TLS checked against Node's CA store for serverHostname; happyEyeballsDelay: if an
 * // address has not connected within 250 ms, try the next one (IPv4 after IPv6) as well
 * const [transport] = await createConnection(
 *   (): Protocol => ({ dataReceived: (data) => console.log(String(data).split('\r\n')[0]) }),
 *   'example.com',
 *   443,
 *   { ssl: true, serverHostname: 'example.com', happyEyeballsDelay: 250 },
 * );
 * transport.write('HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n'); // prints: HTTP/1.0 200 OK (or so)
 * ```
 */
export interface ConnectionOptions extends UnixConnectionOptions {
  /** Bind the local end first: `[host, port]` or `{ address, port }` (port 0: any). */
  localAddr?: readonly [string, number] | { address: string; port: number } | undefined;
  /**
   * Happy Eyeballs (RFC 8305): try the host's addresses in parallel, starting the
   * next one this many ms after the previous (Node's autoSelectFamily; at least 10).
   * @defaultValue Node's default (autoSelectFamily on, 250 ms)
   */
  happyEyeballsDelay?: number | undefined;
}

/**
 * Opens a TCP connection (TLS with `ssl`) to `host`:`port`, calls `protocolFactory`
 * once connected, and resolves to `[transport, protocol]` after the protocol's
 * `connectionMade` ran (asyncio's `loop.create_connection`).
 *
 * Cancelling the awaiting task or aborting `options.signal` stops the connect and
 * closes the socket. A refused connection rejects with Node's error (`code`
 * `'ECONNREFUSED'`); a TLS handshake failure with the TLS error (an untrusted
 * certificate, a wrong host name); a handshake slower than `sslHandshakeTimeout`
 * with `TimeoutError`.
 *
 * @throws TypeError/RangeError for a bad argument (a non-function factory, an empty
 *   host, a port outside 0..65535, `serverHostname` without `ssl`).
 * @example
 * ```ts
 * import * as net from 'node:net';
 * import { createConnection, type Protocol } from '@coro/transports';
 *
 * const server = net.createServer((socket) => socket.end('hi\n'));
 * await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
 * const { port } = server.address() as net.AddressInfo;
 *
 * const [transport] = await createConnection((): Protocol => ({
 *   dataReceived: (data) => console.log(String(data).trim()), // prints: hi
 * }), '127.0.0.1', port);
 * console.log(transport.getExtraInfo('peername')); // prints: { address: '127.0.0.1', family: 'IPv4', port: … }
 * server.close();
 * ```
 */
export async function createConnection<P extends StreamProtocol>(
  protocolFactory: () => P,
  host: string,
  port: number,
  options?: ConnectionOptions,
): Promise<[Transport<P>, P]> {
  requireFactory(protocolFactory);
  requireHost(host);
  requirePort(port);
  const { options: opts, signal, loop } = readOptions(options);
  const handshakeMs = readSslOptions(opts);
  const connect: net.NetConnectOpts = { host, port, allowHalfOpen: true };
  if (opts.localAddr !== undefined) {
    const [address, localPort] = readLocalAddr(opts.localAddr);
    connect.localAddress = address;
    if (localPort !== 0) connect.localPort = localPort;
  }
  if (opts.happyEyeballsDelay !== undefined) {
    const delay = readTimeout(opts.happyEyeballsDelay, 'options.happyEyeballsDelay', 250);
    (connect as net.TcpNetConnectOpts).autoSelectFamily = true;
    (connect as net.TcpNetConnectOpts).autoSelectFamilyAttemptTimeout = Math.max(
      10,
      Math.round(delay),
    );
  }
  return openConnection(protocolFactory, connect, opts, handshakeMs, host, signal, loop, undefined);
}

/**
 * Opens a connection to the Unix domain socket at `path` (TLS with `ssl`) and
 * resolves to `[transport, protocol]` after `connectionMade` ran (asyncio's
 * `loop.create_unix_connection`). `getExtraInfo('peername')` is `path`.
 * Cancellation, errors and `signal` as {@link createConnection}.
 *
 * @throws TypeError/RangeError for a bad argument.
 * @example
 * ```ts
 * import * as net from 'node:net';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createUnixConnection } from '@coro/transports';
 *
 * const path = join(tmpdir(), `coro-doc-${process.pid}.sock`);
 * const server = net.createServer((socket) => socket.end('over a Unix socket\n'));
 * await new Promise<void>((resolve) => server.listen(path, resolve));
 *
 * await createUnixConnection(() => ({
 *   dataReceived: (data: Uint8Array) => console.log(String(data).trim()), // prints: over a Unix socket
 * }), path);
 * server.close();
 * ```
 */
export async function createUnixConnection<P extends StreamProtocol>(
  protocolFactory: () => P,
  path: string,
  options?: UnixConnectionOptions,
): Promise<[Transport<P>, P]> {
  requireFactory(protocolFactory);
  requirePath(path);
  const { options: opts, signal, loop } = readOptions(options);
  const handshakeMs = readSslOptions(opts);
  const connect: net.NetConnectOpts = { path, allowHalfOpen: true };
  const extra = { peername: path, sockname: '' };
  return openConnection(
    protocolFactory,
    connect,
    opts,
    handshakeMs,
    undefined,
    signal,
    loop,
    extra,
  );
}

function readSslOptions(options: UnixConnectionOptions): number {
  if (options.ssl === undefined || options.ssl === (false as unknown)) {
    if (options.serverHostname !== undefined) {
      throw new TypeError('options.serverHostname is only meaningful with options.ssl');
    }
    if (options.sslHandshakeTimeout !== undefined) {
      throw new TypeError('options.sslHandshakeTimeout is only meaningful with options.ssl');
    }
  }
  if (options.serverHostname !== undefined && typeof options.serverHostname !== 'string') {
    throw new TypeError(
      `options.serverHostname must be a string; got ${typeof options.serverHostname}`,
    );
  }
  readTimeout(options.sslShutdownTimeout, 'options.sslShutdownTimeout', 0);
  return readTimeout(
    options.sslHandshakeTimeout,
    'options.sslHandshakeTimeout',
    DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
  );
}

function readLocalAddr(localAddr: unknown): [string, number] {
  let address: unknown;
  let port: unknown;
  if (Array.isArray(localAddr)) [address, port] = localAddr;
  else if (typeof localAddr === 'object' && localAddr !== null) {
    ({ address, port } = localAddr as { address: unknown; port: unknown });
  } else {
    throw new TypeError(
      `options.localAddr must be [host, port] or { address, port }; got ${typeof localAddr}`,
    );
  }
  requireHost(address, 'options.localAddr address');
  requirePort(port, 'options.localAddr port');
  return [address, port];
}

async function openConnection<P extends StreamProtocol>(
  protocolFactory: () => P,
  connect: net.NetConnectOpts,
  options: UnixConnectionOptions,
  handshakeMs: number,
  host: string | undefined,
  signal: AbortSignal | undefined,
  givenLoop: Loop | undefined,
  extra: Record<string, unknown> | undefined,
): Promise<[Transport<P>, P]> {
  const loop = resolveLoop(givenLoop);
  signal?.throwIfAborted();
  const secure = options.ssl !== undefined && options.ssl !== (false as unknown);
  // TLS cannot half-close, and an EOF in the middle of the handshake must end it.
  const socket = secure
    ? tls.connect({
        ...(connect as tls.ConnectionOptions),
        ...({ allowHalfOpen: false } as tls.ConnectionOptions),
        ...clientTlsOptions(options.ssl, host, options.serverHostname),
      })
    : net.connect(connect);
  const ready = await waitForSocket(socket, secure ? 'secureConnect' : 'connect', {
    loop,
    signal,
    timeoutMs: secure ? handshakeMs : undefined,
    timeoutMessage: `TLS handshake took longer than ${handshakeMs} ms; connection aborted`,
    closedMessage: 'the connection closed before it was established',
  });
  return adoptSocket(ready, protocolFactory, {
    loop,
    signal,
    extra,
    sslShutdownTimeout: options.sslShutdownTimeout,
  });
}

/** @internal What adoptSocket needs besides the socket. */
export interface AdoptOptions {
  loop: Loop;
  signal: AbortSignal | undefined;
  extra: Record<string, unknown> | undefined;
  sslShutdownTimeout: number | undefined;
  owner?: TransportOwner | undefined;
  /** False for a write-only pipe. @defaultValue true */
  readable?: boolean | undefined;
  /** False for a read-only pipe. @defaultValue true */
  writable?: boolean | undefined;
}

/**
 * @internal Makes the protocol and the transport of a ready socket, then waits
 * (cancellably) until connectionMade ran (invariants 1 and 3).
 */
export async function adoptSocket<P extends BaseProtocol<never>>(
  ready: { socket: Duplex | Readable | Writable; release(): void },
  protocolFactory: () => P,
  options: AdoptOptions,
): Promise<[Transport<P>, P]> {
  const { socket } = ready;
  let protocol: P;
  try {
    protocol = protocolFactory();
  } catch (error) {
    socket.destroy();
    ready.release();
    throw error;
  }
  const started = new Future<void>({ loop: options.loop });
  const transport = new SocketTransport(socket, protocol as unknown as StreamProtocol, {
    loop: options.loop,
    extra: options.extra,
    sslShutdownTimeout: options.sslShutdownTimeout,
    owner: options.owner,
    readable: options.readable,
    writable: options.writable,
    onStarted: (error) => {
      if (started.done()) return;
      if (error === undefined) started.setResult(undefined);
      else started.setException(error);
    },
  });
  ready.release();
  try {
    // A task's own signal aborts with a CancelledError: abortFuture cancels then (case 9).
    await awaitUnlessAborted(started, options.signal);
  } catch (error) {
    transport.abort();
    throw error;
  }
  return [transport as unknown as Transport<P>, protocol];
}

function resolveLoop(loop: Loop | undefined): Loop {
  return loop ?? getRunningLoop();
}
