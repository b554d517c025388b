import { Socket as DgramSocket } from 'node:dgram';
import { CancelledError, createTask, InvalidStateError, sleep } from '@coro/futures';
import { getRunningLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { nodeHasReusePort } from '../src/create-datagram-endpoint.js';
import {
  createDatagramEndpoint,
  type DatagramProtocol,
  type DatagramTransport,
  type SocketAddress,
} from '../src/index.js';
import { portOf, Recorder } from './datagram-helpers.js';
import { cancelLater } from './helpers.js';

const LOCAL: [string, number] = ['127.0.0.1', 0];

/** A protocol that answers each datagram with `resp:<data>` (CPython's test_create_datagram_endpoint). */
class Responder extends Recorder {
  override datagramReceived(data: Uint8Array, from: SocketAddress): void {
    super.datagramReceived(data, from);
    this.transport?.sendto(`resp:${Buffer.from(data).toString()}`, from);
  }
}

async function closed(...endpoints: [DatagramTransport, Recorder][]): Promise<void> {
  for (const [transport] of endpoints) transport.close();
  for (const [, protocol] of endpoints) await protocol.lost;
}

describe('createDatagramEndpoint', () => {
  it('exchanges datagrams between a bound and a connected endpoint (test_create_datagram_endpoint)', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Responder(), {
      localAddr: LOCAL,
    });
    expect(server.trace).toEqual(['connectionMade']); // before the call resolved
    expect(server.transport).toBe(serverTransport);
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: ['127.0.0.1', portOf(serverTransport)],
    });

    clientTransport.sendto('xxx');
    await client.datagrams(1);

    expect(server.received.map((datagram) => datagram.text)).toEqual(['xxx']);
    expect(server.received[0]?.from).toEqual(clientTransport.getExtraInfo('sockname'));
    expect(client.received).toEqual([
      {
        text: 'resp:xxx',
        from: { address: '127.0.0.1', family: 'IPv4', port: portOf(serverTransport) },
      },
    ]);
    await closed([clientTransport, client], [serverTransport, server]);
    expect(client.trace).toEqual(['connectionMade', 'datagram resp:xxx', 'connectionLost']);
    expect(await client.lost).toBeUndefined();
  });

  it('accepts { address, port } objects as well as [host, port] pairs', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: { address: '127.0.0.1', port: 0 },
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: ['127.0.0.1', 0],
    });

    clientTransport.sendto('pair', ['127.0.0.1', portOf(serverTransport)]);
    clientTransport.sendto('object', { address: '127.0.0.1', port: portOf(serverTransport) });
    await server.datagrams(2);

    expect(server.received.map((datagram) => datagram.text).sort()).toEqual(['object', 'pair']);
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('resolves a host name of localAddr and of a destination', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: ['localhost', 0],
      family: 4,
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      family: 4,
    });

    clientTransport.sendto('by name', ['localhost', portOf(serverTransport)]);
    await server.datagrams(1);

    expect(serverTransport.getExtraInfo('sockname')).toMatchObject({ address: '127.0.0.1' });
    expect(server.received[0]?.text).toBe('by name');
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('sends what the buffer held at sendto(), even if the caller reuses it while a host name resolves', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: ['127.0.0.1', 0],
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      family: 4,
    });
    const reused = Buffer.from('first');

    clientTransport.sendto(reused, ['localhost', portOf(serverTransport)]);
    reused.write('later'); // the lookup is still under way: the datagram must not change
    await server.datagrams(1);

    expect(server.received[0]?.text).toBe('first');
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('sends and receives empty datagrams', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: ['127.0.0.1', portOf(serverTransport)],
    });

    clientTransport.sendto(new Uint8Array(0));
    await server.datagrams(1);

    expect(server.received[0]?.text).toBe('');
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('binds the wildcard address of `family` when given no address', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      family: 4,
    });

    expect(clientTransport.getExtraInfo('sockname')).toMatchObject({
      address: '0.0.0.0',
      family: 'IPv4',
    });
    expect(clientTransport.getExtraInfo('peername')).toBeUndefined();
    clientTransport.sendto('hi', ['127.0.0.1', portOf(serverTransport)]);
    await server.datagrams(1);
    expect(server.received[0]?.from.port).toBe(portOf(clientTransport));
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('reports sockname, peername and the socket as extra information', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: { address: '127.0.0.1', port: portOf(serverTransport) },
    });

    expect(clientTransport.getExtraInfo('peername')).toEqual({
      address: '127.0.0.1',
      family: 'IPv4',
      port: portOf(serverTransport),
    });
    expect(serverTransport.getExtraInfo('peername', 'none')).toBe('none');
    expect(clientTransport.getExtraInfo('socket')).toBeInstanceOf(DgramSocket);
    expect(clientTransport.getExtraInfo('no such thing', 42)).toBe(42);
    expect(clientTransport.getProtocol()).toBe(client);
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('rejects a bind to a port in use with EADDRINUSE', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    let made = 0;

    const attempt = createDatagramEndpoint(
      () => {
        made++;
        return new Recorder();
      },
      { localAddr: ['127.0.0.1', portOf(serverTransport)] },
    );

    await expect(attempt).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(made).toBe(0);
    await closed([serverTransport, server]);
  });

  it('validates the factory and the options', async () => {
    const factory = () => new Recorder();
    await expect(createDatagramEndpoint('nope' as never)).rejects.toThrow(
      new TypeError('protocolFactory must be a function; got "nope" (a string)'),
    );
    await expect(createDatagramEndpoint(factory)).rejects.toThrow(
      /options.family must be 4 or 6 when neither/,
    );
    await expect(createDatagramEndpoint(factory, { family: 5 as never })).rejects.toThrow(
      new RangeError('options.family must be 0, 4 or 6; got 5'),
    );
    await expect(
      createDatagramEndpoint(factory, { localAddr: ['127.0.0.1', 70_000] }),
    ).rejects.toThrow(
      new RangeError('options.localAddr port must be an integer in 0..65535; got 70000'),
    );
    await expect(createDatagramEndpoint(factory, { remoteAddr: ['127.0.0.1', 0] })).rejects.toThrow(
      RangeError,
    );
    await expect(
      createDatagramEndpoint(factory, { localAddr: '127.0.0.1:80' as never }),
    ).rejects.toThrow(TypeError);
    await expect(
      createDatagramEndpoint(factory, { localAddr: LOCAL, allowBroadcast: 'yes' as never }),
    ).rejects.toThrow(
      new TypeError('options.allowBroadcast must be a boolean; got "yes" (a string)'),
    );
    await expect(
      createDatagramEndpoint(factory, { localAddr: ['::1', 0], family: 4 }),
    ).rejects.toThrow(RangeError);
  });

  it('rejects with the reason of an already aborted signal', async () => {
    const reason = new Error('not today');
    await expect(
      createDatagramEndpoint(() => new Recorder(), {
        localAddr: LOCAL,
        signal: AbortSignal.abort(reason),
      }),
    ).rejects.toBe(reason);
  });

  it('gives up when the signal aborts while binding, without making the protocol', async () => {
    const controller = new AbortController();
    let made = 0;

    const attempt = createDatagramEndpoint(
      () => {
        made++;
        return new Recorder();
      },
      { localAddr: LOCAL, signal: controller.signal },
    );
    controller.abort(new Error('stop'));

    await expect(attempt).rejects.toThrow('stop');
    await sleep(20);
    expect(made).toBe(0);
  });

  it('is cancelled with the task that awaits it', async () => {
    let made = 0;
    const task = createTask(() =>
      createDatagramEndpoint(
        () => {
          made++;
          return new Recorder();
        },
        { localAddr: ['localhost', 0], family: 4 },
      ),
    );
    await sleep(0); // the task is now waiting for the lookup or the bind

    task.cancel('enough');

    await expect(task).rejects.toBeInstanceOf(CancelledError);
    await sleep(20);
    expect(made).toBe(0);
  });

  it('never leaves an endpoint open, whichever loop callback the cancellation comes from (DESIGN §4)', async () => {
    // From connectionMade (just before the creation completes), cancel `hops` loop
    // callbacks later, or in a microtask right after it (hops -1).
    for (let hops = -1; hops < 6; hops++) {
      const protocol = new Recorder();
      const task = createTask(() =>
        createDatagramEndpoint(
          () => {
            protocol.connectionMade = function (transport) {
              Recorder.prototype.connectionMade.call(this, transport);
              if (hops < 0) queueMicrotask(() => task.cancel());
              else cancelLater(hops, () => task.cancel());
            };
            return protocol;
          },
          { localAddr: LOCAL },
        ),
      );
      const outcome = await task.then(
        ([transport]) => transport,
        (error: unknown) => error,
      );

      if (!(outcome instanceof CancelledError)) {
        expect(outcome).toBe(protocol.transport); // done before the cancel: the caller closes it
        protocol.transport?.close();
      }
      await protocol.lost;
      expect(protocol.trace).toEqual(['connectionMade', 'connectionLost']);
    }
  });

  it('lets two endpoints share a port with reusePort where Node.js supports it', async () => {
    if (!nodeHasReusePort()) {
      await expect(
        createDatagramEndpoint(() => new Recorder(), { localAddr: LOCAL, reusePort: true }),
      ).rejects.toThrow(/reusePort needs Node.js 22.12/);
      return;
    }
    const [first, firstProtocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
      reusePort: true,
    });
    const [second, secondProtocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: ['127.0.0.1', portOf(first)],
      reusePort: true,
    });
    expect(portOf(second)).toBe(portOf(first));
    await closed([first, firstProtocol], [second, secondProtocol]);
  });

  it('sends to a broadcast address only with allowBroadcast', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [plainTransport, plain] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [broadcastTransport, broadcaster] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
      allowBroadcast: true,
    });
    const serverAddress: [string, number] = ['127.0.0.1', portOf(serverTransport)];

    plainTransport.sendto('b', ['127.255.255.255', portOf(serverTransport)]);
    broadcastTransport.sendto('b', ['127.255.255.255', portOf(serverTransport)]);
    broadcastTransport.sendto('after', serverAddress); // its send completes after the broadcast's
    await plain.until(() => plain.errors.length > 0);
    await server.until(() => server.received.some((datagram) => datagram.text === 'after'));

    expect(plain.errors.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(['EACCES']);
    expect(plainTransport.isClosing()).toBe(false);
    expect(broadcaster.errors).toEqual([]);
    await closed(
      [plainTransport, plain],
      [broadcastTransport, broadcaster],
      [serverTransport, server],
    );
  });
});

