import * as net from 'node:net';
import { CancelledError, createTask, currentTask, sleep, type Task } from '@coro/futures';
import { getRunningLoop } from '@coro/loop';
import { rawServer } from '@coro/test-support';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createConnection } from '../src/index.js';
import { echoServer, Recorder, shutDown, until } from './helpers.js';

describe('createConnection', () => {
  it('resolves to [transport, protocol] after connectionMade, and echoes bytes', async () => {
    const { port } = await echoServer();

    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    expect(protocol.events).toEqual(['connectionMade']);
    expect(protocol.transport).toBe(transport);
    transport.write('hello ');
    transport.write(new Uint8Array([0x77, 0x6f, 0x72, 0x6c, 0x64]));
    await protocol.received(11);

    expect(protocol.text()).toBe('hello world');
    transport.close();
    expect(await protocol.lost).toBeUndefined();
    expect(protocol.events).toEqual(['connectionMade', 'dataReceived', 'connectionLost']);
  });

  it('reports peername and sockname as AddressInfo objects', async () => {
    const { port } = await echoServer();

    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    expect(transport.getExtraInfo('peername')).toEqual({
      address: '127.0.0.1',
      family: 'IPv4',
      port,
    });
    expect(transport.getExtraInfo('sockname')).toMatchObject({
      address: '127.0.0.1',
      family: 'IPv4',
    });
    expect(transport.getExtraInfo('socket')).toBeInstanceOf(net.Socket);
    expect(transport.getExtraInfo('peercert', 'none')).toBe('none');
    expect(transport.getExtraInfo('no such thing', 42)).toBe(42);
    transport.abort();
  });

  it('rejects with ECONNREFUSED when nothing listens', async () => {
    const { server, port } = await echoServer();
    await shutDown(server);

    const refused = createConnection(() => new Recorder(), '127.0.0.1', port);

    await expect(refused).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('calls the protocol factory only once connected', async () => {
    const { server, port } = await echoServer();
    await shutDown(server);
    let made = 0;

    await expect(
      createConnection(
        () => {
          made++;
          return new Recorder();
        },
        '127.0.0.1',
        port,
      ),
    ).rejects.toThrow();

    expect(made).toBe(0);
  });

  it('validates its arguments', async () => {
    const factory = () => new Recorder();
    await expect(createConnection('x' as never, '127.0.0.1', 1)).rejects.toThrow(
      new TypeError('protocolFactory must be a function; got "x" (a string)'),
    );
    await expect(createConnection(factory, '', 1)).rejects.toBeInstanceOf(RangeError);
    await expect(createConnection(factory, undefined as never, 1)).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(createConnection(factory, '127.0.0.1', 70_000)).rejects.toThrow(
      new RangeError('port must be an integer from 0 to 65535; got 70000'),
    );
    await expect(createConnection(factory, '127.0.0.1', '80' as never)).rejects.toBeInstanceOf(
      TypeError,
    );
    await expect(
      createConnection(factory, '127.0.0.1', 1, { serverHostname: 'x' }),
    ).rejects.toThrow(/serverHostname is only meaningful with options.ssl/);
    await expect(
      createConnection(factory, '127.0.0.1', 1, { signal: 'no' as never }),
    ).rejects.toBeInstanceOf(TypeError);
  });

  it('binds the local end to localAddr', async () => {
    const { port } = await echoServer();

    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port, {
      localAddr: ['127.0.0.1', 0],
    });

    expect(transport.getExtraInfo<{ address: string }>('sockname')?.address).toBe('127.0.0.1');
    transport.abort();
  });

  it('connects with happyEyeballsDelay to a name with several addresses', async () => {
    const { port } = await echoServer();

    const [transport, protocol] = await createConnection(() => new Recorder(), 'localhost', port, {
      happyEyeballsDelay: 50,
    });
    transport.write('ok');
    await protocol.received(2);

    expect(protocol.text()).toBe('ok');
    transport.abort();
  });
});

describe('createConnection cancellation', () => {
  it('leaves no socket when the awaiting task is cancelled during the connect', async () => {
    const counter = await rawServer();
    const before = socketCount();
    const task = createTask(() =>
      createConnection(() => new Recorder(), '127.0.0.1', counter.port),
    );
    // Runs right after the task's first step, which started the connect: the
    // connect completes only in a later I/O phase, so this cancels it mid-way.
    getRunningLoop().callSoon(() => task.cancel());

    await expect(task).rejects.toBeInstanceOf(CancelledError);
    await untilSocketsAre(before);
    await until(() => counter.open() === 0);
  });

  it('rejects with the reason and leaves no socket when the signal aborts', async () => {
    const counter = await rawServer();
    const before = socketCount();
    const controller = new AbortController();
    const connecting = createConnection(() => new Recorder(), '127.0.0.1', counter.port, {
      signal: controller.signal,
    });

    controller.abort(new Error('user gave up'));

    await expect(connecting).rejects.toThrow('user gave up');
    await untilSocketsAre(before);
    await until(() => counter.open() === 0);
  });

  it('rejects at once with an already aborted signal, without connecting', async () => {
    const counter = await rawServer();

    const connecting = createConnection(() => new Recorder(), '127.0.0.1', counter.port, {
      signal: AbortSignal.abort(new Error('too late')),
    });

    await expect(connecting).rejects.toThrow('too late');
    await sleep(20);
    expect(counter.accepted()).toBe(0);
  });

  it('closes the connected socket when cancelled while waiting for connectionMade', async () => {
    const counter = await rawServer();
    const task = createTask(() =>
      createConnection(() => new Recorder(), '127.0.0.1', counter.port),
    );
    // Cancel as soon as the server saw the connection: the client is connected by then or soon.
    await until(() => counter.accepted() === 1);

    task.cancel();

    await task.then(
      ([transport]) => transport.abort(), // finished first: then we close it ourselves
      (error: unknown) => expect(error).toBeInstanceOf(CancelledError),
    );
    await until(() => counter.open() === 0);
  });

  it('case 9: cancels with CancelledError, not a TypeError, when the task is cancelled while its socket is adopted', async () => {
    const counter = await rawServer();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    onTestFinished(() => {
      process.off('uncaughtException', onUncaught);
    });
    const task = createTask(async () => {
      const self = currentTask() as Task<unknown>;
      return createConnection(
        () => {
          const protocol = new Recorder();
          // The socket is connected and being adopted: the task is cancelled in
          // connectionMade, while createConnection waits for it (signal: task.signal).
          protocol.connectionMade = () => self.cancel('gave up during adoption');
          return protocol;
        },
        '127.0.0.1',
        counter.port,
        { signal: self.signal },
      );
    });

    const outcome = await task.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await sleep(0); // an error thrown by an abort listener surfaces on a later tick

    expect(outcome).toBeInstanceOf(CancelledError);
    expect((outcome as CancelledError).message).toBe('gave up during adoption');
    expect(uncaught).toEqual([]);
    await until(() => counter.open() === 0);
  });
});

function socketCount(): number {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name === 'TCPSocketWrap' || name === 'TCPWRAP').length;
}

async function untilSocketsAre(count: number): Promise<void> {
  await until(() => socketCount() <= count);
  expect(socketCount()).toBeLessThanOrEqual(count);
}
