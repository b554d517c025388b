/*
 * tls-echo: the echo server again, over TLS, with a certificate made on the spot.
 *
 * `openssl` (run with createSubprocessExec) makes a self-signed certificate for
 * `localhost` and 127.0.0.1 in a temporary directory. The server gets the key and the
 * certificate as its `ssl` option; the client trusts exactly that certificate (`ca`)
 * and checks that it names the host (`serverHostname`): verification stays on, as it
 * does by default. After the handshake, the streams read and write as over TCP.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubprocessExec, openConnection, startServer } from 'coro';
import type { Output } from '../example.js';
import { echo } from './tcp-echo.js';

export const name = 'tls-echo';
export const title = 'An echo server and client over TLS, with a certificate made by openssl';

/** A key and a self-signed certificate for localhost and 127.0.0.1 (PEM), valid one day. */
export async function makeCertificate(directory: string): Promise<{ key: string; cert: string }> {
  const keyPath = join(directory, 'key.pem');
  const certPath = join(directory, 'cert.pem');
  // The arguments are a list: no shell, so nothing in them is interpreted.
  const openssl = await createSubprocessExec(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdout: 'ignore', stderr: 'pipe' },
  );
  const { stderr } = await openssl.communicate();
  if (openssl.returncode !== 0) {
    throw new Error(`openssl failed (exit ${openssl.returncode}): ${stderr.toString().trim()}`);
  }
  return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
}

export async function main(out: Output = console.log): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'coro-tls-echo-'));
  try {
    const { key, cert } = await makeCertificate(directory);
    out('made a self-signed certificate for localhost with openssl');

    const server = await startServer(echo, '127.0.0.1', 0, { ssl: { key, cert } });
    const [address] = server.addresses();
    const port = typeof address === 'object' ? address.port : 0;
    out(`TLS echo server on 127.0.0.1:${port}`);

    const [reader, writer] = await openConnection('127.0.0.1', port, {
      ssl: { ca: cert }, // trust this one certificate, and verify it
      serverHostname: 'localhost', // the name the certificate must carry
    });
    const cipher = writer.getExtraInfo<{ version: string }>('cipher');
    out(`handshake done: ${cipher?.version ?? 'TLS'}, certificate verified for localhost`);
    for (const message of ['hello', 'encrypted', 'bye']) {
      writer.write(`${message}\n`);
      await writer.drain();
      out(`sent ${message}, got back ${(await reader.readLine()).toString().trimEnd()}`);
    }
    writer.close();
    await writer.waitClosed();
    server.close();
    await server.waitClosed();
    out('client and server closed');
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
