// `size` echo round trips (64 bytes) through coro streams on 127.0.0.1, spread over 50
// clients, each writing, draining and reading the whole echo back: the `echo-rtt` workload.
// MODE=lines reads with readLine() on both ends instead (a line protocol's reads).
import { createTask, gather, run } from '@coro/futures';
import { openConnection, startServer } from '@coro/streams';

const LINES = process.env.MODE === 'lines';
const CLIENTS = 50;
const perClient = Math.ceil(Number(process.argv[2] ?? 10_000) / CLIENTS);

async function echo(reader, writer) {
  try {
    for (;;) {
      const data = await (LINES ? reader.readLine() : reader.read(65_536));
      if (data.length === 0) break;
      writer.write(data);
      await writer.drain();
    }
  } catch {
    // the client went away
  } finally {
    writer.close();
  }
}

await run(async () => {
  const server = await startServer(echo, '127.0.0.1', 0);
  const { port } = server.addresses()[0];
  const message = LINES ? Buffer.from(`${'a'.repeat(63)}\n`) : Buffer.alloc(64, 0x61);
  const connections = [];
  for (let i = 0; i < CLIENTS; i++) connections.push(await openConnection('127.0.0.1', port));
  await gather(
    connections.map(([reader, writer]) =>
      createTask(async () => {
        for (let i = 0; i < perClient; i++) {
          writer.write(message);
          await writer.drain();
          await (LINES ? reader.readLine() : reader.readExactly(64));
        }
      }),
    ),
  );
  for (const [, writer] of connections) writer.close();
  server.close();
  server.abortClients();
  await server.waitClosed();
});
