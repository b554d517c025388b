// `size` echo round trips (64 bytes) through coro's Protocol API on 127.0.0.1, spread over
// 50 clients, each sending its next request when the whole echo came back: the `echo-rtt`
// workload's `protocol` variant, with a fixed count instead of a fixed time.
import { Future, gather, run } from '@coro/futures';
import { createConnection, createServer } from '@coro/transports';

const CLIENTS = 50;
const BYTES = 64;
const perClient = Math.ceil(Number(process.argv[2] ?? 10_000) / CLIENTS);

class Echo {
  connectionMade(transport) {
    this.transport = transport;
  }
  dataReceived(data) {
    this.transport.write(data);
  }
  pauseWriting() {
    this.transport.pauseReading();
  }
  resumeWriting() {
    this.transport.resumeReading();
  }
}

class Pinging {
  done = new Future();
  pending = 0;
  count = 0;
  constructor(message) {
    this.message = message;
  }
  connectionMade(transport) {
    this.transport = transport;
  }
  dataReceived(data) {
    this.pending += data.length;
    while (this.pending >= BYTES) {
      this.pending -= BYTES;
      if (++this.count >= perClient) {
        if (!this.done.done()) this.done.setResult();
        return;
      }
      this.transport.write(this.message);
    }
  }
}

await run(async () => {
  const server = await createServer(() => new Echo(), '127.0.0.1', 0);
  const { port } = server.addresses()[0];
  const message = Buffer.alloc(BYTES, 0x61);
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    clients.push(await createConnection(() => new Pinging(message), '127.0.0.1', port));
  }
  for (const [transport] of clients) transport.write(message);
  await gather(clients.map(([, pinging]) => pinging.done));
  for (const [transport] of clients) transport.close();
  server.close();
  server.abortClients();
  await server.waitClosed();
});