describe('DatagramTransport.sendto', () => {
  it('takes no address, or the remote address, on a connected endpoint', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const port = portOf(serverTransport);
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: ['127.0.0.1', port],
    });

    clientTransport.sendto('a');
    clientTransport.sendto('b', ['127.0.0.1', port]);
    clientTransport.sendto('c', { address: '127.0.0.1', port });
    expect(() => clientTransport.sendto('d', ['127.0.0.1', port + 1])).toThrow(
      new RangeError(
        `to must be omitted or the remote address 127.0.0.1:${port} on a connected endpoint; got 127.0.0.1:${port + 1}`,
      ),
    );
    await server.datagrams(3);

    expect(server.received.map((datagram) => datagram.text)).toEqual(['a', 'b', 'c']);
    await closed([clientTransport, client], [serverTransport, server]);
  });

  it('needs an address on an endpoint made without remoteAddr, and bytes or a string', async () => {
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });

    expect(() => transport.sendto('x')).toThrow(TypeError);
    expect(() => transport.sendto('x', ['127.0.0.1', 0])).toThrow(RangeError);
    expect(() => transport.sendto(42 as never, ['127.0.0.1', 9])).toThrow(
      new TypeError('data must be a Uint8Array or a string; got 42'),
    );
    await closed([transport, protocol]);
  });

  it('throws InvalidStateError after close()', async () => {
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });

    transport.close();

    expect(transport.isClosing()).toBe(true);
    expect(() => transport.sendto('late', ['127.0.0.1', 9])).toThrow(InvalidStateError);
    await protocol.lost;
  });
});

