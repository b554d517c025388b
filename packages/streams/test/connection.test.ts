import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, createTask, sleep } from '@coro/futures';
import { type ExceptionContext, getRunningLoop } from '@coro/loop';
import { rawServer } from '@coro/test-support';
import { ConnectionError } from '@coro/transports';
import { afterEach, describe, expect, it } from 'vitest';
import {
  IncompleteReadError,
  openConnection,
  openUnixConnection,
  type StreamReader,
  type StreamWriter,
  startServer,
  startUnixServer,
} from '../src/index.js';
import { closeAfterTest, eventually, openFds, serve } from './helpers.js';

const handlers: (ExceptionContext[] | null)[] = [];

afterEach(async () => {
  if (handlers.length > 0) {
    getRunningLoop().setExceptionHandler(null);
    handlers.length = 0;
  }
});

/** Collects what reaches the default loop's exception handler during the test. */
function collectReports(): ExceptionContext[] {
  const reports: ExceptionContext[] = [];
  handlers.push(reports);
  getRunningLoop().setExceptionHandler((_loop, context) => reports.push(context));
  return reports;
}

async function echoLine(reader: StreamReader, writer: StreamWriter): Promise<void> {
  const line = await reader.readLine();
  writer.write(line);
  await writer.drain();
  writer.close();
  await writer.waitClosed();
}

/** Sends a line and reads the reply, as test_start_server's client does. */
async function roundTrip(
  reader: StreamReader,
  writer: StreamWriter,
  line: string,
): Promise<string> {
  writer.write(line);
  const reply = String(await reader.readLine());
  writer.close();
  await writer.waitClosed();
  return reply;
}

