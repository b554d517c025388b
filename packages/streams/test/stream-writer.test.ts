import { CancelledError, createTask, sleep } from '@coro/futures';
import { getRunningLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  ConnectionLostError,
  FlowControlProtocol,
  StreamReader,
  StreamReaderProtocol,
  StreamWriter,
} from '../src/index.js';
import { bytes, MemoryTransport, runVirtual } from './helpers.js';

/** A writer over a MemoryTransport, with a reader, as openConnection makes them. */
function connected(extra?: Record<string, unknown>) {
  const reader = new StreamReader();
  const protocol = new StreamReaderProtocol(reader);
  const transport = new MemoryTransport(protocol, extra);
  protocol.connectionMade(transport);
  const writer = new StreamWriter(transport, protocol, reader);
  return { reader, protocol, transport, writer };
}

describe('FlowControlProtocol', () => {
  it('wakes every waiting drain on resumeWriting (test_multiple_drain)', async () => {
    await runVirtual(async () => {
      const protocol = new FlowControlProtocol();
      protocol.pauseWriting();
      let drained = 0;
      const drains = Array.from({ length: 10 }, () =>
        createTask(async () => {
          await protocol.drainHelper();
          drained++;
        }),
      );
      await sleep(100);
      expect(drained).toBe(0);
      protocol.resumeWriting();
      for (const drain of drains) await drain;
      expect(drained).toBe(10);
    });
  });

  it('returns at once when writing is not paused', async () => {
    const protocol = new FlowControlProtocol();
    await protocol.drainHelper();
    expect(protocol.writingPaused).toBe(false);
  });

  it('fails waiting drains with the connection error, and later ones with ConnectionLostError', async () => {
    await runVirtual(async () => {
      const protocol = new FlowControlProtocol();
      protocol.pauseWriting();
      const drain = createTask(() => protocol.drainHelper());
      await sleep(0);
      protocol.connectionLost(new Error('reset by peer'));
      await expect(drain).rejects.toThrow('reset by peer');
      await expect(protocol.drainHelper()).rejects.toBeInstanceOf(ConnectionLostError);
      await expect(protocol.getCloseWaiter(null)).rejects.toThrow('reset by peer');
    });
  });

  it('lets a cancelled drain go without disturbing the others', async () => {
    await runVirtual(async () => {
      const protocol = new FlowControlProtocol();
      protocol.pauseWriting();
      const first = createTask(() => protocol.drainHelper());
      const second = createTask(() => protocol.drainHelper());
      await sleep(0);
      first.cancel();
      await expect(first).rejects.toBeInstanceOf(CancelledError);
      protocol.resumeWriting();
      await second;
      expect(second.done() && !second.cancelled()).toBe(true);
    });
  });

  it('does not report a connection error nobody awaited', async () => {
    await runVirtual(async () => {
      const reports: unknown[] = [];
      const { getRunningLoop } = await import('@coro/loop');
      getRunningLoop().setExceptionHandler((_loop, context) => reports.push(context));
      const protocol = new FlowControlProtocol();
      protocol.connectionLost(new Error('gone'));
      await sleep(10);
      expect(reports).toEqual([]);
    });
  });
});

