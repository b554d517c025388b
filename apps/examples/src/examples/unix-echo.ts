/*
 * unix-echo: the TCP echo again, over a Unix domain socket: a path in the file
 * system instead of a host and port, only reachable from this machine, and a little
 * faster than TCP on 127.0.0.1. The streams API is the same: `startUnixServer` and
 * `openUnixConnection` return the same Server, StreamReader and StreamWriter.
 *
 * The socket file lives in a fresh temporary directory, removed at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openUnixConnection, startUnixServer } from 'coro';
import type { Output } from '../example.js';
import { echo } from './tcp-echo.js';

export const name = 'unix-echo';
export const title = 'An echo server and client on a Unix domain socket';

export async function main(out: Output = console.log): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'coro-unix-echo-'));
  const path = join(directory, 'echo.sock');
  try {
    const server = await startUnixServer(echo, path); // the same handler as tcp-echo
    out('echo server on the Unix socket echo.sock, in a temporary directory');

    const [reader, writer] = await openUnixConnection(path);
    for (const message of ['hello', 'unix', 'bye']) {
      writer.write(`${message}\n`);
      await writer.drain();
      out(`sent ${message}, got back ${(await reader.readLine()).toString().trimEnd()}`);
    }
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
    out('client and server closed');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
