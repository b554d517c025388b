/*
 * Server behaviour translated from CPython's test_server.py and the server parts of
 * test_events.py (own words): several hosts, the close/waitClosed ordering,
 * closeClients vs abortClients, serveForever's end, startServing: false.
 */

import * as net from 'node:net';
import { CancelledError, createTask, Future, InvalidStateError, sleep } from '@coro/futures';
import { getRunningLoop } from '@coro/loop';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createConnection, createServer, type Transport } from '../src/index.js';
import {
  captureExceptions,
  Echo,
  portOf,
  Recorder,
  recordingServer,
  serve,
  until,
} from './helpers.js';

/** Listens on host:port with a bare Node server; closed after the test. */
async function occupy(host: string, port: number): Promise<number> {
  const blocker = net.createServer();
  await new Promise<void>((resolve, reject) => {
    blocker.once('error', reject);
    blocker.listen({ host, port }, resolve);
  });
  onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  return (blocker.address() as net.AddressInfo).port;
}

/** Fills the server side's write buffer towards a client that stopped reading. */
async function backedUpConnection() {
  const { server, accepted } = await recordingServer();
  const [client, clientProtocol] = await createConnection(
    () => new Recorder(),
    '127.0.0.1',
    portOf(server),
  );
  client.pauseReading();
  await until(() => accepted.length === 1, 'the server side');
  const serverSide = accepted[0] as Recorder;
  const transport = (await serverSide.made) as Transport;
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  let written = 0;
  // Write until the kernel buffers are full and the transport holds bytes itself.
  for (let i = 0; i < 400 && transport.getWriteBufferSize() === 0; i++) {
    transport.write(chunk);
    written += chunk.length;
    await sleep(1);
  }
  expect(transport.getWriteBufferSize()).toBeGreaterThan(0);
  return { server, serverSide, client, clientProtocol, written };
}

describe('createServer with several hosts (test_create_server_multiple_hosts)', () => {
  it('binds each distinct address of the list once', async () => {
    const { server } = await recordingServer({}, ['127.0.0.1', '127.0.0.1']);

    expect(server.addresses()).toEqual([
      { address: '127.0.0.1', family: 'IPv4', port: portOf(server) },
    ]);
  });

  it('serves IPv4 and IPv6 loopback from one server', async () => {
    const { server, accepted } = await recordingServer({}, ['127.0.0.1', '::1']);
    const [v4, v6] = server.addresses() as net.AddressInfo[];

    expect([v4?.family, v6?.family]).toEqual(['IPv4', 'IPv6']);
    const [t4] = await createConnection(() => new Recorder(), '127.0.0.1', v4?.port as number);
    const [t6] = await createConnection(() => new Recorder(), '::1', v6?.port as number);
    t4.write('four');
    t6.write('six');
    await until(() => accepted.length === 2 && accepted.every((r) => r.size() > 0), 'both');

    expect(accepted.map((r) => r.text()).sort()).toEqual(['four', 'six']);
    expect(
      accepted.map((r) => r.transport?.getExtraInfo<net.AddressInfo>('sockname')?.family).sort(),
    ).toEqual(['IPv4', 'IPv6']);
    t4.close();
    t6.close();
  });

  it('releases the addresses it bound when a later one fails (EADDRINUSE)', async () => {
    const port = await occupy('127.0.0.1', 0);

    await expect(
      createServer(() => new Echo(), ['127.0.0.2', '127.0.0.1'], port),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });

    // 127.0.0.2:port was bound first; it must be free again.
    await expect(occupy('127.0.0.2', port)).resolves.toBe(port);
  });

  it('binds every address a host name resolves to', async () => {
    const { server } = await recordingServer({}, 'localhost');

    expect(server.addresses().length).toBeGreaterThanOrEqual(1);
    for (const address of server.addresses() as net.AddressInfo[]) {
      expect(['127.0.0.1', '::1']).toContain(address.address);
    }
  });
});

