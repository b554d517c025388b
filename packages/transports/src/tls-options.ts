/*
 * tls-options: the `ssl` option of createConnection, createServer and startTls turned
 * into Node TLS options with safe defaults (internal, but its types are public).
 *
 *   - `ssl: true` (clients): Node's default CA store, certificate and host name
 *     verification, TLS 1.2 at least.
 *   - an options object: merged over those defaults, so verification stays on unless
 *     it says `rejectUnauthorized: false` itself; `minVersion` defaults to TLSv1.2.
 *   - a SecureContext (tls.createSecureContext()): used as it is (its own versions);
 *     verification is still on.
 *   - the name a client verifies and sends as SNI is `serverHostname`, else the host;
 *     an IP address is verified but not sent as SNI (RFC 6066); `serverHostname: ''`
 *     turns the host name check off (the certificate chain is still verified).
 */

import * as tls from 'node:tls';
import { describeValue } from '@coro/loop';
import { isAddress } from './arguments.js';

/**
 * The `ssl` option of a client (`createConnection`, `startTls`): `true` for the
 * defaults, Node's `tls.ConnectionOptions`, or a `tls.SecureContext`.
 *
 * @example
 * ```ts
 * import type { ClientSsl } from '@coro/transports';
 *
 * const systemCas: ClientSsl = true;
 * const privateCa: ClientSsl = { ca: '-----BEGIN CERTIFICATE-----\n…' };
 * ```
 */
export type ClientSsl = true | tls.ConnectionOptions | tls.SecureContext;

/**
 * The `ssl` option of a server (`createServer`, `startTls` with `serverSide`):
 * Node's `tls.TlsOptions` (with `key` and `cert`) or a `tls.SecureContext`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createServer, type Protocol, type ServerSsl } from '@coro/transports';
 *
 * // The key and certificate, as Node's tls.createServer takes them
 * const ssl: ServerSsl = { key: readFileSync('server-key.pem'), cert: readFileSync('server-cert.pem') };
 * const server = await createServer((): Protocol => ({}), '0.0.0.0', 8443, { ssl });
 * console.log(server.isServing()); // true: clients now handshake before reaching the protocol
 * ```
 */
export type ServerSsl = tls.TlsOptions | tls.SecureContext;

/**
 * The lowest TLS version accepted unless the `ssl` options say `minVersion` themselves.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { createServer, DEFAULT_MIN_TLS_VERSION, type Protocol } from '@coro/transports';
 *
 * // ssl does not say minVersion, so clients that offer only TLS 1.0 or 1.1 are refused
 * const ssl = { key: readFileSync('server-key.pem'), cert: readFileSync('server-cert.pem') };
 * await createServer((): Protocol => ({}), '0.0.0.0', 8443, { ssl });
 * console.log(`TLS on :8443, ${DEFAULT_MIN_TLS_VERSION} or newer`); // prints: TLS on :8443, TLSv1.2 or newer
 * ```
 */
export const DEFAULT_MIN_TLS_VERSION = 'TLSv1.2';

/**
 * How long a TLS handshake may take by default, in ms (asyncio's 60 s); the
 * `sslHandshakeTimeout` option changes it.
 *
 * @example
 * ```ts
 * import { createConnection, DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS, type Protocol } from '@coro/transports';
 *
 * // Over a slow satellite link, allow twice the default (60 s) for the TLS handshake
 * const [transport] = await createConnection((): Protocol => ({}), 'example.com', 443, {
 *   ssl: true,
 *   sslHandshakeTimeout: 2 * DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
 * });
 * transport.close();
 * ```
 */
export const DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS = 60_000;

/** @internal True for a tls.SecureContext (Node does not export the class). */
export function isSecureContext(value: unknown): value is tls.SecureContext {
  return (
    typeof value === 'object' &&
    value !== null &&
    'context' in value &&
    (value as object).constructor?.name === 'SecureContext'
  );
}

/** @internal Node options for a client TLS connection to `host` (module header). */
export function clientTlsOptions(
  ssl: unknown,
  host: string | undefined,
  serverHostname: string | undefined,
): tls.ConnectionOptions {
  let options: tls.ConnectionOptions;
  if (ssl === true) options = { minVersion: DEFAULT_MIN_TLS_VERSION };
  else if (isSecureContext(ssl)) options = { secureContext: ssl };
  else if (typeof ssl === 'object' && ssl !== null) {
    options = { minVersion: DEFAULT_MIN_TLS_VERSION, ...(ssl as tls.ConnectionOptions) };
    if (options.minVersion === undefined) options.minVersion = DEFAULT_MIN_TLS_VERSION;
  } else {
    throw new TypeError(
      `options.ssl must be true, TLS options or a SecureContext; got ${describeValue(ssl)}`,
    );
  }
  const name = serverHostname ?? (ssl as tls.ConnectionOptions).servername ?? host;
  if (name === '') {
    options.checkServerIdentity = () => undefined; // chain verified, name not checked
  } else if (name !== undefined) {
    if (!isAddress(name)) options.servername = name;
    else options.servername = undefined;
    if (name !== host) {
      const check = options.checkServerIdentity ?? tls.checkServerIdentity;
      options.checkServerIdentity = (_host, certificate) => check(name, certificate);
    }
  }
  return options;
}

/** @internal Node options for a TLS server (module header). */
export function serverTlsOptions(ssl: unknown): tls.TlsOptions {
  if (isSecureContext(ssl)) return { minVersion: DEFAULT_MIN_TLS_VERSION };
  if (typeof ssl !== 'object' || ssl === null) {
    throw new TypeError(
      `options.ssl must be server TLS options (key, cert…) or a SecureContext; got ${describeValue(ssl)}`,
    );
  }
  const options: tls.TlsOptions = {
    minVersion: DEFAULT_MIN_TLS_VERSION,
    ...(ssl as tls.TlsOptions),
  };
  if (options.minVersion === undefined) options.minVersion = DEFAULT_MIN_TLS_VERSION;
  return options;
}

/**
 * @internal A tls.Server (never necessarily listening) for `ssl`. tls.createServer
 * takes no ready-made SecureContext, so one given is installed as the server's
 * default context, the one every handshake without a matching SNI context uses
 * (Node keeps it in `_sharedCreds`, unchanged since its first release).
 */
export function createTlsServer(ssl: unknown, options: tls.TlsOptions): tls.Server {
  const server = tls.createServer({ ...serverTlsOptions(ssl), ...options });
  if (isSecureContext(ssl)) {
    const internals = server as unknown as { _sharedCreds?: unknown };
    if (!('_sharedCreds' in internals)) {
      throw new TypeError(
        'options.ssl as a SecureContext is not supported by this Node.js version for servers; pass TLS options (key, cert…)',
      );
    }
    internals._sharedCreds = ssl;
  }
  return server;
}
