import * as dgram from 'node:dgram';
import { once } from 'node:events';
import * as net from 'node:net';
import { run } from '@coro/futures';
import { NodeLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  createConnection,
  createDatagramEndpoint,
  createServer,
  type Protocol,
  subprocessExec,
} from '../src/index.js';

/** A plain Node server outside any coro loop, that hands over the sockets it accepts. */
async function plainServer(): Promise<{
  port: number;
  accepted: Promise<net.Socket>;
  close(): void;
}> {
  const server = net.createServer();
  const accepted = once(server, 'connection').then(([socket]) => socket as net.Socket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    close: () => server.close(),
  };
}

describe('what a loop leaves open', () => {
  it('aborts a connection left open when run() ends, so the peer sees it close', async () => {
    const peer = await plainServer();
    try {
      await run(async () => {
        await createConnection(() => ({}), '127.0.0.1', peer.port); // never closed
      });
      const socket = await peer.accepted;
      if (!socket.closed) await once(socket, 'close');

      expect(socket.closed).toBe(true);
    } finally {
      peer.close();
    }
  });

  it('closes a server left listening when run() ends', async () => {
    let port = 0;
    await run(async () => {
      const server = await createServer(() => ({}), '127.0.0.1', 0); // never closed
      port = (server.addresses()[0] as net.AddressInfo).port;
    });

    const probe = net.connect(port, '127.0.0.1');
    const [error] = (await once(probe, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('closes a datagram endpoint left open when run() ends', async () => {
    let port = 0;
    await run(async () => {
      const [endpoint] = await createDatagramEndpoint(() => ({}), { localAddr: ['127.0.0.1', 0] });
      port = (endpoint.getExtraInfo('sockname') as { port: number }).port;
    });

    // The port is free again: binding it succeeds.
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.bind(port, '127.0.0.1', resolve);
    });
    expect(probe.address().port).toBe(port);
    probe.close();
  });

  it('kills a child left running when run() ends', async () => {
    let pid = 0;
    await run(async () => {
      const [transport] = await subprocessExec(() => ({}), process.execPath, [
        '-e',
        'setTimeout(() => {}, 60_000)',
      ]);
      pid = transport.getPid() ?? 0;
    });

    await waitUntil(() => !isAlive(pid));
    expect(isAlive(pid)).toBe(false);
  });

  it('drops data that arrives after its loop was closed, instead of throwing from a Node event', async () => {
    const peer = await plainServer();
    const loop = new NodeLoop();
    const heard: string[] = [];
    const protocol: Protocol = { dataReceived: (data) => heard.push(String(data)) };
    try {
      await loop.runUntilComplete(() => createConnection(() => protocol, '127.0.0.1', peer.port));
      loop.close(); // no Runner: nothing aborted the transport
      const socket = await peer.accepted;
      socket.write('too late');
      await once(socket, 'close'); // the transport dropped its socket when the data came

      expect(heard).toEqual([]);
    } finally {
      peer.close();
    }
  });

  it('reports an unclosed transport through the exception handler in debug mode', async () => {
    const peer = await plainServer();
    const loop = new NodeLoop();
    loop.setDebug(true);
    loop.slowCallbackDuration = Number.POSITIVE_INFINITY;
    const messages: string[] = [];
    loop.setExceptionHandler((_loop, context) => messages.push(context.message));
    try {
      await run(() => createConnection(() => ({}), '127.0.0.1', peer.port), { loop });

      expect(messages).toEqual([
        expect.stringMatching(
          /^unclosed transport to 127\.0\.0\.1:\d+ aborted when the loop shut down$/,
        ),
      ]);
    } finally {
      loop.close();
      peer.close();
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
