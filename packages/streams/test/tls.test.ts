import { certificates, rawServer } from '@coro/test-support';
import { describe, expect, it } from 'vitest';
import { openConnection } from '../src/index.js';
import { serve } from './helpers.js';

describe('TLS streams', () => {
  it('upgrade a plain connection on both sides with StreamWriter.startTls (test_start_tls)', async () => {
    const { selfSignedKey: key, selfSignedCert: cert } = certificates();
    const { port } = await serve(async (reader, writer) => {
      writer.write(await reader.readLine());
      await writer.drain();
      expect(writer.getExtraInfo('cipher')).toBeUndefined();
      await writer.startTls({ key, cert });
      expect(writer.getExtraInfo('cipher')).toMatchObject({ name: expect.any(String) });
      writer.write(await reader.readLine());
      await writer.drain();
      writer.close();
      await writer.waitClosed();
    });

    const [reader, writer] = await openConnection('127.0.0.1', port);
    writer.write('hello world 1!\n');
    await writer.drain();
    const first = String(await reader.readLine());
    expect(writer.getExtraInfo('cipher')).toBeUndefined();
    await writer.startTls({ ca: cert });
    expect(writer.getExtraInfo('cipher')).toMatchObject({ name: expect.any(String) });
    expect(writer.canWriteEof()).toBe(false);
    writer.write('hello world 2!\n');
    await writer.drain();
    const second = String(await reader.readLine());
    writer.close();
    await writer.waitClosed();

    expect([first, second]).toEqual(['hello world 1!\n', 'hello world 2!\n']);
  });

  it('speak TLS from the first byte with the ssl option of openConnection and startServer', async () => {
    const { selfSignedKey: key, selfSignedCert: cert } = certificates();
    const { port } = await serve(
      async (reader, writer) => {
        writer.write(`secure ${String(await reader.readLine())}`);
        writer.close();
      },
      { ssl: { key, cert } },
    );
    const [reader, writer] = await openConnection('127.0.0.1', port, { ssl: { ca: cert } });
    writer.write('ping\n');
    expect(String(await reader.readLine())).toBe('secure ping\n');
    expect(String(await reader.read())).toBe('');
    writer.close();
    await writer.waitClosed();
  });

  it('case 10: fails read() and waitClosed() with the handshake error when startTls fails', async () => {
    // The peer answers the ClientHello in plain text (asyncio raises the SSLError from both).
    const { port } = await rawServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.0 400 plain text\r\n\r\n'.repeat(4)));
    });
    const [reader, writer] = await openConnection('127.0.0.1', port);

    const failure = await writer.startTls({ rejectUnauthorized: false }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    await expect(reader.read()).rejects.toBe(failure);
    await expect(writer.waitClosed()).rejects.toBe(failure);
    expect(writer.isClosing()).toBe(true);
  });

  it('reject a server whose certificate the client does not trust', async () => {
    const { selfSignedKey: key, selfSignedCert: cert } = certificates();
    const { port } = await serve(async (_reader, writer) => writer.close(), { ssl: { key, cert } });
    await expect(openConnection('127.0.0.1', port, { ssl: true })).rejects.toThrow();
  });
});