describe('startServer and openConnection', () => {
  it('serve a client with an async handler (test_start_server)', async () => {
    const reports = collectReports();
    const { port } = await serve(echoLine);
    const [reader, writer] = await openConnection('127.0.0.1', port);
    expect(await roundTrip(reader, writer, 'hello world!\n')).toBe('hello world!\n');
    expect(reports).toEqual([]);
  });

  it('serve a client with a plain callback that starts its own task (test_start_server)', async () => {
    const reports = collectReports();
    const { port } = await serve((reader, writer) => {
      createTask(() => echoLine(reader, writer));
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);
    expect(await roundTrip(reader, writer, 'hello world!\n')).toBe('hello world!\n');
    expect(reports).toEqual([]);
  });

  it('give the writer the peer and local addresses', async () => {
    const { port } = await serve(echoLine);
    const [, writer] = await openConnection('127.0.0.1', port);
    expect(writer.getExtraInfo('peername')).toMatchObject({ address: '127.0.0.1', port });
    expect(writer.getExtraInfo('sockname')).toMatchObject({ address: '127.0.0.1' });
    writer.close();
    await writer.waitClosed();
  });

  it('use the limit given for the readers', async () => {
    const server = await startServer(
      async (reader, writer) => {
        writer.write(String(reader.limit));
        writer.close();
      },
      '127.0.0.1',
      0,
      { limit: 123 },
    );
    closeAfterTest(server);
    const { port } = server.addresses()[0] as net.AddressInfo;
    const [reader, writer] = await openConnection('127.0.0.1', port, { limit: 7 });
    expect(reader.limit).toBe(7);
    expect(String(await reader.read())).toBe('123');
    writer.close();
  });

  it('reject a refused connection with ECONNREFUSED (test_open_connection_error)', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    await expect(openConnection('127.0.0.1', port)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('reject bad arguments', async () => {
    await expect(startServer('no' as never, '127.0.0.1', 0)).rejects.toThrow(TypeError);
    await expect(startServer(echoLine, '127.0.0.1', 0, { limit: 0 })).rejects.toThrow(RangeError);
    await expect(openConnection('127.0.0.1', 1, 5 as never)).rejects.toThrow(TypeError);
  });
});

describe('startUnixServer and openUnixConnection', () => {
  it('serve a client over a Unix socket (test_start_unix_server)', async () => {
    const reports = collectReports();
    const path = join(tmpdir(), `coro-streams-${process.pid}-${Date.now()}.sock`);
    const server = await startUnixServer(echoLine, path);
    closeAfterTest(server);
    const [reader, writer] = await openUnixConnection(path);
    expect(await roundTrip(reader, writer, 'hello world!\n')).toBe('hello world!\n');
    expect(writer.getExtraInfo('peername')).toBe(path);
    expect(reports).toEqual([]);
  });
});

describe('StreamWriter on a socket', () => {
  it('ends the reader when its own side closes (test_eof_feed_when_closing_writer)', async () => {
    const { port } = await serve(async (reader) => {
      await reader.read();
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);
    writer.close();
    await writer.waitClosed();
    expect(reader.atEof()).toBe(true);
    expect((await reader.read()).length).toBe(0);
  });

  it('is closing at once after close(), and waitClosed returns (test_wait_closed_on_close)', async () => {
    const { port } = await serve(echoLine);
    const [, writer] = await openConnection('127.0.0.1', port);
    expect(writer.isClosing()).toBe(false);
    writer.close();
    expect(writer.isClosing()).toBe(true);
    await writer.waitClosed();
  });

  it('throws on write after close, and drain rejects (test_async_writer_api_exception_after_close)', async () => {
    const { port } = await serve(echoLine);
    const [, writer] = await openConnection('127.0.0.1', port);
    writer.close();
    expect(() => writer.write('data')).toThrow();
    await expect(writer.drain()).rejects.toThrow();
  });

  it('half-closes with writeEof: the peer reads to EOF and can still answer', async () => {
    const { port } = await serve(async (reader, writer) => {
      const request = await reader.read();
      writer.write(`got ${request.length} bytes`);
      writer.close();
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);
    expect(writer.canWriteEof()).toBe(true);
    writer.write('x'.repeat(1000));
    writer.writeEof();
    expect(String(await reader.read())).toBe('got 1000 bytes');
    await writer.waitClosed();
  });

  it('throws from a write/drain loop once the peer is gone, never spins (test_drain_raises)', async () => {
    const reports = collectReports();
    const raw = await rawServer((socket) => socket.destroy());
    const { port } = raw;
    try {
      const [, writer] = await openConnection('127.0.0.1', port);
      const loop = async () => {
        for (;;) {
          writer.write('foo\n');
          await writer.drain();
        }
      };
      await expect(loop()).rejects.toThrow();
      writer.close();
    } finally {
      await raw.close();
    }
    expect(reports).toEqual([]);
  });
});

describe('faults', () => {
  it('surfaces a peer reset during a read as an error, not a hang', async () => {
    // The peer resets once the client acknowledged what it was sent: a reset that
    // arrives while sent bytes are still unread is reported by libuv as a plain EOF.
    const raw = await rawServer((socket) => {
      socket.write('par');
      socket.once('data', () => socket.resetAndDestroy());
    });
    const { port } = raw;
    try {
      const [reader, writer] = await openConnection('127.0.0.1', port);
      expect(String(await reader.readExactly(3))).toBe('par');
      writer.write('ack');
      await expect(reader.readExactly(10)).rejects.toMatchObject({ code: 'ECONNRESET' });
      await expect(writer.drain()).rejects.toMatchObject({ code: 'ECONNRESET' });
      await expect(writer.waitClosed()).rejects.toMatchObject({ code: 'ECONNRESET' });
    } finally {
      await raw.close();
    }
  });

  it('case 6: fails reads and drains after a reset with a ConnectionError, not the write error', async () => {
    // The peer closes at once; a 5 MB write then meets its reset (EPIPE or ECONNRESET).
    const raw = await rawServer((socket) => socket.destroy());
    const [reader, writer] = await openConnection('127.0.0.1', raw.port);

    writer.write(Buffer.alloc(5 * 1024 * 1024, 1));
    const drained = await writer.drain().then(
      () => 'drained',
      (error: unknown) => error,
    );
    const read = await reader.read().then(
      (data) => data,
      (error: unknown) => error,
    );

    expect(read).toBeInstanceOf(ConnectionError);
    expect(['ConnectionResetError', 'BrokenPipeError']).toContain((read as Error).name);
    expect(['ECONNRESET', 'EPIPE']).toContain((read as ConnectionError).code);
    expect((read as Error).message).toMatch(/^connection (reset by peer|closed by peer)/);
    expect(drained).toBe(read);
    writer.write('dropped'); // after the loss, as asyncio: dropped, the error is drain()'s
    await expect(writer.drain()).rejects.toBe(read);
    await expect(writer.waitClosed()).rejects.toBe(read);
  });

  it('surfaces a peer reset during writes as an error from drain', async () => {
    let peer: net.Socket | undefined;
    const raw = await rawServer((socket) => {
      peer = socket;
      socket.pause(); // read nothing: the writer's buffer fills
    });
    const { port } = raw;
    try {
      const [, writer] = await openConnection('127.0.0.1', port);
      const chunk = Buffer.alloc(65_536, 1);
      const writing = (async () => {
        for (;;) {
          writer.write(chunk);
          await writer.drain();
        }
      })();
      await eventually(() => peer !== undefined, 'the connection');
      await sleep(20);
      peer?.resetAndDestroy();
      await expect(writing).rejects.toThrow();
      writer.close();
    } finally {
      await raw.close();
    }
  });

  it('ends readExactly at EOF with IncompleteReadError and the partial bytes', async () => {
    const { port } = await serve(async (_reader, writer) => {
      writer.write('short');
      writer.close();
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);
    const error = await reader.readExactly(100).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(String((error as IncompleteReadError).partial)).toBe('short');
    writer.close();
  });

  it('reports a failing handler and closes its connection (test_unhandled_exception)', async () => {
    const reports = collectReports();
    const { port } = await serve(async () => {
      throw new Error('test');
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);
    expect((await reader.read()).length).toBe(0); // closed by the server
    expect(reports.map((report) => report.message)).toEqual([
      'Unhandled exception in client_connected_cb',
    ]);
    writer.close();
  });

  it('closes the connection quietly when a handler cancels itself (test_unhandled_cancel)', async () => {
    const reports = collectReports();
    const { port } = await serve(async (_reader, writer) => {
      writer.close();
      throw new CancelledError();
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);
    expect((await reader.read()).length).toBe(0);
    writer.close();
    await writer.waitClosed();
    expect(reports).toEqual([]);
  });
});

describe('cancellation', () => {
  it('leaves no socket when a task blocked in readLine is cancelled', async () => {
    const { port } = await serve(async (reader) => {
      await reader.read(); // until the client goes away
    });
    const before = openFds();
    const client = createTask(async () => {
      const [reader, writer] = await openConnection('127.0.0.1', port);
      await using _writer = writer;
      await reader.readLine();
    });
    await sleep(50);
    client.cancel();
    await expect(client).rejects.toBeInstanceOf(CancelledError);
    await eventually(() => openFds() <= before, 'the sockets to close');
  });

  it('leaves no socket when a task blocked in drain is cancelled (await using aborts)', async () => {
    const raw = await rawServer((socket) => socket.pause()); // never reads
    const { port } = raw;
    try {
      let client: net.Socket | undefined;
      let paused = false;
      const writing = createTask(async () => {
        const [, writer] = await openConnection('127.0.0.1', port);
        await using _writer = writer;
        client = writer.getExtraInfo<net.Socket>('socket');
        const chunk = Buffer.alloc(65_536, 2);
        for (;;) {
          writer.write(chunk);
          if (writer.transport.getWriteBufferSize() > 65_536) paused = true;
          await writer.drain();
        }
      });
      await eventually(() => paused, 'the writer to be paused');
      writing.cancel();
      await expect(writing).rejects.toBeInstanceOf(CancelledError);
      expect(client?.destroyed).toBe(true);
    } finally {
      await raw.close();
    }
  });

  it('leaves no socket when openConnection is cancelled or aborted', async () => {
    const { port } = await serve(echoLine);
    const before = openFds();
    const connecting = createTask(() => openConnection('127.0.0.1', port));
    connecting.cancel();
    await expect(connecting).rejects.toBeInstanceOf(CancelledError);
    const aborted = openConnection('127.0.0.1', port, {
      signal: AbortSignal.abort(new Error('no')),
    });
    await expect(aborted).rejects.toThrow('no');
    await eventually(() => openFds() <= before, 'the sockets to close');
  });

  it('gives up waitClosed when cancelled, leaving the connection to close normally', async () => {
    const { port } = await serve(async (reader) => {
      await reader.read();
    });
    const [, writer] = await openConnection('127.0.0.1', port);
    const waiting = createTask(() => writer.waitClosed());
    await sleep(10);
    waiting.cancel();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    writer.close();
    await writer.waitClosed();
  });
});

describe('Server.waitClosed of startServer', () => {
  it('returns only once every handler is done', async () => {
    const trace: string[] = [];
    const { server, port } = await serve(async (reader, writer) => {
      await reader.read();
      await sleep(50); // cleaning up after the client left
      trace.push('handler done');
      writer.close();
    });
    const [, writer] = await openConnection('127.0.0.1', port);
    await sleep(10);
    server.close();
    writer.close();
    await server.waitClosed();
    trace.push('waitClosed returned');
    expect(trace).toEqual(['handler done', 'waitClosed returned']);
  });

  it('waits for handlers from await using as well', async () => {
    let finished = false;
    const server = await startServer(
      async (reader) => {
        await reader.read();
        await sleep(30);
        finished = true;
      },
      '127.0.0.1',
      0,
    );
    {
      await using _server = server;
      const { port } = server.addresses()[0] as net.AddressInfo;
      const [, writer] = await openConnection('127.0.0.1', port);
      await sleep(10);
      writer.close();
    }
    expect(finished).toBe(true);
  });
});