describe('DatagramProtocol.errorReceived', () => {
  it('hears ECONNREFUSED on a connected endpoint and the endpoint stays open', async () => {
    const [goneTransport, gone] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const closedPort = portOf(goneTransport);
    await closed([goneTransport, gone]);
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: ['127.0.0.1', closedPort],
    });

    transport.sendto('anyone?');
    await protocol.until(() => protocol.errors.length > 0);

    expect((protocol.errors[0] as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    expect(transport.isClosing()).toBe(false);
    transport.sendto('still here'); // no throw: the endpoint is open
    await closed([transport, protocol]);
    expect(protocol.trace.filter((event) => event === 'connectionLost')).toHaveLength(1);
  });

  it('keeps receiving after sending to an address nobody listens on (test_datagram_send_to_non_listening_address)', async () => {
    const [first, firstProtocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [second, secondProtocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [third, thirdProtocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const nobody = portOf(third);
    third.abort();
    await thirdProtocol.lost;

    first.sendto('a', ['127.0.0.1', portOf(second)]);
    await secondProtocol.datagrams(1);
    first.sendto('c', ['127.0.0.1', nobody]);
    await sleep(10);
    second.sendto('d', ['127.0.0.1', portOf(first)]);
    await firstProtocol.datagrams(1);

    expect(firstProtocol.received.map((datagram) => datagram.text)).toEqual(['d']);
    await closed([first, firstProtocol], [second, secondProtocol]);
  });
});

describe('DatagramTransport flow control', () => {
  it('pauses writing while sends wait for a DNS lookup above the high-water mark, then resumes', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    transport.setWriteBufferLimits({ high: 100 });

    transport.sendto('x'.repeat(60), ['localhost', portOf(serverTransport)]);
    const afterFirst = transport.getWriteBufferSize();
    transport.sendto('y'.repeat(60), ['localhost', portOf(serverTransport)]);
    const afterSecond = transport.getWriteBufferSize();
    const traceAfterSends = [...protocol.trace];
    await protocol.until(() => protocol.trace.includes('resumeWriting'));
    await server.datagrams(2);

    expect([afterFirst, afterSecond]).toEqual([68, 136]); // 8 bytes of header each, as asyncio
    expect(traceAfterSends).toEqual(['connectionMade', 'pauseWriting']);
    expect(protocol.trace).toEqual(['connectionMade', 'pauseWriting', 'resumeWriting']);
    expect(transport.getWriteBufferSize()).toBe(0);
    await closed([transport, protocol], [serverTransport, server]);
  });

  it('pauses at once when the limits are lowered below what is buffered', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });

    transport.sendto('z'.repeat(50), ['localhost', portOf(serverTransport)]);
    expect(protocol.trace).toEqual(['connectionMade']);
    transport.setWriteBufferLimits({ high: 10, low: 0 });

    expect(transport.getWriteBufferLimits()).toEqual({ high: 10, low: 0 });
    expect(protocol.trace).toEqual(['connectionMade', 'pauseWriting']);
    expect(() => transport.setWriteBufferLimits({ high: 1, low: 2 })).toThrow(RangeError);
    await protocol.until(() => protocol.trace.includes('resumeWriting'));
    await closed([transport, protocol], [serverTransport, server]);
  });

  it('alternates pauseWriting and resumeWriting under a flood and ends resumed', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: ['127.0.0.1', portOf(serverTransport)],
    });
    transport.setWriteBufferLimits({ high: 4_096 });
    const payload = new Uint8Array(1_400);

    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) transport.sendto(payload);
      await sleep(0);
    }
    await sleep(50);

    const flow = protocol.trace.filter((event) => event.endsWith('Writing'));
    const alternating = flow.map((_, index) =>
      index % 2 === 0 ? 'pauseWriting' : 'resumeWriting',
    );
    expect(flow).toEqual(alternating);
    expect(flow.length % 2).toBe(0);
    expect(transport.getWriteBufferSize()).toBe(0);
    await closed([transport, protocol], [serverTransport, server]);
  });
});

