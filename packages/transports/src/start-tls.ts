/*
 * startTls: upgrades an open connection to TLS in place (asyncio's loop.start_tls),
 * e.g. after a STARTTLS exchange.
 *
 * Steps: take the socket from the old transport at once, before any await (it
 * becomes inert: no callbacks, write() throws; bytes it read but did not deliver go
 * back to the socket) → wait until the bytes it had queued are sent → TLS handshake
 * as client or server → a new transport over the TLS socket, calling the same
 * protocol (connectionMade is not called again, as in asyncio).
 *
 * Invariants
 *   1. Bytes the peer sent after the plain-text part and Node had already read
 *      (the ClientHello) are not lost: Node's TLSSocket replays what its parent
 *      socket buffered, including what the old transport put back (a
 *      BufferedProtocol that calls startTls in the middle of a chunk).
 *      What the old protocol already received is its own: a protocol that reads
 *      past the plain-text part (the peer did not wait for its go-ahead) loses
 *      those bytes, as in asyncio.
 *   2. Failure (handshake error, timeout, cancellation, signal) destroys the socket,
 *      rejects, and the protocol hears connectionLost(that error) on the loop, so
 *      its reads and waitClosed() fail with it instead of hanging (asyncio raises
 *      the handshake error from both). A cancellation reaches the protocol as a
 *      ConnectionAbortedError: a CancelledError belongs to the cancelled task only.
 *   3. A server connection stays counted by its Server: the new transport replaces
 *      the old one in the server's set before the old one leaves it.
 *
 * Tested by test/tls.test.ts and test/tls-parity.test.ts.
 */

import type * as net from 'node:net';
import * as tls from 'node:tls';
import { CancelledError, Future, InvalidStateError, TimeoutError } from '@coro/futures';
import { describeValue, type Loop } from '@coro/loop';
import { readOptions, readTimeout, requireProtocol } from './arguments.js';
import { ConnectionAbortedError, toConnectionError } from './connection-errors.js';
import type { LoopOptions } from './create-connection.js';
import { awaitUnlessAborted } from './pending-io.js';
import type { BaseProtocol } from './protocols.js';
import { Server } from './server.js';
import { SocketTransport, type StreamProtocol } from './socket-transport.js';
import { waitForSocket } from './socket-waiter.js';
import {
  type ClientSsl,
  clientTlsOptions,
  createTlsServer,
  DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
  type ServerSsl,
  serverTlsOptions,
} from './tls-options.js';
import type { Transport } from './transport.js';

/**
 * Options of {@link startTls}.
 *
 * @example
 * ```ts
 * import type { StartTlsOptions } from '@coro/transports';
 *
 * const asClient: StartTlsOptions = { serverHostname: 'mail.example.com' };
 * const asServer: StartTlsOptions = { serverSide: true };
 * ```
 */
export interface StartTlsOptions extends LoopOptions {
  /** Act as the TLS server (`ssl` then holds the key and certificate). @defaultValue false */
  serverSide?: boolean | undefined;
  /** Client: the name the certificate must match and the SNI. @defaultValue the host connected to */
  serverHostname?: string | undefined;
  /** Milliseconds the handshake may take. @defaultValue 60000 */
  sslHandshakeTimeout?: number | undefined;
  /** Milliseconds close() waits for the peer's close_notify. @defaultValue 30000 */
  sslShutdownTimeout?: number | undefined;
}

/**
 * Upgrades `transport`, an open TCP or Unix transport, to TLS and resolves to the
 * new transport once the handshake is done (asyncio's `loop.start_tls`). `protocol`
 * (usually the transport's own) then receives the decrypted bytes; its
 * `connectionMade` is not called again. The old transport is inert afterwards: use
 * the new one.
 *
 * The socket is taken from the old transport at once, before the returned promise
 * settles: bytes that arrive afterwards belong to TLS and never reach the old
 * protocol (call it before the peer can send its ClientHello, e.g. right after
 * writing the go-ahead). Buffered writes of the old transport are sent before the
 * handshake starts. A client verifies the server's certificate and host name unless
 * `ssl` says `rejectUnauthorized: false`.
 *
 * @throws TypeError for a transport this package did not make, a non-object
 *   protocol, or `ssl` of the wrong kind; InvalidStateError if the transport is
 *   closing. Rejects with the TLS error if the handshake fails, with TimeoutError
 *   after `sslHandshakeTimeout`, and with CancelledError or the signal's reason; the
 *   connection is closed in each case and `protocol` hears `connectionLost(error)`
 *   (a cancellation as a `ConnectionAbortedError`).
 * @example
 * ```ts
 * import { startTls, type Protocol, type Transport } from '@coro/transports';
 *
 * // After the peer agreed to STARTTLS:
 * async function upgrade(transport: Transport, protocol: Protocol): Promise<Transport> {
 *   return startTls(transport, protocol, { servername: 'mail.example.com' });
 * }
 * ```
 */
