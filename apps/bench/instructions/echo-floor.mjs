// The same `size` echo round trips without coro: MODE=raw answers in 'data' callbacks (the
// `node` peer of echo-rtt); MODE=native and MODE=thenable read through the least an
// await-per-read API can be (a reader whose read resolves a native promise, or an object
// whose then() parks the engine's resolve function), one async function per connection end.
import { once } from 'node:events';
import net from 'node:net';

const MODE = process.env.MODE ?? 'raw';
if (!['raw', 'native', 'thenable'].includes(MODE))
  throw new RangeError(`MODE must be raw, native or thenable; got ${MODE}`);
const CLIENTS = 50;
const BYTES = 64;
const perClient = Math.ceil(Number(process.argv[2] ?? 10_000) / CLIENTS);

class Parked {
  constructor(reader) {
    this.reader = reader;
  }
  then(resolve) {
    this.reader.waiting = resolve;
  }
}

class MinimalReader {
  chunks = [];
  length = 0;
  waiting = null;
  want = 0;
  exact = false;
  constructor(socket) {
    socket.on('data', (data) => this.feed(data));
  }
  feed(data) {
    this.chunks.push(data);
    this.length += data.length;
    const waiting = this.waiting;
    if (waiting === null || (this.exact && this.length < this.want)) return;
    this.waiting = null;
    waiting(this.take(this.exact ? this.want : Math.min(this.want, this.length)));
  }
  take(n) {
    const first = this.chunks[0];
    let out;
    if (first.length === n) {
      this.chunks.shift();
      out = first;
    } else if (first.length > n) {
      out = first.subarray(0, n);
      this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.concat(this.chunks);
      this.chunks = out.length > n ? [out.subarray(n)] : [];
      out = out.subarray(0, n);
    }
    this.length -= n;
    return out;
  }
  park() {
    return MODE === 'thenable'
      ? new Parked(this)
      : new Promise((resolve) => (this.waiting = resolve));
  }
  read(n) {
    if (this.length > 0) return Promise.resolve(this.take(Math.min(n, this.length)));
    this.want = n;
    this.exact = false;
    return this.park();
  }
  readExactly(n) {
    if (this.length >= n) return Promise.resolve(this.take(n));
    this.want = n;
    this.exact = true;
    return this.park();
  }
}

const sockets = new Set();
const server = net.createServer(async (socket) => {
  sockets.add(socket);
  socket.on('error', () => {});
  if (MODE === 'raw') {
    socket.on('data', (data) => {
      if (!socket.write(data)) socket.pause();
    });
    socket.on('drain', () => socket.resume());
    return;
  }
  const reader = new MinimalReader(socket);
  for (;;) {
    const data = await reader.read(65_536);
    if (!socket.write(data)) await once(socket, 'drain');
  }
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address();
const message = Buffer.alloc(BYTES, 0x61);
const clients = await Promise.all(
  Array.from({ length: CLIENTS }, async () => {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    return client;
  }),
);
await Promise.all(
  clients.map(async (client) => {
    if (MODE === 'raw') {
      await new Promise((resolve) => {
        let pending = 0;
        let done = 0;
        client.on('data', (data) => {
          pending += data.length;
          while (pending >= BYTES) {
            pending -= BYTES;
            if (++done >= perClient) return resolve();
            client.write(message);
          }
        });
        client.write(message);
      });
      return;
    }
    const reader = new MinimalReader(client);
    for (let i = 0; i < perClient; i++) {
      if (!client.write(message)) await once(client, 'drain');
      await reader.readExactly(BYTES);
    }
  }),
);
for (const client of clients) client.destroy();
for (const socket of sockets) socket.destroy();
server.close();
