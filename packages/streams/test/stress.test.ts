/*
 * Stress in CI size: connection churn, many clients at once, a slowloris peer, and a
 * fast writer to a slow reader, all against real sockets on 127.0.0.1 and the default
 * NodeLoop. Nothing here asserts a duration: the assertions are about leaks, order
 * and memory bounds, which a loaded machine does not change.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createTask, gather, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { type ClientConnected, openConnection } from '../src/index.js';
import { eventually, openFds, serve } from './helpers.js';

// The garbage collector, to measure the bytes still alive rather than those not yet collected.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The bytes of every live ArrayBuffer (Buffers) in the process, after a full collection. */
function liveBufferBytes(): number {
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}

/** Reads lines and answers each with `ok <line>`. */
const answerLines: ClientConnected = async (reader, writer) => {
  for await (const line of reader) {
    writer.write(`ok ${String(line)}`);
    await writer.drain();
  }
  writer.close();
};

async function ask(port: number, question: string): Promise<string> {
  const [reader, writer] = await openConnection('127.0.0.1', port);
  writer.write(`${question}\n`);
  const answer = String(await reader.readLine());
  writer.close();
  await writer.waitClosed();
  return answer;
}

describe('stress', () => {
  it('serves 5,000 sequential connections without leaking a file descriptor', async () => {
    const { server, port } = await serve(answerLines);
    expect(await ask(port, 'warm-up')).toBe('ok warm-up\n');
    await sleep(20);
    const before = openFds();

    for (let i = 0; i < 5_000; i++) {
      const answer = await ask(port, `n${i}`);
      if (answer !== `ok n${i}\n`) expect(answer).toBe(`ok n${i}\n`);
    }

    await eventually(() => openFds() <= before, 'the server side of the last connections to close');
    server.close();
    await server.waitClosed();
    expect(openFds()).toBeLessThan(before);
  }, 120_000);

  it('serves 500 concurrent connections and closes every socket', async () => {
    const { server, port } = await serve(answerLines);
    const before = openFds();

    const connections = await gather(
      Array.from({ length: 500 }, () => openConnection('127.0.0.1', port)),
    );
    const answers = await gather(
      connections.map(([reader, writer], i) =>
        createTask(async () => {
          writer.write(`client ${i}\n`);
          await writer.drain();
          return String(await reader.readLine());
        }),
      ),
    );
    expect(openFds()).toBeGreaterThanOrEqual(before + 1_000); // both ends of each, all open at once
    for (const [, writer] of connections) writer.close();
    await gather(connections.map(([, writer]) => writer.waitClosed()));
    server.close();
    await server.waitClosed();

    expect(answers).toEqual(Array.from({ length: 500 }, (_, i) => `ok client ${i}\n`));
    await eventually(() => openFds() <= before, 'every socket to close');
  }, 120_000);

  it('keeps serving other clients while a slowloris sends one byte at a time', async () => {
    const { port } = await serve(answerLines);
    const slowloris = await openConnection('127.0.0.1', port);
    const line = 'a slow request that never seems to end';
    let sent = 0;
    const dripping = createTask(async () => {
      for (const character of line) {
        slowloris[1].write(character);
        sent++;
        await sleep(25);
      }
      slowloris[1].write('\n');
      return String(await slowloris[0].readLine());
    });
    await eventually(() => sent >= 2, 'the slowloris to start');

    const answers = await gather(
      Array.from({ length: 20 }, (_, i) => createTask(() => ask(port, `quick ${i}`))),
    );
    const sentWhileOthersWereServed = sent;

    expect(answers).toEqual(Array.from({ length: 20 }, (_, i) => `ok quick ${i}\n`));
    expect(sentWhileOthersWereServed).toBeLessThan(line.length); // its line is still unfinished
    expect(await dripping).toBe(`ok ${line}\n`);
    slowloris[1].close();
  }, 60_000);

  it('bounds memory when a fast writer meets a slow reader (flow control end to end)', async () => {
    const total = 128 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const limit = 64 * 1024;
    let readerPeak = 0;
    let received = 0;
    const { port } = await serve(
      async (reader, writer) => {
        for (;;) {
          readerPeak = Math.max(readerPeak, reader.bufferedSize);
          const data = await reader.read(16 * 1024); // a slow consumer: small reads, pauses
          if (data.length === 0) break;
          received += data.length;
          if (received % (1024 * 1024) === 0) await sleep(1);
        }
        writer.close();
      },
      { limit },
    );
    const [, writer] = await openConnection('127.0.0.1', port);
    // Live Buffer bytes, not RSS: RSS also counts Buffers read and dropped but not yet
    // collected, which V8 lets grow to about 64 MiB before it collects them.
    const buffersBefore = liveBufferBytes();
    let buffersPeak = buffersBefore;
    let writerPeak = 0;

    for (let sent = 0; sent < total; sent += chunk.length) {
      writer.write(chunk);
      writerPeak = Math.max(writerPeak, writer.transport.getWriteBufferSize());
      await writer.drain();
      if (sent % (8 * 1024 * 1024) === 0) buffersPeak = Math.max(buffersPeak, liveBufferBytes());
    }
    writer.writeEof();
    await writer.waitClosed();

    expect(received).toBe(total);
    // Without flow control the writer would buffer most of the 128 MiB.
    expect(writerPeak).toBeLessThanOrEqual(2 * 64 * 1024 + chunk.length);
    expect(readerPeak).toBeLessThanOrEqual(2 * limit + 64 * 1024);
    // 7-10 MiB stay alive here (Node's socket reads and writes in flight), a quarter of
    // what the writer alone would hold without flow control.
    expect(buffersPeak - buffersBefore).toBeLessThan(total / 4);
  }, 120_000);
});
