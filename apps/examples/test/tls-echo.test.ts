import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection, run, startServer } from 'coro';
import { describe, expect, it } from 'vitest';
import { echo } from '../src/examples/tcp-echo.js';
import * as tlsEcho from '../src/examples/tls-echo.js';
import { printedLines } from './run-example.js';

// openssl is a required tool (CI installs it): fail clearly, never skip.
const opensslCheck = spawnSync('openssl', ['version'], { encoding: 'utf8' });
if (opensslCheck.error !== undefined || opensslCheck.status !== 0) {
  throw new Error('the tls-echo tests need openssl (Debian package openssl)');
}

describe('tls-echo', () => {
  it('makes a certificate, then echoes each line over a verified TLS connection', async () => {
    const lines = await printedLines(tlsEcho);

    expect(lines[0]).toBe('made a self-signed certificate for localhost with openssl');
    expect(lines[1]).toMatch(/^TLS echo server on 127\.0\.0\.1:\d+$/);
    expect(lines[2]).toMatch(/^handshake done: TLSv1\.[23], certificate verified for localhost$/);
    expect(lines.slice(3)).toEqual([
      'sent hello, got back hello',
      'sent encrypted, got back encrypted',
      'sent bye, got back bye',
      'client and server closed',
    ]);
  });

  it('refuses the connection when the client does not trust the certificate', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'coro-tls-test-'));
    try {
      const outcome = await run(async () => {
        const { key, cert } = await tlsEcho.makeCertificate(directory);
        const server = await startServer(echo, '127.0.0.1', 0, { ssl: { key, cert } });
        const { port } = server.addresses()[0] as { port: number };
        try {
          await openConnection('127.0.0.1', port, { ssl: true, serverHostname: 'localhost' });
          return 'connected';
        } catch (error) {
          return (error as Error).message;
        } finally {
          server.close();
          await server.waitClosed();
        }
      });
      expect(outcome).toMatch(/self[- ]signed certificate/i);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
