// `size` echo round trips of a 64-byte line through coro streams on 127.0.0.1, spread over
// 50 clients: echo-streams.mjs with readLine() on both ends (a line protocol's reads).
import { createTask, gather, run } from '@coro/futures';
import { openConnection, startServer } from '@coro/streams';

const CLIENTS = 50;
const perClient = Math.ceil(Number(process.argv[2] ?? 10_000) / CLIENTS);

async function echo(reader, writer) {
  try {
    for (;;) {
      const data = await reader.readLine();
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
  const message = Buffer.from('a'.repeat(63) + '\n');
  const connections = [];
  for (let i = 0; i < CLIENTS; i++) connections.push(await openConnection('127.0.0.1', port));
  await gather(
    connections.map(([reader, writer]) =>
      createTask(async () => {
        for (let i = 0; i < perClient; i++) {
          writer.write(message);
          await writer.drain();
          await reader.readLine();
        }
      }),
    ),
  );
  for (const [, writer] of connections) writer.close();
  server.close();
  server.abortClients();
  await server.waitClosed();
});