describe('Server.close and waitClosed (test_server.TestServer2)', () => {
  it('waitClosed() waits through every stage until the last client is gone (test_wait_closed_basic)', async () => {
    const { server } = await recordingServer();
    const stages: string[] = [];
    const first = createTask(async () => {
      await server.waitClosed();
      stages.push('first');
    });
    await sleep(0);

    const [client, clientProtocol] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );
    const second = createTask(async () => {
      await server.waitClosed();
      stages.push('second');
    });
    server.close();
    const third = createTask(async () => {
      await server.waitClosed();
      stages.push('third');
    });
    await sleep(10);
    expect(stages).toEqual([]); // closed, but a client is still connected

    client.close();
    await clientProtocol.lost;
    await Promise.all([first, second, third]);

    expect(stages.sort()).toEqual(['first', 'second', 'third']);
    await server.waitClosed(); // returns at once now
  });

  it('returns when close() and the last client close in the same loop iteration (test_wait_closed_race)', async () => {
    const { server } = await recordingServer();
    const waiting = createTask(() => server.waitClosed());
    await sleep(0);
    const [client] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    const loop = getRunningLoop();

    loop.callSoon(() => server.close());
    loop.callSoon(() => client.close());

    await waiting;
    expect(waiting.done()).toBe(true);
  });

  it('refuses connections once closed, even those it never served (test_server_close)', async () => {
    const server = await createServer(() => new Echo(), '127.0.0.1', 0, { startServing: false });
    const port = portOf(server);

    server.close();

    await expect(createConnection(() => new Recorder(), '127.0.0.1', port)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await server.waitClosed();
  });

  it('lets a task cancelled in waitClosed() go, and the server closes normally after', async () => {
    const { server } = await recordingServer();
    const waiting = createTask(() => server.waitClosed());
    await sleep(0);

    waiting.cancel();

    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    expect(server.isServing()).toBe(true);
    server.close();
    await server.waitClosed();
  });

  it('gives up binding when its signal aborts, leaving nothing listening', async () => {
    const controller = new AbortController();
    controller.abort(new Error('changed my mind'));

    await expect(
      createServer(() => new Echo(), '127.0.0.1', 0, { signal: controller.signal }),
    ).rejects.toThrow('changed my mind');

    const port = await occupy('127.0.0.1', 0);
    const late = new AbortController();
    const binding = createServer(() => new Echo(), ['localhost'], port, { signal: late.signal });
    late.abort(new Error('too late'));
    await expect(binding).rejects.toThrow(/too late|EADDRINUSE/);
  });

  it('counts a connection whose protocol factory threw as gone, and keeps serving', async () => {
    const contexts = captureExceptions();
    let calls = 0;
    const server = await serve(() => {
      calls += 1;
      if (calls === 1) throw new Error('factory failed');
      return new Echo();
    });

    const [, refused] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    await refused.lost;
    const [echoing, echoed] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );
    echoing.write('ok');
    await echoed.received(2);

    expect(contexts.map((context) => (context.exception as Error).message)).toEqual([
      'factory failed',
    ]);
    echoing.close();
    await echoed.lost;
    server.close();
    await server.waitClosed();
  });
});

