import { once } from 'node:events';
import { createServer as netCreateServer, type Socket, connect as tcpConnect } from 'node:net';
import { createTask, Future, gather, run } from '@coro/futures';
import { getRunningLoop } from '@coro/loop';
import { openConnection, type StreamReader, type StreamWriter, startServer } from '@coro/streams';
import {
  type Server as CoroServer,
  createConnection,
  createServer,
  type Protocol,
  type Transport,
} from '@coro/transports';
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
  const server = netCreateServer((socket) => {
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

// ---- coro: the streams API and the Protocol API, inside run() ----

/** An echo server's handler on coro streams: read up to 64 KiB, write it back, drain. */
async function echoStream(reader: StreamReader, writer: StreamWriter): Promise<void> {
  try {
    for (;;) {
      const data = await reader.read(CHUNK_BYTES);
      if (data.length === 0) break;
      writer.write(data);
      await writer.drain();
    }
  } catch {
    // the client went away: nothing to echo
  } finally {
    writer.close();
  }
}

/** An echo server's protocol: writes back what arrives; a full write buffer pauses reading. */
class EchoProtocol implements Protocol {
  #transport!: Transport;
  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  dataReceived(data: Uint8Array): void {
    this.#transport.write(data);
  }
  pauseWriting(): void {
    this.#transport.pauseReading();
  }
  resumeWriting(): void {
    this.#transport.resumeReading();
  }
}

/** The coro echo server of `api` on 127.0.0.1, and its port. */
async function startCoroEchoServer(api: Api): Promise<{ server: CoroServer; port: number }> {
  const server =
    api === 'streams'
      ? await startServer(echoStream, '127.0.0.1', 0)
      : await createServer(() => new EchoProtocol(), '127.0.0.1', 0);
  const address = server.addresses()[0];
  if (address === undefined || typeof address === 'string') throw new Error('no TCP address');
  return { server, port: address.port };
}

async function stopCoroEchoServer(server: CoroServer): Promise<void> {
  server.close();
  server.abortClients();
  await server.waitClosed();
}

/** Sends `chunks` chunks as fast as flow control lets it; resolves `done` once all came back. */
class SendingProtocol implements Protocol {
  readonly done: Future<void>;
  readonly #chunk = Buffer.alloc(CHUNK_BYTES, 0x61);
  #transport!: Transport;
  #left: number;
  readonly #total: number;
  #received = 0;
  #paused = false;
  constructor(chunks: number) {
    this.#left = chunks;
    this.#total = chunks * CHUNK_BYTES;
    this.done = new Future<void>();
  }
  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  start(): void {
    this.#send();
  }
  #send(): void {
    while (this.#left > 0 && !this.#paused) {
      this.#left--;
      this.#transport.write(this.#chunk);
    }
  }
  pauseWriting(): void {
    this.#paused = true;
  }
  resumeWriting(): void {
    this.#paused = false;
    this.#send();
  }
  dataReceived(data: Uint8Array): void {
    this.#received += data.length;
    if (this.#received >= this.#total && !this.done.done()) this.done.setResult();
  }
}

function coroThroughput(size: number, api: Api): Promise<number> {
  return run(async () => {
    const { server, port } = await startCoroEchoServer(api);
    const chunks = chunksFor(size);
    const total = chunks * CHUNK_BYTES;
    let rate: number;
    if (api === 'streams') {
      const [reader, writer] = await openConnection('127.0.0.1', port);
      const chunk = Buffer.alloc(CHUNK_BYTES, 0x61);
      const started = now();
      const send = createTask(async () => {
        for (let i = 0; i < chunks; i++) {
          writer.write(chunk);
          await writer.drain();
        }
      });
      let received = 0;
      while (received < total) {
        const data = await reader.read(CHUNK_BYTES);
        if (data.length === 0) throw new Error('the echo server closed early');
        received += data.length;
      }
      await send;
      rate = megabytesPerSecond(total, started);
      writer.close();
    } else {
      const [transport, sender] = await createConnection(
        () => new SendingProtocol(chunks),
        '127.0.0.1',
        port,
      );
      const started = now();
      sender.start();
      await sender.done;
      rate = megabytesPerSecond(total, started);
      transport.close();
    }
    await stopCoroEchoServer(server);
    return rate;
  });
}

/** Counts round trips; `stopped` turns true when the time is up. */
interface Clock {
  stopped: boolean;
  roundTrips: number;
}

/** One echo-rtt client: a request, its whole echo, the next request, until stopped. */
class PingingProtocol implements Protocol {
  readonly done = new Future<void>();
  #transport!: Transport;
  #pending = 0;
  readonly #clock: Clock;
  readonly #message: Buffer;
  constructor(clock: Clock, message: Buffer) {
    this.#clock = clock;
    this.#message = message;
  }
  connectionMade(transport: Transport): void {
    this.#transport = transport;
  }
  start(): void {
    this.#transport.write(this.#message);
  }
  dataReceived(data: Uint8Array): void {
    this.#pending += data.length;
    while (this.#pending >= RTT_MESSAGE_BYTES) {
      this.#pending -= RTT_MESSAGE_BYTES;
      this.#clock.roundTrips++;
      if (this.#clock.stopped) {
        if (!this.done.done()) this.done.setResult();
        return;
      }
      this.#transport.write(this.#message);
    }
  }
}

function coroRoundTrips(durationMs: number, api: Api): Promise<number> {
  return run(async () => {
    const { server, port } = await startCoroEchoServer(api);
    const message = Buffer.alloc(RTT_MESSAGE_BYTES, 0x61);
    const clock: Clock = { stopped: false, roundTrips: 0 };
    const loop = getRunningLoop();
    let rate: number;
    if (api === 'streams') {
      const connections: [StreamReader, StreamWriter][] = [];
      for (let i = 0; i < RTT_CLIENTS; i++)
        connections.push(await openConnection('127.0.0.1', port));
      const started = now();
      loop.callLater(durationMs, () => {
        clock.stopped = true;
      });
      await gather(
        connections.map(([reader, writer]) =>
          createTask(async () => {
            for (;;) {
              writer.write(message);
              await writer.drain();
              await reader.readExactly(RTT_MESSAGE_BYTES);
              clock.roundTrips++;
              if (clock.stopped) break;
            }
          }),
        ),
      );
      rate = clock.roundTrips / ((now() - started) / 1000);
      for (const [, writer] of connections) writer.close();
    } else {
      const connections: [Transport, PingingProtocol][] = [];
      for (let i = 0; i < RTT_CLIENTS; i++) {
        connections.push(
          await createConnection(() => new PingingProtocol(clock, message), '127.0.0.1', port),
        );
      }
      const started = now();
      loop.callLater(durationMs, () => {
        clock.stopped = true;
      });
      for (const [, client] of connections) client.start();
      await gather(connections.map(([, client]) => client.done));
      rate = clock.roundTrips / ((now() - started) / 1000);
      for (const [transport] of connections) transport.close();
    }
    await stopCoroEchoServer(server);
    return rate;
  });
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
  // Issue 12: the streams API at 0.9x raw net, the Protocol API level with it.
  targets: [
    { kind: 'ratio', peer: 'node', atLeast: 0.9, variant: 'streams' },
    { kind: 'ratio', peer: 'node', atLeast: 1, variant: 'protocol' },
  ],
  coro: (size, variant) => coroRoundTrips(size, requireApi(variant)),
  node: netRoundTrips,
};
