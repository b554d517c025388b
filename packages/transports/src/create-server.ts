/*
 * createServer / createUnixServer: asyncio's loop.create_server and
 * loop.create_unix_server as functions resolving to a Server.
 *
 * Invariants
 *   1. A server binds exactly what it is given. `host` is required: a name or
 *      address, or a list of them; a name binds every address it resolves to (one
 *      listener each, as asyncio does). There is no implicit "all interfaces": asyncio
 *      binds every interface for host None or '', a classic accidental exposure, so
 *      here undefined is a TypeError and '' a RangeError; say '0.0.0.0' (IPv4) or
 *      '::' (IPv6), or ['0.0.0.0', '::'] for both.
 *   2. An IPv6 listener is IPv6-only (asyncio sets IPV6_V6ONLY), so '::' does not
 *      also take IPv4 connections.
 *   3. If any address fails to bind (EADDRINUSE, EADDRNOTAVAIL…) every listener
 *      already bound is closed and the call rejects with Node's error, code kept.
 *      Cancelled (task or signal) while binding, the same cleanup happens.
 *   4. createUnixServer removes a stale socket file at `path` before binding (only
 *      a socket, never a regular file) and the file is removed on close (asyncio
 *      3.13's cleanup_socket). Unlike asyncio, which first checks that the file is
 *      still its own (same inode), libuv removes whatever socket is at `path` when
 *      the server closes, even one another process put there meanwhile.
 *
 * Tested by test/server.test.ts, test/tls.test.ts and test/unix.test.ts.
 */

import { lookup } from 'node:dns';
import { lstatSync, unlinkSync } from 'node:fs';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { Future } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop } from '@coro/loop';
import {
  readOptions,
  readTimeout,
  requireFactory,
  requireHost,
  requirePath,
  requirePort,
} from './arguments.js';
import type { LoopOptions } from './create-connection.js';
import { awaitUnlessAborted } from './pending-io.js';
import type { BaseProtocol } from './protocols.js';
import { Server } from './server.js';
import {
  createTlsServer,
  DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
  type ServerSsl,
} from './tls-options.js';

/**
 * Options of {@link createUnixServer}; {@link ServerOptions} adds the TCP ones.
 *
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createUnixServer, type Protocol } from '@coro/transports';
 *
 * // startServing: false binds the socket now but accepts only once the app is ready;
 * // backlog: up to 512 connections may wait meanwhile
 * const path = join(tmpdir(), `app-${process.pid}.sock`);
 * const server = await createUnixServer((): Protocol => ({}), path, { backlog: 512, startServing: false });
 * console.log(server.isServing()); // false
 * await server.startServing(); // once the caches are warm, say
 * server.close();
 * ```
 */
export interface UnixServerOptions extends LoopOptions {
  /** Speak TLS: Node's `tls.TlsOptions` (key, cert, …) or a `SecureContext`. */
  ssl?: ServerSsl | undefined;
  /** The listen backlog. @defaultValue 100 */
  backlog?: number | undefined;
  /** Accept connections at once; otherwise call `startServing()` or `serveForever()`. @defaultValue true */
  startServing?: boolean | undefined;
  /** Milliseconds a client's TLS handshake may take before it is dropped. @defaultValue 60000 */
  sslHandshakeTimeout?: number | undefined;
  /** Milliseconds close() waits for a TLS client's close_notify. @defaultValue 30000 */
  sslShutdownTimeout?: number | undefined;
}

/**
 * Options of {@link createServer}.
 *
 * @example
 * ```ts
 * import { createServer, type Protocol } from '@coro/transports';
 *
 * // backlog: let up to 1024 connections queue for accept() during a burst (the default is 100)
 * const greet = (): Protocol => ({ connectionMade: (transport) => transport.write('hi\n') });
 * const server = await createServer(greet, '127.0.0.1', 0, { backlog: 1024 });
 * console.log(server.isServing()); // true
 * server.close();
 * ```
 */
