/*
 * startServer / startUnixServer: asyncio's start_server and start_unix_server, a
 * server that calls `onClient(reader, writer)` for each connection.
 *
 * Invariants
 *   1. Each connection gets a fresh StreamReader (with `limit`), a
 *      StreamReaderProtocol and a StreamWriter; the handler runs in a task of its
 *      own (see StreamReaderProtocol invariant 3: failures go to the loop's
 *      exception handler and close the connection).
 *   2. The server counts handler tasks from the moment their connection is made
 *      until they are done. Its waitClosed() (and so `await using` and
 *      serveForever()'s exit) returns once the server is closed, every connection
 *      is gone (the transports' Server) AND every handler has finished: code after
 *      `await server.waitClosed()` never races a handler still cleaning up.
 *   3. Everything else is the transports' Server, unchanged.
 *
 * Tested by test/connection.test.ts, test/tls.test.ts and test/stress.test.ts.
 */

import { Future, type Task } from '@coro/futures';
import { getRunningLoop, type Loop, requireFunction } from '@coro/loop';
import {
  createServer,
  createUnixServer,
  type Server,
  type ServerOptions,
  type UnixServerOptions,
} from '@coro/transports';
import { splitLimit } from './open-connection.js';
import { StreamReader } from './stream-reader.js';
import { type ClientConnected, StreamReaderProtocol } from './stream-reader-protocol.js';

/**
 * Options of {@link startServer}: those of `createServer` (`ssl`, `backlog`,
 * `reusePort`, `startServing`, TLS timeouts, `loop`, `signal`) and each reader's `limit`.
 *
 * @example
 * ```ts
 * import { startServer } from '@coro/streams';
 *
 * // limit: a client that sends a line over 16 KiB gets LimitOverrunError from readLine;
 * // backlog: up to 511 connections may wait to be accepted
 * const server = await startServer(
 *   async (reader, writer) => {
 *     writer.write(await reader.readLine()); // echo one line
 *     writer.close();
 *   },
 *   '127.0.0.1',
 *   0,
 *   { limit: 16_384, backlog: 511 },
 * );
 * server.close();
 * ```
 */
export interface StartServerOptions extends ServerOptions {
  /** Each connection's reader line-length limit, in bytes. @defaultValue 65536 */
  limit?: number | undefined;
}

/**
 * Options of {@link startUnixServer}: those of `createUnixServer` and each reader's `limit`.
 *
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { startUnixServer } from '@coro/streams';
 *
 * // limit: each connection's reader fails readLine with LimitOverrunError past 16 KiB
 * const path = join(tmpdir(), `control-${process.pid}.sock`);
 * const server = await startUnixServer(
 *   async (reader, writer) => {
 *     writer.write(`ack ${await reader.readLine()}`);
 *     writer.close();
 *   },
 *   path,
 *   { limit: 16_384 },
 * );
 * server.close();
 * ```
 */
export interface StartUnixServerOptions extends UnixServerOptions {
  /** Each connection's reader line-length limit, in bytes. @defaultValue 65536 */
  limit?: number | undefined;
}

