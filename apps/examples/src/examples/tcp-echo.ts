/*
 * tcp-echo: a TCP echo server and a client, with the streams API (asyncio's
 * `start_server` / `open_connection`).
 *
 * `startServer(onClient, host, port)` calls `onClient(reader, writer)` in a new task for
 * each connection. The handler reads lines with `for await` (a StreamReader yields lines)
 * and writes each one back; `await writer.drain()` after a write is the flow control:
 * it waits only while the socket's buffer is full, so a client that sends faster than
 * it reads slows the server down instead of filling its memory.
 *
 * Closing: the client's `close()` + `waitClosed()`; the server's `close()` stops
 * accepting and `waitClosed()` returns once every handler has finished.
 */
import { openConnection, type StreamReader, type StreamWriter, startServer } from 'coro';
import type { Output } from '../example.js';

export const name = 'tcp-echo';
export const title = 'A TCP echo server and client on streams: startServer, openConnection, drain';

/** The server side of one connection: every line comes back, until the client closes. */
export async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for await (const line of reader) {
    writer.write(line);
    await writer.drain(); // waits only if the client is not reading fast enough
  }
  writer.close(); // the client closed its side: close ours
  await writer.waitClosed();
}

export async function main(out: Output = console.log): Promise<void> {
  const server = await startServer(echo, '127.0.0.1', 0); // port 0: any free port
  const [address] = server.addresses();
  const port = typeof address === 'object' ? address.port : 0;
  out(`echo server on 127.0.0.1:${port}`);

  const [reader, writer] = await openConnection('127.0.0.1', port);
  for (const message of ['hello', 'streams', 'bye']) {
    writer.write(`${message}\n`);
    await writer.drain();
    const line = await reader.readLine(); // the echo, '\n' included
    out(`sent ${message}, got back ${line.toString().trimEnd()}`);
  }
  writer.close();
  await writer.waitClosed();

  server.close();
  await server.waitClosed(); // every handler has returned
  out('client and server closed');
}
