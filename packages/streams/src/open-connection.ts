/*
 * openConnection / openUnixConnection: asyncio's open_connection and
 * open_unix_connection, a connection as a [StreamReader, StreamWriter] pair.
 *
 * They add nothing to @coro/transports' createConnection but the pair: the reader
 * (with its `limit`), a StreamReaderProtocol feeding it, and the writer. Everything
 * else in the options (ssl, serverHostname, localAddr, happyEyeballsDelay, the
 * TLS timeouts, loop, signal) goes to createConnection as it is, and so do its
 * guarantees: cancelling the awaiting task or aborting `signal` leaves no socket,
 * a refused connection rejects with Node's error (code ECONNREFUSED).
 */

import { describeValue, getRunningLoop, type Loop } from '@coro/loop';
import {
  type ConnectionOptions,
  createConnection,
  createUnixConnection,
  type Transport,
  type UnixConnectionOptions,
} from '@coro/transports';
import { StreamReader } from './stream-reader.js';
import { StreamReaderProtocol } from './stream-reader-protocol.js';
import { StreamWriter } from './stream-writer.js';

/**
 * Options of {@link openConnection}: those of `createConnection` (`ssl`,
 * `serverHostname`, `localAddr`, `happyEyeballsDelay`, TLS timeouts, `loop`,
 * `signal`) and the reader's `limit`.
 *
 * @example
 * ```ts
 * import { openConnection } from '@coro/streams';
 *
 * // limit: allow lines up to 1 MiB (longer ones fail readLine with LimitOverrunError);
 * // signal: give up connecting after 5 s
 * const [reader, writer] = await openConnection('example.com', 80, {
 *   limit: 1_048_576,
 *   signal: AbortSignal.timeout(5_000),
 * });
 * writer.write('HEAD / HTTP/1.0\r\nHost: example.com\r\n\r\n');
 * console.log(String(await reader.readLine()).trim()); // HTTP/1.0 200 OK (or so)
 * writer.close();
 * ```
 */
export interface OpenConnectionOptions extends ConnectionOptions {
  /** The reader's line-length limit, in bytes (see `StreamReaderOptions.limit`). @defaultValue 65536 */
  limit?: number | undefined;
}

/**
 * Options of {@link openUnixConnection}: those of `createUnixConnection` and the
 * reader's `limit`.
 *
 * @example
 * ```ts
 * import { openUnixConnection } from '@coro/streams';
 *
 * // limit: this daemon answers in short lines; anything over 4 KiB is a bug, so fail fast
 * const [reader, writer] = await openUnixConnection('/run/my-daemon.sock', { limit: 4_096 });
 * writer.write('STATUS\n');
 * console.log(String(await reader.readLine()).trim()); // e.g. OK 3 jobs
 * writer.close();
 * ```
 */
export interface OpenUnixConnectionOptions extends UnixConnectionOptions {
  /** The reader's line-length limit, in bytes. @defaultValue 65536 */
  limit?: number | undefined;
}

/**
 * Connects to `host`:`port` over TCP (TLS with `ssl`) and resolves to the
 * connection's `[reader, writer]` (asyncio's `open_connection`). Cancelling the
 * awaiting task or aborting `options.signal` gives up and leaves no socket open.
 *
 * @throws Node's connect error (`code` `'ECONNREFUSED'`, `'ENOTFOUND'`…), a TLS
 *   error, TypeError/RangeError for bad arguments (the promise rejects).
 * @example
 * ```ts
 * import { openConnection, startServer } from '@coro/streams';
 *
 * const server = await startServer(async (reader, writer) => {
 *   writer.write(`hello, ${String(await reader.readLine()).trim()}\n`);
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const { port } = server.addresses()[0] as { port: number };
 *
 * const [reader, writer] = await openConnection('127.0.0.1', port);
 * writer.write('world\n');
 * console.log(String(await reader.readLine()).trim()); // hello, world
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function openConnection(
  host: string,
  port: number,
  options?: OpenConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  return connectStreams(options, (factory, rest) => createConnection(factory, host, port, rest));
}

/**
 * Connects to the Unix domain socket at `path` and resolves to the connection's
 * `[reader, writer]` (asyncio's `open_unix_connection`). Cancellation as
 * {@link openConnection}.
 *
 * @throws Node's connect error (`'ENOENT'`, `'ECONNREFUSED'`…), TypeError for bad
 *   arguments (the promise rejects).
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openUnixConnection, startUnixServer } from '@coro/streams';
 *
 * const path = join(tmpdir(), `coro-streams-doc-${process.pid}.sock`);
 * const server = await startUnixServer((_reader, writer) => {
 *   writer.write('over a Unix socket\n');
 *   writer.close();
 * }, path);
 * const [reader] = await openUnixConnection(path);
 * console.log(String(await reader.readLine()).trim()); // over a Unix socket
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function openUnixConnection(
  path: string,
  options?: OpenUnixConnectionOptions,
): Promise<[StreamReader, StreamWriter]> {
  return connectStreams(options, (factory, rest) => createUnixConnection(factory, path, rest));
}

/** openConnection and openUnixConnection: only how the socket connects (`connect`) differs. */
async function connectStreams<O extends OpenUnixConnectionOptions>(
  options: O | undefined,
  connect: (
    factory: () => StreamReaderProtocol,
    options: Omit<O, 'limit'> & { loop: Loop },
  ) => Promise<[Transport, unknown]>,
): Promise<[StreamReader, StreamWriter]> {
  const { limit, rest } = splitLimit(options);
  const loop = rest.loop ?? getRunningLoop();
  const reader = new StreamReader({ limit, loop });
  const protocol = new StreamReaderProtocol(reader, undefined, loop);
  const [transport] = await connect(() => protocol, { ...rest, loop });
  return [reader, new StreamWriter(transport, protocol, reader, loop)];
}

/** @internal Separates the reader's `limit` from the options meant for @coro/transports. */
export function splitLimit<O extends { limit?: number | undefined }>(
  options: O | undefined,
): { limit: number | undefined; rest: Omit<O, 'limit'> } {
  if (options === undefined) return { limit: undefined, rest: {} as Omit<O, 'limit'> };
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  const { limit, ...rest } = options;
  return { limit, rest };
}
