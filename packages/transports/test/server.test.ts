import { CancelledError, createTask, Future, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { createConnection, createServer } from '../src/index.js';
import { Echo, echoServer, portOf, Recorder, serve, until } from './helpers.js';

describe('createServer', () => {
  it('listens on the address it is given, on a port picked by the OS', async () => {
    const server = await serve(() => new Echo());

    const [address] = server.addresses();

    expect(address).toEqual({ address: '127.0.0.1', family: 'IPv4', port: expect.any(Number) });
    expect(portOf(server)).toBeGreaterThan(0);
    expect(server.isServing()).toBe(true);
  });

  it('makes a protocol per connection', async () => {
    const made: Recorder[] = [];
    const server = await serve(() => {
      const recorder = new Recorder();
      made.push(recorder);
      return recorder;
    });

    const [first] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    const [second] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    first.write('one');
    second.write('two');
    await until(() => made.length === 2 && made.every((recorder) => recorder.size() === 3));

    expect(made.map((recorder) => recorder.text()).sort()).toEqual(['one', 'two']);
    first.abort();
    second.abort();
  });

  it('refuses a missing or empty host instead of binding every interface', async () => {
    await expect(createServer(() => ({}), undefined as never, 0)).rejects.toThrow(
      /host must be a host name or address string \(for all interfaces say '0\.0\.0\.0' or '::'\)/,
    );
    await expect(createServer(() => ({}), '', 0)).rejects.toBeInstanceOf(RangeError);
    await expect(createServer(() => ({}), '127.0.0.1', -1)).rejects.toBeInstanceOf(RangeError);
    await expect(createServer(() => ({}), '127.0.0.1', 1.5)).rejects.toBeInstanceOf(RangeError);
    await expect(createServer(() => ({}), '127.0.0.1', 0, { backlog: -1 })).rejects.toBeInstanceOf(
      RangeError,
    );
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const server = await serve(() => new Echo());

    await expect(createServer(() => ({}), '127.0.0.1', portOf(server))).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});

describe('Server lifecycle', () => {
  it('close() stops listening but keeps open connections', async () => {
    const { server, port } = await echoServer();
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    server.close();

    expect(server.isServing()).toBe(false);
    expect(server.addresses()).toEqual([]);
    transport.write('still here');
    await protocol.received(10);
    expect(protocol.text()).toBe('still here');
    await expect(createConnection(() => new Recorder(), '127.0.0.1', port)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    transport.abort();
  });

  it('waitClosed() waits for close() and for every connection to be gone', async () => {
    const { server, port } = await echoServer();
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    let closed = false;
    const waiting = server.waitClosed().then(() => {
      closed = true;
    });

    await sleep(20);
    expect(closed).toBe(false); // not closed yet
    server.close();
    await sleep(20);
    expect(closed).toBe(false); // a connection is still open
    transport.close();
    await waiting;

    expect(closed).toBe(true);
    await server.waitClosed(); // and at once afterwards
  });

  it('alsoWaitFor(wait) makes waitClosed() also wait for wait(), called once the server is closed', async () => {
    const server = await serve(() => new Echo());
    const handlersDone = new Future<void>();
    const trace: string[] = [];
    server.alsoWaitFor(async () => {
      trace.push('wait() called');
      await handlersDone;
    });
    const waiting = server.waitClosed().then(() => trace.push('waitClosed() returned'));

    await sleep(0);
    expect(trace).toEqual([]); // not closed yet: wait() is not called
    server.close();
    await until(() => trace.length > 0);
    expect(trace).toEqual(['wait() called']);
    handlersDone.setResult();
    await waiting;

    expect(trace).toEqual(['wait() called', 'waitClosed() returned']);
  });

  it('alsoWaitFor() refuses a wait that is not a function', async () => {
    const server = await serve(() => new Echo());

    expect(() => server.alsoWaitFor('later' as never)).toThrow(
      new TypeError('wait must be a function; got "later" (a string)'),
    );
  });

  it('closeClients() closes every connection gracefully', async () => {
    const server = await serve(() => new Recorder());
    const [, client] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));

    server.close();
    server.closeClients();
    await server.waitClosed();

    expect(await client.lost).toBeUndefined();
    expect(client.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
  });

  it('abortClients() drops every connection at once', async () => {
    const server = await serve(() => new Recorder());
    const [, client] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    await until(() => true);

    server.close();
    server.abortClients();
    await server.waitClosed();

    await client.lost;
    expect(client.events.at(-1)).toBe('connectionLost');
  });

  it('serveForever() serves until cancelled, then closes and rethrows', async () => {
    const server = await serve(() => new Echo(), { startServing: false });
    expect(server.isServing()).toBe(false);
    const serving = createTask(() => server.serveForever());
    await sleep(10);
    expect(server.isServing()).toBe(true);

    serving.cancel();

    await expect(serving).rejects.toBeInstanceOf(CancelledError);
    expect(server.isServing()).toBe(false);
    await server.waitClosed();
  });

  it('await using closes the server and waits for it', async () => {
    let port = 0;
    {
      await using server = await createServer(() => new Echo(), '127.0.0.1', 0);
      port = portOf(server);
    }
    await expect(createConnection(() => new Recorder(), '127.0.0.1', port)).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
