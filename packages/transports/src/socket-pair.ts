/*
 * socketPair: two connected Unix-domain stream sockets, as the C socketpair()
 * gives (internal). Node has no socketpair(), so a short-lived server makes one:
 * it listens on an abstract address (Linux) or on a path in a fresh temporary
 * directory (other systems), accepts exactly one connection, and closes at once.
 *
 * The subprocess transport hands one end to a child as both its stdout and its
 * stderr (`stderr: 'stdout'`) and reads the other: the two descriptors then
 * share one pipe at the OS level, so the child's writes keep their order. Node
 * makes its own 'pipe' stdio out of socketpairs as well, so the child sees the
 * same kind of descriptor either way.
 *
 *   - Exactly one outcome: both ends, or a thrown error (the signal's reason,
 *     CancelledError, a system error) with every socket, server and temporary
 *     file already closed or removed.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Loop } from '@coro/loop';
import { pendingIo } from './pending-io.js';

let pairs = 0;

/** @internal Two connected stream sockets: `[ours, theirs]` (module header). */
export async function socketPair(
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<[Socket, Socket]> {
  const accepted = pendingIo<Socket>(loop, signal); // throws first if already aborted
  const connected = pendingIo<void>(loop, signal);
  const { path, cleanUp } = listeningAddress();
  const server: Server = createServer();
  server.on('error', (error) => {
    if (!accepted.done()) accepted.setException(error);
  });
  server.once('connection', (socket) => {
    server.close();
    if (accepted.done()) socket.destroy();
    else accepted.setResult(socket);
  });
  let ours: Socket | undefined;
  let theirs: Socket | undefined;
  try {
    await listen(server, path, loop, signal);
    ours = createConnection(path);
    const client = ours;
    client.on('error', (error) => {
      if (!connected.done()) connected.setException(error);
    });
    client.once('connect', () => {
      if (!connected.done()) connected.setResult(undefined);
    });
    await connected;
    theirs = await accepted;
    return [ours, theirs];
  } catch (error) {
    ours?.destroy();
    theirs?.destroy();
    if (!accepted.done()) accepted.cancel();
    else if (!accepted.cancelled()) accepted.exception(); // looked at: no "never retrieved"
    throw error;
  } finally {
    server.close();
    cleanUp();
  }
}

async function listen(
  server: Server,
  path: string,
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<void> {
  const listening = pendingIo<void>(loop, signal);
  const onError = (error: Error) => {
    if (!listening.done()) listening.setException(error);
  };
  server.once('error', onError);
  server.listen(path, () => {
    if (!listening.done()) listening.setResult(undefined);
  });
  try {
    await listening;
  } finally {
    server.off('error', onError);
  }
}

function listeningAddress(): { path: string; cleanUp: () => void } {
  const name = `coro-${process.pid}-${++pairs}-${Math.random().toString(36).slice(2)}`;
  if (process.platform === 'linux') return { path: `\0${name}`, cleanUp: () => {} };
  if (process.platform === 'win32') return { path: `\\\\.\\pipe\\${name}`, cleanUp: () => {} };
  const directory = mkdtempSync(join(tmpdir(), 'coro-'));
  return {
    path: join(directory, 'pair.sock'),
    cleanUp: () => rmSync(directory, { recursive: true, force: true }),
  };
}