/**
 * Listens on `host`:`port` (port 0: any free port; `host` may be a list) and calls
 * `onClient(reader, writer)` for each connection, in a task of its own (asyncio's
 * `start_server`). A handler that throws is reported to the loop's exception
 * handler and its connection closed. `server.close()` stops accepting;
 * `server.waitClosed()` then returns once every connection is gone and every
 * handler has returned.
 *
 * @throws Node's listen error (`'EADDRINUSE'`…), TypeError/RangeError for bad
 *   arguments (the promise rejects).
 * @example
 * ```ts
 * import { openConnection, startServer } from '@coro/streams';
 *
 * const server = await startServer(async (reader, writer) => {
 *   for await (const line of reader) writer.write(String(line).toUpperCase());
 *   writer.close();
 * }, '127.0.0.1', 0);
 * const { port } = server.addresses()[0] as { port: number };
 *
 * const [reader, writer] = await openConnection('127.0.0.1', port);
 * writer.write('shout\n');
 * console.log(String(await reader.readLine()).trim()); // SHOUT
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function startServer(
  onClient: ClientConnected,
  host: string | readonly string[],
  port: number,
  options?: StartServerOptions,
): Promise<Server> {
  return serveStreams(onClient, options, (factory, rest) =>
    createServer(factory, host, port, rest),
  );
}

/**
 * Listens on the Unix domain socket at `path` and calls `onClient(reader, writer)`
 * for each connection (asyncio's `start_unix_server`); as {@link startServer}.
 *
 * @throws Node's listen error, TypeError for bad arguments (the promise rejects).
 * @example
 * ```ts
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { openUnixConnection, startUnixServer } from '@coro/streams';
 *
 * const path = join(tmpdir(), `coro-streams-unix-${process.pid}.sock`);
 * const server = await startUnixServer(async (reader, writer) => {
 *   writer.write(await reader.readLine());
 *   writer.close();
 * }, path);
 * const [reader, writer] = await openUnixConnection(path);
 * writer.write('echo\n');
 * console.log(String(await reader.readLine()).trim()); // echo
 * server.close();
 * await server.waitClosed();
 * ```
 */
export async function startUnixServer(
  onClient: ClientConnected,
  path: string,
  options?: StartUnixServerOptions,
): Promise<Server> {
  return serveStreams(onClient, options, (factory, rest) => createUnixServer(factory, path, rest));
}

/** startServer and startUnixServer: only how the server listens (`listen`) differs. */
async function serveStreams<O extends StartUnixServerOptions>(
  onClient: ClientConnected,
  options: O | undefined,
  listen: (
    factory: () => StreamReaderProtocol,
    options: Omit<O, 'limit'> & { loop: Loop },
  ) => Promise<Server>,
): Promise<Server> {
  requireFunction(onClient, 'onClient');
  const { limit, rest } = splitLimit(options);
  const loop = rest.loop ?? getRunningLoop();
  const handlers = new HandlerSet(loop);
  const factory = streamProtocolFactory(onClient, limit, loop, handlers);
  const server = await listen(factory, { ...rest, loop });
  return handlers.watch(server);
}

function streamProtocolFactory(
  onClient: ClientConnected,
  limit: number | undefined,
  loop: Loop,
  handlers: HandlerSet,
): () => StreamReaderProtocol {
  new StreamReader({ limit }); // validate the limit now, not at the first connection
  return () => {
    const protocol = new StreamReaderProtocol(new StreamReader({ limit, loop }), onClient, loop);
    protocol.handlerStarted = handlers.add;
    return protocol;
  };
}

/** The running handler tasks of one server, and who waits for them to finish (invariant 2). */
class HandlerSet {
  readonly #loop: Loop;
  readonly #tasks = new Set<Task<unknown>>();
  #waiters: Future<void>[] = [];

  constructor(loop: Loop) {
    this.#loop = loop;
  }

  readonly add = (task: Task<unknown>): void => {
    this.#tasks.add(task);
    task.addDoneCallback(this.#remove);
  };

  readonly #remove = (task: Task<unknown>): void => {
    this.#tasks.delete(task);
    if (this.#tasks.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) if (!waiter.done()) waiter.setResult(undefined);
  };

  async #waitEmpty(): Promise<void> {
    // Loop: a handler may start while we wait for another (a connection accepted
    // just before close()).
    while (this.#tasks.size > 0) {
      const waiter = new Future<void>({ loop: this.#loop });
      this.#waiters.push(waiter);
      await waiter;
    }
  }

  /** Makes `server.waitClosed()` also wait for the handlers. */
  watch(server: Server): Server {
    server.alsoWaitFor(() => this.#waitEmpty());
    return server;
  }
}
