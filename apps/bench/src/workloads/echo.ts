import { once } from 'node:events';
import { createServer, type Socket, connect as tcpConnect } from 'node:net';
import { now } from '../measure.js';
import type { Workload } from '../workload.js';

/*
 * Echo over TCP on 127.0.0.1, with the echo server and its client(s) in the same
 * process, both written with the API under test (as uvloop's echo benchmarks pair a
 * server and a client of the same kind): what is measured is what a peer costs on both
 * ends of a connection, on one core, which a loaded 2-core machine disturbs least.
 * Every peer's server and client honour flow control (a paused write stops reading or
 * sending), so no buffer grows without bound.
 */

/** echo-throughput writes this much at a time. */
const CHUNK_BYTES = 64 * 1024;
/** echo-rtt: clients in flight, and the bytes of one request (and of its echo). */
const RTT_CLIENTS = 50;
const RTT_MESSAGE_BYTES = 64;

type Api = 'streams' | 'protocol';

function requireApi(variant: string | undefined): Api {
  if (variant !== 'streams' && variant !== 'protocol') {
    throw new RangeError(`variant must be streams or protocol; got ${variant}`);
  }
  return variant;
}

/** Whole chunks for `size` bytes (at least one). */
function chunksFor(size: number): number {
  return Math.max(1, Math.ceil(size / CHUNK_BYTES));
}

/** MB/s (10^6 bytes) for `bytes` over the time since `startedMs`. */
function megabytesPerSecond(bytes: number, startedMs: number): number {
  return bytes / 1e6 / ((now() - startedMs) / 1000);
}

// ---- the raw-Node floor: net.Socket, 'data' events, write()'s return and 'drain' ----

/**
 * An echo server on 127.0.0.1: what arrives is written back; a full buffer pauses
 * reading. `stop` closes it and every connection it accepted.
 */
async function startNetEchoServer(): Promise<{ port: number; stop: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      if (!socket.write(data)) socket.pause();
    });
    socket.on('drain', () => socket.resume());
    socket.on('end', () => socket.end());
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const stop = (): void => {
    for (const socket of sockets) socket.destroy();
    server.close();
  };
  return { port: address.port, stop };
}

async function netConnect(port: number): Promise<Socket> {
  const socket = tcpConnect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

async function netThroughput(size: number): Promise<number> {
  const { port, stop } = await startNetEchoServer();
  const client = await netConnect(port);
  const chunk = Buffer.alloc(CHUNK_BYTES, 0x61);
  const total = chunksFor(size) * CHUNK_BYTES;
  const started = now();
  const echoed = new Promise<void>((resolve) => {
    let received = 0;
    client.on('data', (data) => {
      received += data.length;
      if (received >= total) resolve();
    });
  });
  let sent = 0;
  const send = (): void => {
    while (sent < total) {
      sent += CHUNK_BYTES;
      if (!client.write(chunk)) {
        client.once('drain', send);
        return;
      }
    }
  };
  send();
  await echoed;
  const rate = megabytesPerSecond(total, started);
  client.destroy();
  stop();
  return rate;
}

async function netRoundTrips(durationMs: number): Promise<number> {
  const { port, stop } = await startNetEchoServer();
  const clients = await Promise.all(Array.from({ length: RTT_CLIENTS }, () => netConnect(port)));
  const message = Buffer.alloc(RTT_MESSAGE_BYTES, 0x61);
  let stopped = false;
  let roundTrips = 0;
  const started = now();
  setTimeout(() => {
    stopped = true;
  }, durationMs);
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) => {
          let pending = 0;
          client.on('data', (data) => {
            pending += data.length;
            while (pending >= RTT_MESSAGE_BYTES) {
              pending -= RTT_MESSAGE_BYTES;
              roundTrips++;
              if (stopped) return resolve();
              client.write(message);
            }
          });
          client.write(message);
        }),
    ),
  );
  const rate = roundTrips / ((now() - started) / 1000);
  for (const client of clients) client.destroy();
  stop();
  return rate;
}

// ---- coro: the streams API and the Protocol API ----

async function coroThroughput(_size: number, _api: Api): Promise<number> {
  throw new Error('@coro/streams and @coro/transports are not built yet');
}

async function coroRoundTrips(_durationMs: number, _api: Api): Promise<number> {
  throw new Error('@coro/streams and @coro/transports are not built yet');
}

/**
 * One client sends `size` bytes (1 GiB) in 64 KiB writes through an echo server and
 * reads them all back; MB/s of the bytes sent. Python twin: python/echo-throughput.py.
 */
export const echoThroughput: Workload = {
  name: 'echo-throughput',
  unit: 'MB/s',
  summary: 'one client sends 64 KiB writes through an echo server on 127.0.0.1 and reads them back',
  defaultSize: 1024 * 1024 * 1024,
  sizeLabel: 'bytes',
  peers: [
    { peer: 'coro', variants: ['streams', 'protocol'] },
    { peer: 'node' },
    { peer: 'asyncio', variants: ['streams', 'protocol'] },
    { peer: 'uvloop', variants: ['streams', 'protocol'] },
  ],
  targets: [
    { kind: 'ratio', peer: 'node', atLeast: 0.9, variant: 'streams' },
    { kind: 'ratio', peer: 'node', atLeast: 1, variant: 'protocol' },
  ],
  coro: (size, variant) => coroThroughput(size, requireApi(variant)),
  node: netThroughput,
};

/**
 * 50 clients, each sending 64 bytes and waiting for their echo, again and again, for
 * `size` ms (5 s); round trips/s. Python twin: python/echo-rtt.py.
 */
export const echoRtt: Workload = {
  name: 'echo-rtt',
  unit: 'ops/s',
  unitLabel: 'round trips/s',
  summary: '50 clients, 64-byte request and echo, one at a time each, for a fixed time',
  defaultSize: 5_000,
  sizeLabel: 'ms',
  peers: [
    { peer: 'coro', variants: ['streams', 'protocol'] },
    { peer: 'node' },
    { peer: 'asyncio', variants: ['streams', 'protocol'] },
    { peer: 'uvloop', variants: ['streams', 'protocol'] },
  ],
  targets: [{ kind: 'ratio', peer: 'node', atLeast: 0.9 }],
  coro: (size, variant) => coroRoundTrips(size, requireApi(variant)),
  node: netRoundTrips,
};
