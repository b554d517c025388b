import { gather, openConnection, run, startServer } from 'coro';
import { describe, expect, it } from 'vitest';
import * as tcpEcho from '../src/examples/tcp-echo.js';
import { printedLines } from './run-example.js';

describe('tcp-echo', () => {
  it('echoes each line over a real TCP connection, then closes client and server', async () => {
    const lines = await printedLines(tcpEcho);

    expect(lines[0]).toMatch(/^echo server on 127\.0\.0\.1:\d+$/);
    expect(lines.slice(1)).toEqual([
      'sent hello, got back hello',
      'sent streams, got back streams',
      'sent bye, got back bye',
      'client and server closed',
    ]);
  });

  it('serves several clients at once, each getting back exactly its own bytes', async () => {
    const echoed = await run(async () => {
      const server = await startServer(tcpEcho.echo, '127.0.0.1', 0);
      const { port } = server.addresses()[0] as { port: number };
      const client = async (id: number) => {
        const [reader, writer] = await openConnection('127.0.0.1', port);
        const payload = `${`client ${id} `.repeat(5_000)}\n`; // ~50 KB: several socket reads, under the 64 KiB line limit
        writer.write(payload);
        await writer.drain();
        const line = (await reader.readLine()).toString();
        writer.close();
        await writer.waitClosed();
        return line === payload;
      };
      const results = await gather(Array.from({ length: 10 }, (_, id) => client(id)));
      server.close();
      await server.waitClosed();
      return results;
    });

    expect(echoed).toEqual(Array(10).fill(true));
  });
});
