/*
 * Streams over real sockets, driven the way a hostile peer or a careless user would
 * (reviewer's tests, translated from test_streams.py cases in own words): an
 * over-long line on a socket, a peer that resets after its last line, a line with no
 * newline before EOF, a server closed while a handler is blocked in a read.
 */

import type * as net from 'node:net';
import { createTask, sleep } from '@coro/futures';
import { rawServer } from '@coro/test-support';
import { describe, expect, it } from 'vitest';
import { LimitOverrunError, openConnection, type StreamReader, startServer } from '../src/index.js';

async function lines(reader: StreamReader): Promise<string[]> {
  const found: string[] = [];
  for await (const line of reader) found.push(Buffer.from(line).toString());
  return found;
}

describe('streams against a hostile peer', () => {
  it('leaves an over-long readUntil chunk in the buffer and keeps the stream usable (DESIGN §4)', async () => {
    const { port } = await rawServer((socket) => socket.end(`${'x'.repeat(200)}|short|`));
    const [reader, writer] = await openConnection('127.0.0.1', port, { limit: 64 });

    const error = await reader.readUntil('|').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LimitOverrunError);
    expect(Buffer.from(await reader.readExactly(200)).toString()).toBe('x'.repeat(200));
    expect(Buffer.from(await reader.readUntil('|')).toString()).toBe('|');
    expect(Buffer.from(await reader.readUntil('|')).toString()).toBe('short|');
    expect(reader.atEof()).toBe(false);
    expect(await reader.read()).toHaveLength(0);
    expect(reader.atEof()).toBe(true);
    writer.close();
    await writer.waitClosed();
  });

  it('yields the last line without a newline before the end of the stream', async () => {
    const { port } = await rawServer((socket) => socket.end('one\ntwo\nno newline'));
    const [reader, writer] = await openConnection('127.0.0.1', port);

    expect(await lines(reader)).toEqual(['one\n', 'two\n', 'no newline']);
    writer.close();
    await writer.waitClosed();
  });

  it('reads the lines sent before a reset once the client acknowledged them, then fails, never hangs', async () => {
    const { port } = await rawServer((socket) => {
      socket.write('first\nsecond\n');
      socket.once('data', () => socket.resetAndDestroy());
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);

    expect(Buffer.from(await reader.readLine()).toString()).toBe('first\n');
    expect(Buffer.from(await reader.readLine()).toString()).toBe('second\n');
    writer.write('ack\n');
    const error = await reader.readLine().catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: 'ECONNRESET' });
    writer.close();
    await writer.waitClosed().catch(() => {});
  });

  it('closes a server while a handler is blocked in readLine: closeClients ends the read and waitClosed returns', async () => {
    const outcomes: string[] = [];
    const server = await startServer(
      async (reader, writer) => {
        try {
          const line = await reader.readLine();
          outcomes.push(`line:${Buffer.from(line).toString()}`);
        } catch (error) {
          outcomes.push(`error:${(error as Error).name}`);
        } finally {
          writer.close();
        }
      },
      '127.0.0.1',
      0,
    );
    const [{ port }] = server.addresses() as net.AddressInfo[];
    const [, clientWriter] = await openConnection('127.0.0.1', port as number);
    await sleep(10); // the handler is in readLine by now, or soon

    server.close();
    server.closeClients();
    const closing = createTask(() => server.waitClosed());
    await closing;

    expect(outcomes).toEqual(['line:']); // EOF: readLine returns what there was, nothing
    clientWriter.close();
    await clientWriter.waitClosed().catch(() => {});
  });
});