export async function startTls(
  transport: Transport,
  protocol: BaseProtocol<never>,
  ssl: ClientSsl | ServerSsl,
  options?: StartTlsOptions,
): Promise<Transport> {
  if (!(transport instanceof SocketTransport)) {
    throw new TypeError(
      `transport must be a transport made by @coro/transports; got ${describeValue(transport)}`,
    );
  }
  requireProtocol(protocol);
  const { options: opts, signal, loop: givenLoop } = readOptions(options);
  const handshakeMs = readTimeout(
    opts.sslHandshakeTimeout,
    'options.sslHandshakeTimeout',
    DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
  );
  readTimeout(opts.sslShutdownTimeout, 'options.sslShutdownTimeout', 0);
  const serverSide = opts.serverSide ?? false;
  if (typeof serverSide !== 'boolean') {
    throw new TypeError(`options.serverSide must be a boolean; got ${describeValue(serverSide)}`);
  }
  const socket = transport.getExtraInfo<net.Socket>('socket');
  const host = opts.serverHostname ?? (socket as { _host?: unknown } | undefined)?._host;
  // Build the TLS options first: a bad `ssl` must not cost the connection.
  const tlsOptions = serverSide
    ? serverTlsOptions(ssl) // only validated here; serverHandshake builds the server
    : clientTlsOptions(ssl, typeof host === 'string' ? host : undefined, opts.serverHostname);
  if (transport.isClosing() || socket === undefined) {
    throw new InvalidStateError('startTls() called on a transport that is closing');
  }
  const loop = givenLoop ?? transport.getLoop();
  signal?.throwIfAborted();

  // Take the socket now, before the first await (asyncio pauses reading at once): a
  // byte that arrives from here on belongs to TLS and must not reach the old
  // protocol. Bytes the old transport had read but not delivered go back to the
  // socket's buffer, where the TLS socket finds them (invariant 1).
  const owner = transport.takeOwner();
  const raw = transport.detachSocket() as net.Socket;
  // The old transport's error listener is gone; the TLS socket reports the errors
  // that matter, and the raw socket must never throw an unhandled 'error'.
  raw.on('error', ignore);
  // The TLS socket inherits this: TLS cannot half-close, and a peer that leaves in
  // the middle of the handshake must end it rather than leave it half-open.
  raw.allowHalfOpen = false;
  let secured: { socket: tls.TLSSocket; release(): void };
  try {
    await flushed(raw, loop, signal);
    secured = serverSide
      ? await serverHandshake(raw, ssl, loop, signal, handshakeMs)
      : await clientHandshake(raw, tlsOptions as tls.ConnectionOptions, loop, signal, handshakeMs);
  } catch (error) {
    raw.destroy(); // invariant 2: a failed upgrade closes the connection, as asyncio's does
    owner?.detach(transport); // the connection is gone: a waiting waitClosed() must not hang
    transport.loseDetached(protocol as unknown as StreamProtocol, lostBecause(error));
    throw error;
  }
  const upgraded = new SocketTransport(secured.socket, protocol as unknown as StreamProtocol, {
    loop,
    owner,
    callConnectionMade: false,
    sslShutdownTimeout: opts.sslShutdownTimeout,
  });
  secured.release();
  if (owner instanceof Server) owner.attach(upgraded); // invariant 3
  owner?.detach(transport);
  return upgraded;
}

/** What the protocol hears when the upgrade failed with `error` (invariant 2). */
function lostBecause(error: unknown): Error {
  if (error instanceof CancelledError) {
    return new ConnectionAbortedError('the TLS upgrade was cancelled; connection closed', error);
  }
  if (error instanceof Error) return toConnectionError(error);
  return new ConnectionAbortedError(`the TLS upgrade failed: ${describeValue(error)}`, error);
}

/** Waits until every byte the old transport queued is written (an empty write's callback). */
async function flushed(
  socket: net.Socket,
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (socket.writableLength === 0) return;
  const future = new Future<void>({ loop });
  socket.write(Buffer.alloc(0), (error) => {
    if (future.done()) return;
    if (error) future.setException(error);
    else future.setResult(undefined);
  });
  await awaitUnlessAborted(future, signal);
}

function clientHandshake(
  raw: net.Socket,
  options: tls.ConnectionOptions,
  loop: Loop,
  signal: AbortSignal | undefined,
  handshakeMs: number,
) {
  const secure = tls.connect({ ...options, socket: raw });
  return waitForSocket(secure, 'secureConnect', {
    loop,
    signal,
    timeoutMs: handshakeMs,
    timeoutMessage: `TLS handshake took longer than ${handshakeMs} ms; connection aborted`,
    closedMessage: 'the connection closed during the TLS handshake',
  });
}

/**
 * The server side of the handshake goes through a tls.Server that never listens:
 * emitting 'connection' on it is Node's documented way to inject a socket, and it
 * runs the same handshake, SNI and client-certificate checks as a listening server.
 */
async function serverHandshake(
  raw: net.Socket,
  ssl: unknown,
  loop: Loop,
  signal: AbortSignal | undefined,
  handshakeMs: number,
): Promise<{ socket: tls.TLSSocket; release(): void }> {
  const future = new Future<tls.TLSSocket>({ loop });
  const tlsServer = createTlsServer(ssl, { handshakeTimeout: 0 });
  tlsServer.once('secureConnection', (socket: tls.TLSSocket) => {
    if (!future.done()) future.setResult(socket);
    else socket.destroy();
  });
  tlsServer.on('tlsClientError', (error: Error, socket: tls.TLSSocket) => {
    socket.destroy();
    if (!future.done()) future.setException(error);
  });
  const timer = loop.callLater(handshakeMs, () => {
    if (!future.done()) {
      future.setException(
        new TimeoutError(`TLS handshake took longer than ${handshakeMs} ms; connection aborted`),
      );
    }
  });
  try {
    tlsServer.emit('connection', raw);
    const socket = await awaitUnlessAborted(future, signal);
    return { socket, release: () => {} };
  } catch (error) {
    raw.destroy();
    throw error;
  } finally {
    timer.cancel();
  }
}

function ignore(): void {}