describe('DatagramTransport closing', () => {
  it('calls connectionLost once, however often close() and abort() are called', async () => {
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });

    transport.close();
    transport.close();
    transport.abort();
    await protocol.lost;
    await sleep(10);

    expect(protocol.trace).toEqual(['connectionMade', 'connectionLost']);
  });

  it('delivers datagrams sent before close() and nothing after it', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const [clientTransport, client] = await createDatagramEndpoint(() => new Recorder(), {
      remoteAddr: ['localhost', portOf(serverTransport)],
    });

    clientTransport.sendto('one');
    clientTransport.sendto('two');
    clientTransport.close();
    await client.lost;
    await server.datagrams(2);
    serverTransport.close();
    await server.lost;

    expect(server.trace).toEqual([
      'connectionMade',
      'datagram one',
      'datagram two',
      'connectionLost',
    ]);
  });

  it('loses the connection when its socket is closed under it', async () => {
    const [transport, protocol] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });

    transport.getExtraInfo<DgramSocket>('socket')?.close();
    await protocol.lost;

    expect(transport.isClosing()).toBe(true);
    transport.sendto('dropped', ['127.0.0.1', 9]); // lost by itself: dropped silently
    expect(protocol.trace).toEqual(['connectionMade', 'connectionLost']);
  });

  it('reports an exception of datagramReceived to the loop and keeps the endpoint open', async () => {
    const [serverTransport, server] = await createDatagramEndpoint(() => new Recorder(), {
      localAddr: LOCAL,
    });
    const failing: DatagramProtocol = {
      datagramReceived: () => {
        throw new Error('bad datagram');
      },
    };
    const [transport] = await createDatagramEndpoint(() => failing, { localAddr: LOCAL });
    const loop = getRunningLoop();
    const reported: unknown[] = [];
    const previous = loop.getExceptionHandler();
    loop.setExceptionHandler((_loop, context) => reported.push(context.exception));
    try {
      serverTransport.sendto('boom', ['127.0.0.1', portOf(transport)]);
      for (let i = 0; i < 200 && reported.length === 0; i++) await sleep(5);
    } finally {
      loop.setExceptionHandler(previous);
    }

    expect(reported).toEqual([new Error('bad datagram')]);
    expect(transport.isClosing()).toBe(false);
    transport.close();
    await closed([serverTransport, server]);
  });
});
