import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { InvalidStateError, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import {
  type BufferedProtocol,
  createConnection,
  SocketTransport,
  type Transport,
} from '../src/index.js';
import {
  captureExceptions,
  Echo,
  echoServer,
  keepingServer,
  portOf,
  Recorder,
  serve,
  until,
} from './helpers.js';

/** A server of Recorders; `next()` is the server side of the next connection. */
async function recordingServer(make: () => Recorder = () => new Recorder()) {
  const { server, port, accepted } = await keepingServer(make);
  const next = async () => {
    await until(() => accepted.length > 0, 'a connection');
    const recorder = accepted.shift() as Recorder;
    await recorder.made;
    return recorder;
  };
  return { server, port, next };
}

describe('SocketTransport callbacks', () => {
  it('calls connectionMade before any data, even when the peer writes at once', async () => {
    const server = await serve(() => ({
      connectionMade: (t: Transport) => t.write('greeting'),
    }));

    const [, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', portOf(server));
    await protocol.received(8);

    expect(protocol.events).toEqual(['connectionMade', 'dataReceived']);
  });

  it('keeps the write side open when eofReceived returns true (half-close from the client)', async () => {
    const { port, next } = await recordingServer(() => {
      const recorder = new Recorder();
      recorder.keepOpen = true;
      return recorder;
    });
    const [transport, client] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    const serverSide = await next();

    transport.write('request');
    transport.writeEof();
    await serverSide.eof;
    serverSide.transport?.write('answer after EOF');
    await client.received(16);
    serverSide.transport?.close();

    expect(serverSide.text()).toBe('request');
    expect(client.text()).toBe('answer after EOF');
    expect(await client.lost).toBeUndefined();
    expect(client.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
  });

  it('lets the client keep writing after the server half-closes', async () => {
    const { port, next } = await recordingServer();
    const [transport, client] = await createConnection(
      () => {
        const recorder = new Recorder();
        recorder.keepOpen = true;
        return recorder;
      },
      '127.0.0.1',
      port,
    );
    const serverSide = await next();

    serverSide.transport?.writeEof();
    await client.eof;
    transport.write('still talking');
    await serverSide.received(13);

    expect(serverSide.text()).toBe('still talking');
    expect(transport.isClosing()).toBe(false);
    transport.close();
    await client.lost;
  });

  it('closes itself when eofReceived does not return true', async () => {
    const { port, next } = await recordingServer();
    const [transport, client] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    const serverSide = await next();

    transport.writeEof();

    expect(await serverSide.lost).toBeUndefined();
    expect(serverSide.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
    await client.lost;
  });

  it('calls connectionLost exactly once, whatever closes it', async () => {
    const { port } = await echoServer();
    const [transport, client] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    transport.close();
    transport.abort();
    transport.close();
    await client.lost;
    await sleep(20);

    expect(client.events.filter((event) => event === 'connectionLost')).toHaveLength(1);
  });

  it('switches protocols with setProtocol', async () => {
    const { port } = await echoServer();
    const [transport, first] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    transport.write('a');
    await first.received(1);

    const second = new Recorder();
    transport.setProtocol(second);
    transport.write('b');
    await second.received(1);

    expect(transport.getProtocol()).toBe(second);
    expect([first.text(), second.text()]).toEqual(['a', 'b']);
    transport.close();
    await second.lost;
    expect(first.events).not.toContain('connectionLost');
  });
});

describe('BufferedProtocol', () => {
  it('receives bytes through getBuffer/bufferUpdated, split across small buffers', async () => {
    const { port } = await echoServer();
    const received: number[] = [];
    const buffer = new Uint8Array(7);
    const hints: number[] = [];
    let lost!: () => void;
    const gone = new Promise<void>((resolve) => {
      lost = resolve;
    });
    const protocol: BufferedProtocol = {
      getBuffer: (sizeHint) => {
        hints.push(sizeHint);
        return buffer;
      },
      bufferUpdated: (bytes) => received.push(...buffer.subarray(0, bytes)),
      connectionLost: () => lost(),
    };
    const payload = Buffer.from('a payload longer than one buffer');

    const [transport] = await createConnection(() => protocol, '127.0.0.1', port);
    transport.write(payload);
    await until(() => received.length === payload.length, 'the echo');

    expect(Buffer.from(received).toString()).toBe(payload.toString());
    expect(hints.every((hint) => hint > 0)).toBe(true);
    transport.close();
    await gone;
  });
});

describe('reading control', () => {
  it('delivers nothing while paused, then everything after resumeReading', async () => {
    const { port, next } = await recordingServer();
    const [transport, client] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    const serverSide = await next();

    transport.pauseReading();
    expect(transport.isReading()).toBe(false);
    serverSide.transport?.write('while paused');
    await sleep(50);
    expect(client.size()).toBe(0);

    transport.resumeReading();
    await client.received(12);
    expect(client.text()).toBe('while paused');
    expect(transport.isReading()).toBe(true);
    transport.close();
    expect(transport.isReading()).toBe(false);
  });

  it('can pause reading inside connectionMade', async () => {
    const server = await serve(() => ({ connectionMade: (t: Transport) => t.write('early') }));
    const paused = new Recorder();
    paused.connectionMade = function (this: Recorder, transport: Transport) {
      Recorder.prototype.connectionMade.call(this, transport);
      transport.pauseReading();
    };

    const [transport] = await createConnection(() => paused, '127.0.0.1', portOf(server));
    await sleep(50);
    expect(paused.size()).toBe(0);
    transport.resumeReading();
    await paused.received(5);

    expect(paused.text()).toBe('early');
    transport.abort();
  });
});

describe('writing', () => {
  it('throws InvalidStateError on write after close, abort or writeEof', async () => {
    const { port } = await echoServer();
    const open = () => createConnection(() => new Recorder(), '127.0.0.1', port);

    const [closed] = await open();
    closed.close();
    const [aborted] = await open();
    aborted.abort();
    const [ended] = await open();
    ended.writeEof();

    expect(() => closed.write('x')).toThrow(
      new InvalidStateError('write() called on a closed transport'),
    );
    expect(() => aborted.writeLines(['x'])).toThrow(
      new InvalidStateError('writeLines() called on a closed transport'),
    );
    expect(() => ended.write('x')).toThrow(
      new InvalidStateError('write() called after writeEof()'),
    );
    ended.close();
  });

  it('rejects what is not bytes or a string', async () => {
    const { port } = await echoServer();
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    expect(() => transport.write(42 as never)).toThrow(
      new TypeError('data must be a Uint8Array or a string; got 42'),
    );
    expect(() => transport.writeLines([{} as never])).toThrow(TypeError);
    transport.abort();
  });

  it('writes strings as UTF-8 and writeLines in order', async () => {
    const { port } = await echoServer();
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    transport.writeLines(['héllo', new Uint8Array([0x20]), '→ wörld']);
    const expected = Buffer.from('héllo → wörld');
    await protocol.received(expected.length);

    expect(Buffer.concat(protocol.chunks)).toEqual(expected);
    transport.abort();
  });

  it('has asyncio default water marks and validates new ones', async () => {
    const { port } = await echoServer();
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    expect(transport.getWriteBufferLimits()).toEqual({ high: 65_536, low: 16_384 });
    transport.setWriteBufferLimits({ low: 1000 });
    expect(transport.getWriteBufferLimits()).toEqual({ high: 4000, low: 1000 });
    transport.setWriteBufferLimits({ high: 1001 });
    expect(transport.getWriteBufferLimits()).toEqual({ high: 1001, low: 250 });
    expect(() => transport.setWriteBufferLimits({ high: 10, low: 20 })).toThrow(
      new RangeError('limits.low must be <= limits.high; got low 20, high 10'),
    );
    expect(() => transport.setWriteBufferLimits({ high: -1 })).toThrow(RangeError);
    expect(() => transport.setWriteBufferLimits({ high: 'big' as never })).toThrow(TypeError);
    transport.abort();
  });
});

describe('protocol errors', () => {
  it('reports a throwing dataReceived to the exception handler and aborts with that error', async () => {
    const contexts = captureExceptions();
    const { port } = await echoServer();
    const failure = new Error('protocol bug');
    const faulty = new Recorder();
    faulty.dataReceived = () => {
      throw failure;
    };

    const [transport] = await createConnection(() => faulty, '127.0.0.1', port);
    transport.write('boom');

    expect(await faulty.lost).toBe(failure);
    expect(transport.isClosing()).toBe(true);
    expect(contexts).toHaveLength(1);
    expect(contexts[0]).toMatchObject({
      message: 'Fatal error: protocol.dataReceived() call failed.',
      exception: failure,
      transport,
      protocol: faulty,
    });
  });

  it('rejects createConnection when connectionMade throws, and closes the socket', async () => {
    const contexts = captureExceptions();
    const { port, next } = await recordingServer();

    await expect(
      createConnection(
        () => ({
          connectionMade: () => {
            throw new Error('not today');
          },
        }),
        '127.0.0.1',
        port,
      ),
    ).rejects.toThrow('not today');

    const serverSide = await next();
    await serverSide.lost;
    expect(contexts[0]?.message).toBe('Fatal error: protocol.connectionMade() call failed.');
  });
});

describe('new SocketTransport', () => {
  it('adopts a connected Node socket', async () => {
    const { port } = await echoServer();
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const protocol = new Recorder();

    const transport = new SocketTransport(socket, protocol);
    await protocol.made;
    transport.write('adopted');
    await protocol.received(7);

    expect(protocol.text()).toBe('adopted');
    transport.close();
    await protocol.lost;
    expect(socket.destroyed).toBe(true);
  });

  it('turns on TCP_NODELAY, as asyncio does for every TCP transport', async () => {
    const { port } = await echoServer();
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const noDelay: (boolean | undefined)[] = [];
    const setNoDelay = socket.setNoDelay.bind(socket);
    socket.setNoDelay = (enable?: boolean) => {
      noDelay.push(enable);
      return setNoDelay(enable);
    };
    const protocol = new Recorder();

    const transport = new SocketTransport(socket, protocol);

    expect(noDelay).toEqual([true]);
    transport.close();
    await protocol.lost;
  });

  it('rejects a non-stream or a non-object protocol', () => {
    expect(() => new SocketTransport({} as never, new Echo())).toThrow(TypeError);
    expect(() => new SocketTransport(new net.Socket(), null as never)).toThrow(
      new TypeError('protocol must be a protocol object; got null'),
    );
  });
});

describe('SocketTransport write flow control', () => {
  /** A stream whose writes complete only when `release()` is called (a peer that does not read). */
  function slowStream() {
    const pending: (() => void)[] = [];
    const stream = new Duplex({
      read() {},
      write(_chunk, _encoding, callback) {
        pending.push(() => callback());
      },
    });
    const release = () => {
      for (const complete of pending.splice(0)) complete();
    };
    return { stream, release, pending };
  }

  function flowRecorder() {
    const trace: string[] = [];
    let connected = (): void => {};
    const made = new Promise<void>((resolve) => {
      connected = resolve;
    });
    const protocol = {
      connectionMade: () => connected(),
      pauseWriting: () => trace.push('pause'),
      resumeWriting: () => trace.push('resume'),
    };
    return { trace, protocol, made };
  }

  it('resumes writing once the buffer drains, after a small write into an empty buffer', async () => {
    const { stream, release } = slowStream();
    const { trace, protocol, made } = flowRecorder();
    const transport = new SocketTransport(stream, protocol, {
      writeBufferLimits: { high: 100, low: 20 },
    });
    await made;

    transport.write(new Uint8Array(10)); // an empty buffer: may go without the write callback
    transport.write(new Uint8Array(200)); // above high: paused
    expect(trace).toEqual(['pause']);
    for (let i = 0; i < 10 && transport.getWriteBufferSize() > 0; i++) {
      release();
      await sleep(0);
    }

    expect(transport.getWriteBufferSize()).toBe(0);
    expect(trace).toEqual(['pause', 'resume']);
    transport.abort();
  });

  it('resumes writing when new limits pause it while a write into an empty buffer is pending', async () => {
    const { stream, release } = slowStream();
    const { trace, protocol, made } = flowRecorder();
    const transport = new SocketTransport(stream, protocol);
    await made;

    transport.write(new Uint8Array(10)); // small, into an empty buffer: no callback needed yet
    transport.setWriteBufferLimits({ high: 5, low: 0 }); // 10 bytes buffered: above high
    expect(trace).toEqual(['pause']);
    for (let i = 0; i < 10 && trace.length < 2; i++) {
      release();
      await sleep(0);
    }

    expect(transport.getWriteBufferSize()).toBe(0);
    expect(trace).toEqual(['pause', 'resume']);
    transport.abort();
  });
});
