/*
 * SocketTransport behaviour translated from CPython's test_events.py,
 * test_selector_events.py and test_sslproto.py (own words): callback order,
 * empty and many-chunk writes, pausing with data already buffered, water-mark
 * edges, abort with writes pending, BufferedProtocol with small buffers, extra
 * information that outlives the connection.
 */

import * as net from 'node:net';
import { Future, InvalidStateError, sleep } from '@coro/futures';
import { rawServer } from '@coro/test-support';
import { describe, expect, it } from 'vitest';
import {
  type BufferedProtocol,
  createConnection,
  type Protocol,
  SocketTransport,
  type Transport,
} from '../src/index.js';
import { captureExceptions, echoServer, Recorder, until } from './helpers.js';

/** The raw peers here are half-open: they may keep writing after the client's EOF. */
const HALF_OPEN = { allowHalfOpen: true };

/** Collects what a raw peer receives, and when it saw EOF. */
function collector() {
  const chunks: Buffer[] = [];
  const ended = new Future<Buffer>();
  const onSocket = (socket: net.Socket) => {
    socket.on('data', (data: Buffer) => chunks.push(data));
    socket.on('end', () => ended.setResult(Buffer.concat(chunks)));
  };
  return { onSocket, ended, size: () => chunks.reduce((sum, c) => sum + c.length, 0) };
}

