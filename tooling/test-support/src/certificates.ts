/*
 * Test certificates, made with openssl once per test process in a temporary
 * directory: a CA, a server certificate it signs for localhost and 127.0.0.1, a
 * self-signed certificate, and a certificate for another name. Used by the TLS tests
 * of @coro/transports and @coro/streams.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificates {
  /** The test CA's certificate (trust it with `{ ca }`). */
  ca: string;
  /** The server's key and certificate (signed by the CA; localhost, 127.0.0.1). */
  key: string;
  cert: string;
  /** A self-signed certificate for localhost/127.0.0.1 and its key. */
  selfSignedKey: string;
  selfSignedCert: string;
  /** A certificate signed by the CA for another name only (wrong.example). */
  wrongNameKey: string;
  wrongNameCert: string;
}

let cached: Certificates | undefined;

/** The test certificates (PEM), made on the first call and kept for the process. */
export function certificates(): Certificates {
  if (cached !== undefined) return cached;
  const directory = mkdtempSync(join(tmpdir(), 'coro-test-certificates-'));
  try {
    const file = (name: string) => join(directory, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
    writeFileSync(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    writeFileSync(file('wrong.ext'), 'subjectAltName=DNS:wrong.example\n');
    // A self-signed certificate `${name}.pem` and its key `${name}.key`.
    const selfSigned = (name: string, subject: string, ...extra: string[]) =>
      openssl(
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '2',
        '-subj',
        subject,
        ...extra,
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.pem`),
      );
    selfSigned('ca', '/CN=coro test CA');
    for (const [name, ext] of [
      ['server', 'server.ext'],
      ['wrong', 'wrong.ext'],
    ] as const) {
      openssl(
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        `/CN=${name}`,
        '-keyout',
        file(`${name}.key`),
        '-out',
        file(`${name}.csr`),
      );
      openssl(
        'x509',
        '-req',
        '-in',
        file(`${name}.csr`),
        '-CA',
        file('ca.pem'),
        '-CAkey',
        file('ca.key'),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        file(ext),
        '-out',
        file(`${name}.pem`),
      );
    }
    selfSigned('self', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    const read = (name: string) => readFileSync(file(name), 'utf8');
    cached = {
      ca: read('ca.pem'),
      key: read('server.key'),
      cert: read('server.pem'),
      selfSignedKey: read('self.key'),
      selfSignedCert: read('self.pem'),
      wrongNameKey: read('wrong.key'),
      wrongNameCert: read('wrong.pem'),
    };
    return cached;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