describe('StreamWriter', () => {
  it('writes bytes and strings to the transport', () => {
    const { transport, writer } = connected();
    writer.write('abc');
    writer.write(bytes('def'));
    writer.writeLines(['g', bytes('h')]);
    expect(transport.text).toBe('abcdefgh');
  });

  it('passes writeEof, canWriteEof, close, isClosing and getExtraInfo to the transport', async () => {
    await runVirtual(async () => {
      const { transport, writer } = connected({ peername: { address: '127.0.0.1', port: 1 } });
      expect(writer.canWriteEof()).toBe(true);
      writer.writeEof();
      expect(writer.getExtraInfo('peername')).toEqual({ address: '127.0.0.1', port: 1 });
      expect(writer.getExtraInfo('nothing', 'default')).toBe('default');
      expect(writer.transport).toBe(transport);
      expect(writer.isClosing()).toBe(false);
      writer.close();
      expect(writer.isClosing()).toBe(true);
      await writer.waitClosed();
      expect(transport.calls).toEqual(['writeEof', 'close']);
    });
  });

  it('drains at once while the transport does not push back', async () => {
    await runVirtual(async () => {
      const { transport, writer } = connected();
      const loop = getRunningLoop();
      const startedAt = loop.time();
      const trace: string[] = [];
      // A task runs on the next loop iteration: a drain that waited for the loop
      // would let it in first.
      const nextIteration = createTask(async () => {
        trace.push('next iteration');
      });

      writer.write('x');
      await writer.drain();
      trace.push('drained');

      expect(trace).toEqual(['drained']);
      expect(loop.time()).toBe(startedAt);
      expect(transport.text).toBe('x');
      await nextIteration;
    });
  });

  it('waits in drain while writing is paused, and is cancellable there', async () => {
    await runVirtual(async () => {
      const { protocol, writer } = connected();
      protocol.pauseWriting();
      const drain = createTask(() => writer.drain());
      await sleep(1000);
      expect(drain.done()).toBe(false);
      drain.cancel();
      await expect(drain).rejects.toBeInstanceOf(CancelledError);
      const second = createTask(() => writer.drain());
      await sleep(0);
      protocol.resumeWriting();
      await second;
    });
  });

  it('throws the reader exception from drain once the connection broke', async () => {
    await runVirtual(async () => {
      const { transport, writer } = connected();
      transport.lose(new Error('ECONNRESET'));
      await sleep(0);
      await expect(writer.drain()).rejects.toThrow('ECONNRESET');
      await expect(writer.waitClosed()).rejects.toThrow('ECONNRESET');
    });
  });

  it('throws from drain after close instead of spinning (bpo-25441)', async () => {
    await runVirtual(async () => {
      const { writer } = connected();
      writer.close();
      await expect(writer.drain()).rejects.toBeInstanceOf(ConnectionLostError);
      expect(() => writer.write('late')).toThrow();
    });
  });

  it('lets a cancelled waitClosed go without cancelling the close', async () => {
    await runVirtual(async () => {
      const { transport, writer } = connected();
      const wait = createTask(() => writer.waitClosed());
      await sleep(0);
      wait.cancel();
      await expect(wait).rejects.toBeInstanceOf(CancelledError);
      transport.lose();
      await writer.waitClosed();
    });
  });

  it('gives waitClosed up when its signal aborts', async () => {
    await runVirtual(async () => {
      const { writer } = connected();
      await expect(
        writer.waitClosed({ signal: AbortSignal.abort(new Error('stop')) }),
      ).rejects.toThrow('stop');
    });
  });

  it('closes and waits on await using, swallowing the connection error', async () => {
    await runVirtual(async () => {
      const { transport, writer } = connected();
      {
        await using _writer = writer;
      }
      expect(transport.calls).toEqual(['close']);
      expect(writer.isClosing()).toBe(true);
    });
  });

  it('rejects a transport or protocol that cannot serve a writer', () => {
    const protocol = new FlowControlProtocol();
    expect(() => new StreamWriter({} as never, protocol)).toThrow(TypeError);
    expect(() => new StreamWriter(new MemoryTransport(protocol), {} as never)).toThrow(TypeError);
  });

  it('works over a FlowControlProtocol without a reader (a pipe writer)', async () => {
    await runVirtual(async () => {
      const protocol = new FlowControlProtocol();
      const transport = new MemoryTransport(protocol);
      const writer = new StreamWriter(transport, protocol, null);
      writer.write('to the child');
      await writer.drain();
      writer.close();
      await writer.waitClosed();
      expect(transport.text).toBe('to the child');
    });
  });
});

describe('StreamReaderProtocol', () => {
  it('feeds the reader and ends it at EOF, keeping the write side open', async () => {
    const { reader, protocol } = connected();
    protocol.dataReceived(bytes('hello\n'));
    expect(protocol.eofReceived()).toBe(true);
    expect(String(await reader.readLine())).toBe('hello\n');
    expect(reader.atEof()).toBe(true);
  });

  it('does not keep a TLS connection half-open', () => {
    const { protocol } = connected({ cipher: { name: 'TLS_AES_128_GCM_SHA256' } });
    expect(protocol.eofReceived()).toBe(false);
  });

  it('runs the client handler in a task with a reader and a writer', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const lines: string[] = [];
      const protocol = new StreamReaderProtocol(reader, async (handlerReader, writer) => {
        lines.push(String(await handlerReader.readLine()));
        writer.write('bye\n');
        writer.close();
      });
      const transport = new MemoryTransport(protocol);
      protocol.connectionMade(transport);
      protocol.dataReceived(bytes('hi\n'));
      await protocol.handlerTask;
      expect(lines).toEqual(['hi\n']);
      expect(transport.text).toBe('bye\n');
      expect(transport.calls).toEqual(['close']);
    });
  });

  it('reports a failing handler to the loop exception handler and closes the transport', async () => {
    await runVirtual(async () => {
      const { getRunningLoop } = await import('@coro/loop');
      const reports: { message: string; exception?: unknown }[] = [];
      getRunningLoop().setExceptionHandler((_loop, context) => reports.push(context));
      const protocol = new StreamReaderProtocol(new StreamReader(), async () => {
        throw new Error('handler bug');
      });
      const transport = new MemoryTransport(protocol);
      protocol.connectionMade(transport);
      await sleep(10);
      expect(reports.map((report) => report.message)).toEqual([
        'Unhandled exception in client_connected_cb',
      ]);
      expect(reports[0]).toMatchObject({ exception: new Error('handler bug') });
      expect(transport.calls).toEqual(['close']);
    });
  });

  it('closes the transport quietly when the handler is cancelled (test_unhandled_cancel)', async () => {
    await runVirtual(async () => {
      const { getRunningLoop } = await import('@coro/loop');
      const reports: unknown[] = [];
      getRunningLoop().setExceptionHandler((_loop, context) => reports.push(context));
      const protocol = new StreamReaderProtocol(new StreamReader(), async (reader) => {
        await reader.readLine();
      });
      const transport = new MemoryTransport(protocol);
      protocol.connectionMade(transport);
      await sleep(0);
      protocol.handlerTask?.cancel();
      await sleep(10);
      expect(reports).toEqual([]);
      expect(transport.calls).toEqual(['close']);
    });
  });
});
