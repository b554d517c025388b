import { describe, expect, it } from 'vitest';
import { createConnection, type Protocol, type Transport } from '../src/index.js';
import { portOf, serve, until } from './helpers.js';

describe('write flow control', () => {
  it('pauses a fast writer to a paused reader, keeps its buffer bounded, and resumes it after resumeReading', async () => {
    // The server reads nothing until told to.
    let serverTransport: Transport | undefined;
    let serverReceived = 0;
    const server = await serve(
      (): Protocol => ({
        connectionMade: (transport) => {
          serverTransport = transport;
          transport.pauseReading();
        },
        dataReceived: (data) => {
          serverReceived += data.length;
        },
      }),
    );

    // The client writes 64 KiB chunks as long as it is not paused.
    const chunk = Buffer.alloc(64 * 1024, 1);
    const trace: string[] = [];
    let paused = false;
    let written = 0;
    let peakBuffer = 0;
    let transport: Transport | undefined;
    const pump = () => {
      while (!paused && written < 64 * chunk.length) {
        transport?.write(chunk);
        written += chunk.length;
        peakBuffer = Math.max(peakBuffer, transport?.getWriteBufferSize() ?? 0);
      }
    };
    await createConnection(
      (): Protocol => ({
        connectionMade: (made) => {
          transport = made;
          pump();
        },
        pauseWriting: () => {
          paused = true;
          trace.push('pause');
        },
        resumeWriting: () => {
          paused = false;
          trace.push('resume');
          pump();
        },
      }),
      '127.0.0.1',
      portOf(server),
    );

    await until(() => paused, 'pauseWriting');
    await new Promise((resolve) => setTimeout(resolve, 50)); // nothing is read meanwhile
    expect(trace).toEqual(['pause']);
    expect(written).toBeLessThan(64 * chunk.length); // the writer stopped
    // Bounded: one chunk past the high-water mark at most, the rest is in OS buffers.
    expect(peakBuffer).toBeLessThanOrEqual(64 * 1024 + chunk.length);

    serverTransport?.resumeReading();
    await until(() => serverReceived === 64 * chunk.length, 'everything to arrive');
    expect(trace[0]).toBe('pause');
    expect(trace).toContain('resume');
    expect(trace.join(',')).toMatch(/^(pause,resume,)*pause,resume$/); // strictly alternating
    expect(transport?.getWriteBufferSize()).toBe(0);
    transport?.close();
  });
});
