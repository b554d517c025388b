import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createConnection, createServer } from '../src/index.js';
import { Echo, portOf, Recorder, shutDown, until } from './helpers.js';

const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** Connects, sends a byte, waits for its echo, closes, and waits for connectionLost. */
async function roundTrip(port: number): Promise<void> {
  const [transport, protocol] = await createConnection(() => new Recorder(), '127.0.0.1', port);
  transport.write('x');
  await protocol.received(1);
  transport.close();
  await protocol.lost;
}

describe('file descriptors', () => {
  it('are all released after 1,000 sequential and 200 concurrent connections', async () => {
    const before = openDescriptors();
    const server = await createServer(() => new Echo(), '127.0.0.1', 0, { backlog: 512 });
    const port = portOf(server);

    for (let i = 0; i < 1_000; i++) await roundTrip(port);
    await Promise.all(Array.from({ length: 200 }, () => roundTrip(port)));
    await shutDown(server);

    await until(() => openDescriptors() <= before, 'descriptors to be released');
    expect(openDescriptors()).toBeLessThanOrEqual(before);
  }, 60_000);
});