describe('callback order (MyBaseProto of test_events)', () => {
  it('hears nothing but connectionLost after close(), though data keeps coming', async () => {
    const { port } = await rawServer((socket) => {
      const chunk = Buffer.alloc(16 * 1024, 0x62);
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    }, HALF_OPEN);
    let transport: Transport | undefined;
    const recorder = new Recorder();
    const protocol: Protocol = {
      connectionMade: (made) => {
        transport = made;
        recorder.connectionMade(made);
      },
      dataReceived: (data) => {
        recorder.dataReceived(data);
        transport?.close();
      },
      eofReceived: () => recorder.eofReceived(),
      connectionLost: (error) => recorder.connectionLost(error),
    };

    await createConnection(() => protocol, '127.0.0.1', port);
    await recorder.lost;

    expect(recorder.chunks).toHaveLength(1);
    expect(recorder.events).toEqual(['connectionMade', 'dataReceived', 'connectionLost']);
  });

  it('calls connectionMade before eofReceived when the peer closes right after accepting', async () => {
    for (let i = 0; i < 5; i++) {
      const { port } = await rawServer((socket) => socket.end(), HALF_OPEN);
      const recorder = new Recorder();

      await createConnection(() => recorder, '127.0.0.1', port);
      await recorder.lost;

      expect(recorder.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
    }
  });

  it('still delivers an EOF that Node emitted before the transport adopted the socket', async () => {
    const { port } = await rawServer((socket) => socket.end(), HALF_OPEN);
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.resume();
    await new Promise((resolve) => socket.once('end', resolve));
    expect(socket.readableEnded).toBe(true);
    const recorder = new Recorder();

    new SocketTransport(socket, recorder);

    expect(await recorder.lost).toBeUndefined();
    expect(recorder.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
  });

  it('delivers the EOF before connectionLost when the socket ended both ways before it was adopted', async () => {
    const { port } = await rawServer((socket) => socket.end(), HALF_OPEN);
    const socket = net.connect({ port, host: '127.0.0.1' }); // not half-open: closes at EOF
    socket.resume();
    await new Promise((resolve) => socket.once('close', resolve));
    const recorder = new Recorder();

    new SocketTransport(socket, recorder);

    expect(await recorder.lost).toBeUndefined();
    expect(recorder.events).toEqual(['connectionMade', 'eofReceived', 'connectionLost']);
  });

  it('keeps an EOF that arrives while reading is paused until resumeReading()', async () => {
    const { port } = await rawServer((socket) => socket.end('last words'), HALF_OPEN);
    const recorder = new Recorder();
    const made = recorder.connectionMade.bind(recorder);
    recorder.connectionMade = (transport: Transport) => {
      made(transport);
      transport.pauseReading();
    };

    const [transport] = await createConnection(() => recorder, '127.0.0.1', port);
    await sleep(30); // the data and the EOF reach the socket meanwhile
    expect(recorder.events).toEqual(['connectionMade']);
    transport.resumeReading();
    await recorder.lost;

    expect(recorder.text()).toBe('last words');
    expect(recorder.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
  });

  it('calls eofReceived and then keeps the transport open for writing when it returns true, until writeEof', async () => {
    const peer = collector();
    let peerSocket: net.Socket | undefined;
    const { port } = await rawServer((socket) => {
      peerSocket = socket;
      peer.onSocket(socket);
      socket.end('question');
    }, HALF_OPEN);
    const recorder = new Recorder();
    recorder.keepOpen = true;

    const [transport] = await createConnection(() => recorder, '127.0.0.1', port);
    await recorder.eof;
    expect(transport.isClosing()).toBe(false);
    transport.write('answer');
    transport.writeEof();
    expect(transport.isClosing()).toBe(false); // half-closed both ways, but not closed by us

    expect((await peer.ended).toString()).toBe('answer');
    expect(await recorder.lost).toBeUndefined();
    expect(recorder.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
    expect(peerSocket).toBeDefined();
  });

  it('reports an exception of eofReceived and loses the connection with it', async () => {
    const contexts = captureExceptions();
    const { port } = await rawServer((socket) => socket.end(), HALF_OPEN);
    const lost = new Future<Error | undefined>();

    await createConnection(
      (): Protocol => ({
        eofReceived: () => {
          throw new Error('eof handler failed');
        },
        connectionLost: (error) => lost.setResult(error),
      }),
      '127.0.0.1',
      port,
    );

    expect(await lost).toMatchObject({ message: 'eof handler failed' });
    expect(contexts.map((context) => context.message)).toEqual([
      'Fatal error: protocol.eofReceived() call failed.',
    ]);
  });
});

describe('writing (test_selector_events write cases)', () => {
  it('ignores writes of zero bytes, but refuses them after writeEof like any write', async () => {
    const peer = collector();
    const { port } = await rawServer(peer.onSocket, HALF_OPEN);
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    transport.write(new Uint8Array(0));
    transport.write('');
    transport.writeLines([]);
    transport.writeLines(['', new Uint8Array(0)]);
    expect(transport.getWriteBufferSize()).toBe(0);
    transport.write('x');
    transport.writeEof();

    expect(() => transport.write('')).toThrow(InvalidStateError);
    expect(() => transport.writeLines([])).toThrow(InvalidStateError);
    expect((await peer.ended).toString()).toBe('x');
    transport.close();
  });

  it('sends 10,000 one-byte chunks of writeLines complete and in order', async () => {
    const peer = collector();
    const { port } = await rawServer(peer.onSocket, HALF_OPEN);
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    const chunks = Array.from({ length: 10_000 }, (_, i) => String.fromCharCode(97 + (i % 26)));

    transport.writeLines(chunks);
    transport.writeLines(chunks.map((chunk) => Buffer.from(chunk)).values()); // any iterable
    transport.close();

    expect((await peer.ended).toString()).toBe(chunks.join('').repeat(2));
    await protocol.lost;
  });

  it('accepts a plain Uint8Array view into a larger buffer and sends only the view', async () => {
    const peer = collector();
    const { port } = await rawServer(peer.onSocket, HALF_OPEN);
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);
    const backing = new Uint8Array([0x30, 0x31, 0x32, 0x33, 0x34, 0x35]);

    transport.write(backing.subarray(2, 4));
    transport.close();

    expect((await peer.ended).toString()).toBe('23');
  });
});

describe('createConnection options', () => {
  it('treats ssl: false as plain TCP and leaves the options object as it was', async () => {
    const { port } = await echoServer();
    const options = { ssl: false as never };

    const [transport, protocol] = await createConnection(
      () => new Recorder(),
      '127.0.0.1',
      port,
      options,
    );
    transport.write('plain');
    await protocol.received(5);

    expect(options).toEqual({ ssl: false });
    expect(transport.getExtraInfo('sslobject')).toBeUndefined();
    transport.close();
    await protocol.lost;
  });
});

describe('pauseReading with data already buffered', () => {
  it('stops dataReceived at once, though Node has more bytes in hand, and resumes where it stopped', async () => {
    const total = 4 * 1024 * 1024;
    const { port } = await rawServer((socket) => socket.end(Buffer.alloc(total, 0x63)), HALF_OPEN);
    let transport: Transport | undefined;
    const recorder = new Recorder();
    let deliveriesWhilePaused = 0;
    let paused = false;
    const protocol: Protocol = {
      connectionMade: (made) => {
        transport = made;
        recorder.connectionMade(made);
      },
      dataReceived: (data) => {
        if (paused) deliveriesWhilePaused += 1;
        recorder.dataReceived(data);
        if (recorder.chunks.length === 1) {
          made().pauseReading();
          paused = true;
        }
      },
      eofReceived: () => recorder.eofReceived(),
      connectionLost: (error) => recorder.connectionLost(error),
    };
    const made = () => transport as Transport;

    await createConnection(() => protocol, '127.0.0.1', port);
    await until(() => paused, 'the first chunk');
    await sleep(50); // the peer's bytes reach our socket meanwhile
    const sizeWhilePaused = recorder.size();
    expect(made().isReading()).toBe(false);
    expect(recorder.events).not.toContain('eofReceived');

    paused = false;
    made().resumeReading();
    await recorder.lost;

    expect(deliveriesWhilePaused).toBe(0);
    expect(sizeWhilePaused).toBeLessThan(total);
    expect(recorder.size()).toBe(total);
    expect(recorder.events.slice(-2)).toEqual(['eofReceived', 'connectionLost']);
  });

  it('is a no-op to pause twice, resume twice, or pause a closing transport', async () => {
    const { port } = await echoServer();
    const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    transport.pauseReading();
    transport.pauseReading();
    transport.resumeReading();
    transport.resumeReading();
    expect(transport.isReading()).toBe(true);
    transport.write('ping');
    await protocol.received(4);
    transport.close();
    transport.pauseReading();
    transport.resumeReading();

    expect(transport.isReading()).toBe(false);
    await protocol.lost;
  });
});

describe('setWriteBufferLimits edges', () => {
  it('refuses low above high, negatives, fractions, NaN and Infinity, naming the argument', async () => {
    const { port } = await echoServer();
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    expect(() => transport.setWriteBufferLimits({ high: 0, low: 1 })).toThrow(
      new RangeError('limits.low must be <= limits.high; got low 1, high 0'),
    );
    expect(() => transport.setWriteBufferLimits({ low: -1 })).toThrow(
      new RangeError('limits.low must be an integer >= 0; got -1'),
    );
    expect(() => transport.setWriteBufferLimits({ high: 1.5 })).toThrow(RangeError);
    expect(() => transport.setWriteBufferLimits({ high: Number.NaN })).toThrow(RangeError);
    expect(() => transport.setWriteBufferLimits({ high: Number.POSITIVE_INFINITY })).toThrow(
      RangeError,
    );
    expect(() => transport.setWriteBufferLimits(null as never)).toThrow(TypeError);
    expect(transport.getWriteBufferLimits()).toEqual({ high: 65_536, low: 16_384 }); // unchanged
    transport.setWriteBufferLimits({ high: 0 });
    expect(transport.getWriteBufferLimits()).toEqual({ high: 0, low: 0 });
    transport.setWriteBufferLimits({ low: 0 });
    expect(transport.getWriteBufferLimits()).toEqual({ high: 0, low: 0 });
    transport.setWriteBufferLimits();
    expect(transport.getWriteBufferLimits()).toEqual({ high: 65_536, low: 16_384 });
    transport.abort();
  });

  it('with high 0, pauses on any write the OS does not take at once and resumes once all is sent', async () => {
    const { port } = await rawServer((socket) => socket.pause(), HALF_OPEN);
    const trace: string[] = [];
    const [transport] = await createConnection(
      (): Protocol => ({
        pauseWriting: () => trace.push('pause'),
        resumeWriting: () => trace.push('resume'),
      }),
      '127.0.0.1',
      port,
    );
    transport.setWriteBufferLimits({ high: 0 });

    transport.write(Buffer.alloc(1024));
    await until(() => transport.getWriteBufferSize() === 0, 'the write to be sent');
    await sleep(0);

    expect(trace.length % 2).toBe(0); // every pause was followed by its resume
    expect(trace.filter((event) => event === 'pause').length).toBeLessThanOrEqual(1);
    transport.abort();
  });

  it('calls pauseWriting at once when new limits are below what is buffered, and resumeWriting after', async () => {
    let peer: net.Socket | undefined;
    const { port } = await rawServer((socket) => {
      peer = socket;
      socket.pause();
    }, HALF_OPEN);
    const trace: string[] = [];
    const [transport] = await createConnection(
      (): Protocol => ({
        pauseWriting: () => trace.push('pause'),
        resumeWriting: () => trace.push('resume'),
      }),
      '127.0.0.1',
      port,
    );
    transport.setWriteBufferLimits({ high: 64 * 1024 * 1024 });
    for (let i = 0; i < 200 && transport.getWriteBufferSize() === 0; i++) {
      transport.write(Buffer.alloc(256 * 1024));
      await sleep(1);
    }
    expect(trace).toEqual([]);

    transport.setWriteBufferLimits({ high: 1, low: 0 });
    expect(trace).toEqual(['pause']);
    peer?.resume();
    await until(() => trace.length === 2, 'resumeWriting');

    expect(trace).toEqual(['pause', 'resume']);
    expect(transport.getWriteBufferSize()).toBe(0);
    transport.abort();
  });
});

describe('abort() with writes pending', () => {
  it('drops the buffer, loses the connection once without an error, and never resumes writing', async () => {
    const { port } = await rawServer((socket) => socket.pause(), HALF_OPEN);
    const trace: string[] = [];
    const lost = new Future<Error | undefined>();
    const [transport] = await createConnection(
      (): Protocol => ({
        pauseWriting: () => trace.push('pause'),
        resumeWriting: () => trace.push('resume'),
        connectionLost: (error) => {
          trace.push('lost');
          lost.setResult(error);
        },
      }),
      '127.0.0.1',
      port,
    );
    for (let i = 0; i < 200 && trace.at(-1) !== 'pause'; i++) {
      transport.write(Buffer.alloc(256 * 1024));
      await sleep(1);
    }
    // The kernel may take in what was buffered (a pause then a resume) on a busy machine;
    // 32 MB more than its socket buffers hold keeps writing paused until the abort.
    transport.write(Buffer.alloc(32 * 1024 * 1024));
    expect(trace.at(-1)).toBe('pause');
    const beforeAbort = trace.length;

    transport.abort();
    transport.abort();

    expect(transport.isClosing()).toBe(true);
    expect(transport.getWriteBufferSize()).toBe(0);
    expect(() => transport.write('more')).toThrow(InvalidStateError);
    expect(await lost).toBeUndefined();
    await sleep(10);
    expect(trace.slice(beforeAbort)).toEqual(['lost']);
  });

  it('close() then abort() while the buffer drains: connectionLost once, no error', async () => {
    const { port } = await rawServer((socket) => socket.pause(), HALF_OPEN);
    const protocol = new Recorder();
    const [transport] = await createConnection(() => protocol, '127.0.0.1', port);
    for (let i = 0; i < 200 && transport.getWriteBufferSize() === 0; i++) {
      transport.write(Buffer.alloc(256 * 1024));
      await sleep(1);
    }

    transport.close(); // would wait for the peer to read
    transport.abort(); // gives up now

    expect(await protocol.lost).toBeUndefined();
    expect(protocol.events).toEqual(['connectionMade', 'connectionLost']);
  });
});

describe('BufferedProtocol over a real socket (test_buf_feed_data)', () => {
  /** A BufferedProtocol whose buffer sizes follow `sizes` (the last one repeats). */
  function bufferedRecorder(sizes: number[]) {
    const received: number[] = [];
    const updates: number[] = [];
    const hints: number[] = [];
    const lost = new Future<Error | undefined>();
    let call = 0;
    let current = new Uint8Array(1);
    const protocol: BufferedProtocol & { transport?: Transport } = {
      connectionMade(transport) {
        this.transport = transport;
      },
      getBuffer(sizeHint) {
        hints.push(sizeHint);
        current = new Uint8Array(sizes[Math.min(call, sizes.length - 1)] as number);
        call += 1;
        return current;
      },
      bufferUpdated(bytes) {
        updates.push(bytes);
        received.push(...current.subarray(0, bytes));
      },
      connectionLost: (error) => lost.setResult(error),
    };
    return { protocol, received, updates, hints, lost };
  }

  it('fills buffers smaller than a chunk with the right bytes, in order', async () => {
    const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => i % 251));
    const { port } = await rawServer((socket) => socket.end(payload), HALF_OPEN);
    const buffered = bufferedRecorder([1, 2, 3, 5, 8, 13, 4096]);

    await createConnection(() => buffered.protocol, '127.0.0.1', port);
    await buffered.lost;

    expect(Buffer.from(buffered.received).equals(payload)).toBe(true);
    expect(buffered.updates.slice(0, 6)).toEqual([1, 2, 3, 5, 8, 13]);
    expect(
      buffered.updates.every((n, i) => n <= (i < 6 ? ([1, 2, 3, 5, 8, 13][i] as number) : 4096)),
    ).toBe(true);
    expect(buffered.hints.every((hint) => hint > 0)).toBe(true);
  });

  it('hands the rest of a chunk to the new protocol when bufferUpdated calls setProtocol (test_start_tls_client_buf_proto_1)', async () => {
    const { port } = await rawServer((socket) => socket.end('O2345'), HALF_OPEN);
    const second = new Recorder();
    const first = bufferedRecorder([1]);
    first.protocol.bufferUpdated = function (this: typeof first.protocol, bytes: number) {
      first.updates.push(bytes);
      this.transport?.setProtocol(second);
    };

    await createConnection(() => first.protocol, '127.0.0.1', port);
    await second.lost;

    expect(first.updates).toEqual([1]);
    expect(second.text()).toBe('2345');
    expect(second.events).toEqual(['dataReceived', 'eofReceived', 'connectionLost']);
  });

  it('stops filling buffers when bufferUpdated pauses reading, and goes on after resumeReading', async () => {
    const { port } = await rawServer((socket) => socket.end('abcdef'), HALF_OPEN);
    const buffered = bufferedRecorder([1]);
    const original = buffered.protocol.bufferUpdated.bind(buffered.protocol);
    buffered.protocol.bufferUpdated = (bytes: number) => {
      original(bytes);
      if (buffered.updates.length === 2) buffered.protocol.transport?.pauseReading();
    };

    const [transport] = await createConnection(() => buffered.protocol, '127.0.0.1', port);
    await until(() => buffered.updates.length >= 2, 'two bytes');
    await sleep(30);
    expect(Buffer.from(buffered.received).toString()).toBe('ab');

    transport.resumeReading();
    await buffered.lost;

    expect(Buffer.from(buffered.received).toString()).toBe('abcdef');
  });

  it('loses the connection with a TypeError when getBuffer returns an empty buffer', async () => {
    const contexts = captureExceptions();
    const { port } = await rawServer((socket) => socket.end('data'), HALF_OPEN);
    const lost = new Future<Error | undefined>();

    await createConnection(
      (): BufferedProtocol => ({
        getBuffer: () => new Uint8Array(0),
        bufferUpdated: () => {},
        connectionLost: (error) => lost.setResult(error),
      }),
      '127.0.0.1',
      port,
    );

    expect(await lost).toBeInstanceOf(TypeError);
    expect(contexts).toHaveLength(1);
  });
});

describe('getExtraInfo', () => {
  it('still knows peername and sockname in connectionLost, after the socket is gone', async () => {
    const { port } = await rawServer((socket) => socket.destroy(), HALF_OPEN);
    const seen = new Future<unknown[]>();
    let transport: Transport | undefined;

    await createConnection(
      (): Protocol => ({
        connectionMade: (made) => {
          transport = made;
        },
        connectionLost: () =>
          seen.setResult([
            transport?.getExtraInfo('peername'),
            transport?.getExtraInfo<net.AddressInfo>('sockname')?.address,
          ]),
      }),
      '127.0.0.1',
      port,
    );

    expect(await seen).toEqual([{ address: '127.0.0.1', family: 'IPv4', port }, '127.0.0.1']);
  });

  it('returns the default for unknown names and for TLS names on a plain socket', async () => {
    const { port } = await echoServer();
    const [transport] = await createConnection(() => new Recorder(), '127.0.0.1', port);

    expect(transport.getExtraInfo('no such thing')).toBeUndefined();
    expect(transport.getExtraInfo('no such thing', 42)).toBe(42);
    expect(transport.getExtraInfo('peercert', 'none')).toBe('none');
    expect(transport.getExtraInfo('cipher')).toBeUndefined();
    expect(transport.getExtraInfo('socket')).toBeInstanceOf(net.Socket);
    transport.abort();
  });
});