describe('closeClients and abortClients (3.13)', () => {
  it('closeClients() sends what each connection buffered, then closes it (test_close_clients)', async () => {
    const { server, serverSide, client, clientProtocol, written } = await backedUpConnection();

    server.close();
    server.closeClients();
    const closed = createTask(() => server.waitClosed());
    client.resumeReading();

    await closed;
    expect(await clientProtocol.lost).toBeUndefined();
    expect(clientProtocol.size()).toBe(written);
    expect(clientProtocol.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
    expect(await serverSide.lost).toBeUndefined();
  });

  it('abortClients() ends connections whose buffers cannot drain (test_abort_clients)', async () => {
    const { server, serverSide, client, clientProtocol, written } = await backedUpConnection();

    server.close();
    server.abortClients();
    await server.waitClosed();

    expect(await serverSide.lost).toBeUndefined();
    expect(serverSide.transport?.getWriteBufferSize()).toBe(0);
    client.resumeReading(); // a paused reader notices nothing, as in asyncio
    await clientProtocol.lost; // a reset or an EOF, never a hang
    expect(clientProtocol.size()).toBeLessThan(written);
  });

  it('does nothing on a server without clients, and may be called before close()', async () => {
    const { server } = await recordingServer();
    const [client, clientProtocol] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );
    await until(() => true);

    server.closeClients(); // still listening: only the connections go
    await clientProtocol.lost;
    expect(server.isServing()).toBe(true);
    expect(client.isClosing()).toBe(true);
    server.close();
    server.closeClients();
    server.abortClients();
    await server.waitClosed();
  });
});

describe('Server.serveForever', () => {
  it('rejects with CancelledError when close() is called from elsewhere', async () => {
    const server = await createServer(() => new Echo(), '127.0.0.1', 0);
    const serving = createTask(() => server.serveForever());
    await sleep(0);

    server.close();

    await expect(serving).rejects.toBeInstanceOf(CancelledError);
    await server.waitClosed();
  });

  it('refuses to run twice at once, and on a closed server ("is closed")', async () => {
    const server = await createServer(() => new Echo(), '127.0.0.1', 0);
    const serving = createTask(() => server.serveForever());
    await sleep(0);

    await expect(server.serveForever()).rejects.toBeInstanceOf(InvalidStateError);
    serving.cancel();
    await expect(serving).rejects.toBeInstanceOf(CancelledError);
    await expect(server.serveForever()).rejects.toThrow(
      new InvalidStateError('serveForever() called on a closed server'),
    );
    await expect(server.startServing()).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('once cancelled, waits for the open connections before it ends (3.12 waitClosed)', async () => {
    const { server } = await recordingServer();
    const [client, clientProtocol] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );
    const serving = createTask(() => server.serveForever());
    await sleep(0);

    serving.cancel();
    await sleep(10);
    expect(serving.done()).toBe(false); // a client is still connected
    expect(server.isServing()).toBe(false);
    client.close();
    await clientProtocol.lost;

    await expect(serving).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('startServing: false', () => {
  it('makes no protocol until startServing(), then serves what waited (test_start_server_1)', async () => {
    const { server, accepted } = await recordingServer({ startServing: false });
    expect(server.isServing()).toBe(false);
    const [client] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    client.write('queued');
    await sleep(20);
    expect(accepted).toHaveLength(0);

    await server.startServing();
    await until(() => accepted[0]?.size() === 6, 'the queued bytes');

    expect(server.isServing()).toBe(true);
    expect(accepted[0]?.text()).toBe('queued');
    client.close();
  });

  it('drops the connections that waited when it is closed without serving', async () => {
    const { server, accepted } = await recordingServer({ startServing: false });
    const [, clientProtocol] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      portOf(server),
    );
    await sleep(10); // let the server accept it

    server.close();

    await clientProtocol.lost;
    await server.waitClosed();
    expect(accepted).toHaveLength(0);
  });
});

describe('Server and a client that writes then leaves', () => {
  it('hands every byte of a short-lived client to its protocol, then EOF and loss', async () => {
    const done = new Future<Recorder>();
    const server = await serve(() => {
      const recorder = new Recorder();
      const lost = recorder.connectionLost.bind(recorder);
      recorder.connectionLost = (error?: Error) => {
        lost(error);
        done.setResult(recorder);
      };
      return recorder;
    });
    const socket = net.connect(portOf(server), '127.0.0.1');
    socket.end('xxx');

    const serverSide = await done;

    expect(serverSide.text()).toBe('xxx');
    expect(serverSide.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
    socket.destroy();
  });
});
