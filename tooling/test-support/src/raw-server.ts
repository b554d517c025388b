/*
 * A raw Node TCP server on 127.0.0.1 that plays a peer coro's own servers would not:
 * one that resets, stalls, never answers a TLS ClientHello, or just counts
 * connections. It is closed when the test that started it finishes (vitest's
 * `onTestFinished`), its accepted sockets destroyed first.
 */

import * as net from 'node:net';
import { onTestFinished } from 'vitest';

export interface RawServer {
  /** The port the OS picked. */
  readonly port: number;
  /** How many connections the server has accepted. */
  accepted(): number;
  /** How many accepted connections are still open. */
  open(): number;
  /** Destroys the accepted sockets and closes the server (also done after the test). */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1, port 0, and calls `onSocket` for each connection. The default
 * `onSocket` reads and drops everything, so that the client's close is seen. Socket
 * errors (a reset peer) are ignored: the test asserts on the other side.
 * Call it inside a test.
 */
export async function rawServer(
  onSocket: (socket: net.Socket) => void = (socket) => socket.resume(),
  options: net.ServerOpts = {},
): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer(options, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
    return closed;
  };
  onTestFinished(close);
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    open: () => sockets.size,
    close,
  };
}