export interface ServerOptions extends UnixServerOptions {
  /**
   * Let several servers bind the same port (SO_REUSEPORT; the kernel spreads
   * connections). Needs Node 22.12 or later; a TypeError on older Node.
   * @defaultValue false
   */
  reusePort?: boolean | undefined;
}

/**
 * Listens on `host`:`port` and makes a protocol (by `protocolFactory`) and a
 * transport for every connection (asyncio's `loop.create_server`). `port` 0 picks a
 * free port: read it from `server.addresses()`. With `ssl`, connections reach the
 * protocol once their TLS handshake is done.
 *
 * `host` is required: a name or address, or a list of them (module header: no
 * implicit all-interfaces; use `'0.0.0.0'` or `'::'` explicitly).
 *
 * @throws TypeError/RangeError for a bad argument: a non-function factory, a host
 *   that is not a non-empty string (or list of them), a port outside 0..65535, a
 *   negative backlog. Rejects with Node's error if binding fails (`EADDRINUSE`).
 * @example
 * ```ts
 * import { createServer, type Protocol, type Transport } from '@coro/transports';
 *
 * const server = await createServer((): Protocol => ({
 *   connectionMade: (transport: Transport) => transport.close(),
 * }), '127.0.0.1', 0);
 * const [address] = server.addresses();
 * console.log(typeof address === 'object' && address.family); // prints: IPv4
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function createServer(
  protocolFactory: () => BaseProtocol<never>,
  host: string | readonly string[],
  port: number,
  options?: ServerOptions,
): Promise<Server> {
  requireFactory(protocolFactory);
  const hosts = readHosts(host);
  requirePort(port);
  const { options: opts, signal, loop } = readOptions(options);
  const config = readServerOptions(opts);
  if (opts.reusePort !== undefined && typeof opts.reusePort !== 'boolean') {
    throw new TypeError(
      `options.reusePort must be a boolean; got ${describeValue(opts.reusePort)}`,
    );
  }
  if (opts.reusePort === true && !supportsReusePort()) {
    throw new TypeError(
      `options.reusePort needs Node.js 22.12 or later (SO_REUSEPORT); this is ${process.version}`,
    );
  }
  signal?.throwIfAborted();
  const resolvedLoop = loop ?? getRunningLoop();
  const addresses = await resolveHosts(hosts, resolvedLoop, signal);
  const listeners = addresses.map(() => makeListener(opts.ssl, config.handshakeMs));
  const server = new Server({
    loop: resolvedLoop,
    protocolFactory,
    listeners,
    path: undefined,
    sslShutdownTimeout: opts.sslShutdownTimeout,
  });
  await listenAll(
    server,
    listeners.map((listener, index) => {
      const address = addresses[index] as string;
      const listen: net.ListenOptions & { reusePort?: boolean } = {
        host: address,
        port,
        backlog: config.backlog,
        ipv6Only: net.isIPv6(address),
      };
      if (opts.reusePort === true) listen.reusePort = true;
      return [listener, listen] as const;
    }),
    resolvedLoop,
    signal,
  );
  if (config.startServing) server.beginServing();
  return server;
}

/**
 * Listens on the Unix domain socket `path` (asyncio's `loop.create_unix_server`):
 * a stale socket file there is removed first, and the file is removed again on
 * close. `server.addresses()` is `[path]`; a connection's `getExtraInfo('sockname')`
 * is `path`.
 *
 * @throws TypeError/RangeError for a bad argument. Rejects with Node's error if
 *   binding fails (a regular file at `path`: `EADDRINUSE`).
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { createUnixServer } from '@coro/transports';
 *
 * const path = join(tmpdir(), `coro-doc-server-${process.pid}.sock`);
 * const server = await createUnixServer(() => ({}), path);
 * console.log(server.addresses()[0] === path); // prints: true
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function createUnixServer(
  protocolFactory: () => BaseProtocol<never>,
  path: string,
  options?: UnixServerOptions,
): Promise<Server> {
  requireFactory(protocolFactory);
  requirePath(path);
  const { options: opts, signal, loop } = readOptions(options);
  const config = readServerOptions(opts);
  signal?.throwIfAborted();
  const resolvedLoop = loop ?? getRunningLoop();
  removeStaleSocket(path);
  const listener = makeListener(opts.ssl, config.handshakeMs);
  const server = new Server({
    loop: resolvedLoop,
    protocolFactory,
    listeners: [listener],
    path,
    sslShutdownTimeout: opts.sslShutdownTimeout,
  });
  await listenAll(server, [[listener, { path, backlog: config.backlog }]], resolvedLoop, signal);
  if (config.startServing) server.beginServing();
  return server;
}

function readHosts(host: unknown): string[] {
  if (Array.isArray(host)) {
    if (host.length === 0) throw new RangeError('host must be a non-empty list of hosts; got []');
    host.forEach((each, index) => {
      requireHost(each, `host[${index}]`);
    });
    return [...host];
  }
  if (host === undefined || host === null) {
    throw new TypeError(
      `host must be a host name or address string (for all interfaces say '0.0.0.0' or '::'); got ${describeValue(host)}`,
    );
  }
  requireHost(host);
  return [host];
}

function readServerOptions(options: UnixServerOptions): {
  backlog: number;
  startServing: boolean;
  handshakeMs: number;
} {
  const backlog = options.backlog ?? 100;
  if (typeof backlog !== 'number') {
    throw new TypeError(`options.backlog must be an integer >= 0; got ${describeValue(backlog)}`);
  }
  if (!Number.isInteger(backlog) || backlog < 0) {
    throw new RangeError(`options.backlog must be an integer >= 0; got ${backlog}`);
  }
  const startServing = options.startServing ?? true;
  if (typeof startServing !== 'boolean') {
    throw new TypeError(
      `options.startServing must be a boolean; got ${describeValue(startServing)}`,
    );
  }
  if (options.ssl === undefined && options.sslHandshakeTimeout !== undefined) {
    throw new TypeError('options.sslHandshakeTimeout is only meaningful with options.ssl');
  }
  readTimeout(options.sslShutdownTimeout, 'options.sslShutdownTimeout', 0);
  const handshakeMs = readTimeout(
    options.sslHandshakeTimeout,
    'options.sslHandshakeTimeout',
    DEFAULT_SSL_HANDSHAKE_TIMEOUT_MS,
  );
  return { backlog, startServing, handshakeMs };
}

function makeListener(ssl: ServerSsl | undefined, handshakeMs: number): net.Server | tls.Server {
  if (ssl === undefined) return net.createServer({ allowHalfOpen: true });
  // allowHalfOpen stays off for TLS: a handshake cut short by the peer's EOF must end.
  return createTlsServer(ssl, { handshakeTimeout: Math.ceil(handshakeMs) });
}

function supportsReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

async function resolveHosts(
  hosts: string[],
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<string[]> {
  const addresses: string[] = [];
  for (const host of hosts) {
    if (net.isIP(host) !== 0) {
      if (!addresses.includes(host)) addresses.push(host);
      continue;
    }
    const future = new Future<string[]>({ loop });
    lookup(host, { all: true }, (error, found) => {
      if (future.done()) return;
      if (error) future.setException(error);
      else future.setResult(found.map((entry) => entry.address));
    });
    for (const address of await awaitUnlessAborted(future, signal)) {
      if (!addresses.includes(address)) addresses.push(address);
    }
  }
  return addresses;
}

async function listenAll(
  server: Server,
  listens: (readonly [net.Server | tls.Server, net.ListenOptions])[],
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<void> {
  try {
    for (const [listener, listen] of listens) {
      const future = new Future<void>({ loop });
      const onError = (error: Error) => {
        if (!future.done()) future.setException(error);
      };
      listener.once('error', onError);
      listener.listen(listen, () => {
        if (!future.done()) future.setResult(undefined);
      });
      try {
        await awaitUnlessAborted(future, signal);
      } finally {
        listener.removeListener('error', onError);
      }
    }
  } catch (error) {
    server.close(); // invariant 3
    throw error;
  }
  server.listening();
}

function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
