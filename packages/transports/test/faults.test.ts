import { rawServer } from '@coro/test-support';
import { describe, expect, it } from 'vitest';
import {
  BrokenPipeError,
  ConnectionError,
  ConnectionResetError,
  createConnection,
  type Protocol,
  type Transport,
} from '../src/index.js';
import { Recorder, until } from './helpers.js';

describe('faults', () => {
  it('reports a peer reset mid-read as connectionLost(ECONNRESET), after the data that came first', async () => {
    // The peer resets only once the client has read its bytes: a reset that arrives
    // together with unread data is reported by libuv as a plain EOF (its POLLHUP
    // shortcut), so racing the two would make this test flaky.
    const { port } = await rawServer((socket) => {
      socket.write('partial answer');
      socket.once('data', () => socket.resetAndDestroy());
    });
    const protocol = new Recorder();
    const made = protocol.dataReceived.bind(protocol);
    protocol.dataReceived = (data: Uint8Array) => {
      made(data);
      if (protocol.size() === 14) protocol.transport?.write('ack');
    };

    await createConnection(() => protocol, '127.0.0.1', port);
    const error = await protocol.lost;

    expect(protocol.text()).toBe('partial answer');
    expect(error).toBeInstanceOf(ConnectionResetError);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
    expect(protocol.events).toEqual(['connectionMade', 'dataReceived', 'connectionLost']);
  });

  it('reports a peer reset mid-write as connectionLost with the socket error', async () => {
    // The peer resets as soon as the first bytes reach it (not after a timer): the
    // client has megabytes still to send then, so the reset lands mid-write.
    const { port } = await rawServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    const protocol = new Recorder();
    let transport: Transport | undefined;
    const writer: Protocol = {
      connectionMade: (made) => {
        transport = made;
        protocol.connectionMade(made);
      },
      connectionLost: (error) => protocol.connectionLost(error),
    };

    await createConnection(() => writer, '127.0.0.1', port);
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < 64 && !transport?.isClosing(); i++) transport?.write(chunk);
    const error = await protocol.lost;

    expect(error).toMatchObject({ code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/) });
    expect(() => transport?.write('after the reset')).not.toThrow(); // dropped, as asyncio does
  });

  it('case 6: hands connectionLost a ConnectionError with the code when a write meets a reset', async () => {
    const { port } = await rawServer((socket) => socket.destroy()); // the peer has gone
    const halfOpen = () => Object.assign(new Recorder(), { keepOpen: true }); // the EOF may come first
    const [transport, protocol] = await createConnection(halfOpen, '127.0.0.1', port);

    transport.write(Buffer.alloc(5 * 1024 * 1024, 1));
    const error = await protocol.lost;

    expect(error).toBeInstanceOf(ConnectionError);
    const expected =
      (error as ConnectionError).code === 'EPIPE' ? BrokenPipeError : ConnectionResetError;
    expect(error).toBeInstanceOf(expected);
    expect((error as ConnectionError).cause).toMatchObject({
      code: (error as ConnectionError).code,
    });
    expect(error?.message).toMatch(
      /^connection (reset|closed) by peer \((read|write) (EPIPE|ECONNRESET)\)$/,
    );
  });

  it('sees EOF then a clean loss when the peer closes normally', async () => {
    const { port } = await rawServer((socket) => socket.end('goodbye'));

    const [, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    expect(await protocol.lost).toBeUndefined();
    expect(protocol.text()).toBe('goodbye');
    expect(protocol.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
  });

  it('flushes buffered data on close() before closing', async () => {
    let received = 0;
    let ended = false;
    const { port } = await rawServer((socket) => {
      socket.on('data', (data: Buffer) => {
        received += data.length;
      });
      socket.on('end', () => {
        ended = true;
      });
    });
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    for (let i = 0; i < 32; i++) transport.write(Buffer.alloc(64 * 1024));
    transport.close();
    await protocol.lost;

    await until(() => ended, 'the peer to see EOF');
    expect(received).toBe(32 * 64 * 1024);
  });

  it('drops buffered data on abort()', async () => {
    const { port } = await rawServer((socket) => socket.pause());
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    for (let i = 0; i < 64; i++) transport.write(Buffer.alloc(64 * 1024));
    expect(transport.getWriteBufferSize()).toBeGreaterThan(0);
    transport.abort();

    expect(await protocol.lost).toBeUndefined();
  });
});
