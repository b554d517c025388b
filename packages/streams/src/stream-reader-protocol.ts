/*
 * StreamReaderProtocol: the Protocol between a transport and a StreamReader /
 * StreamWriter pair (asyncio's StreamReaderProtocol).
 *
 * Invariants
 *   1. Bytes go from dataReceived() straight to reader.feedData(): no copy, no
 *      promise, no scheduling per chunk.
 *   2. connectionLost(error) ends the reader (feedEof, or setException(error) so a
 *      read in progress throws the socket's error rather than returning a short
 *      read) and then does the FlowControlProtocol's part (drains, close waiter).
 *   3. On the server side (an `onClient` handler was given), connectionMade() makes
 *      the StreamWriter and runs `onClient(reader, writer)` in a task of its own, so
 *      the handler can be cancelled and awaits inside it are cancellable. When that
 *      task fails, the error goes to the loop's exception handler ("Unhandled
 *      exception in client_connected_cb", asyncio's words) and the transport is
 *      closed; when it is cancelled, the transport is closed. `handlerTask` lets
 *      the server wait for it.
 *   4. eofReceived() returns true (keep the connection open for writing: the
 *      handler may still answer a half-closed peer) except over TLS, which cannot
 *      half-close.
 *   5. When an async handler returns, its connection is closed (gracefully: what
 *      it wrote is sent first). CPython does the same in effect: the writer is
 *      collected as the handler returns and its finalizer closes the transport.
 *      Without this, a handler that forgets close() would leave a half-open socket
 *      for ever. A plain (non-async) handler's return closes nothing: it may have
 *      handed the writer to a task of its own (asyncio's callback style).
 *
 * Tested by test/stream-writer.test.ts (with a memory transport) and test/connection.test.ts.
 */

import { createTask, type Task } from '@coro/futures';
import type { Loop } from '@coro/loop';
import type { Protocol, Transport } from '@coro/transports';
import { FlowControlProtocol } from './flow-control.js';
import type { StreamReader } from './stream-reader.js';
import { StreamWriter } from './stream-writer.js';

/**
 * The handler `startServer` calls for each client: it gets the connection's reader
 * and writer and may be async (it then runs as a task of its own).
 *
 * @example
 * ```ts
 * import type { ClientConnected } from '@coro/streams';
 *
 * const echo: ClientConnected = async (reader, writer) => {
 *   for await (const line of reader) writer.write(line);
 *   writer.close();
 * };
 * ```
 */
export type ClientConnected = (reader: StreamReader, writer: StreamWriter) => unknown;

/**
 * The `Protocol` that feeds a `StreamReader` from a transport and serves as its
 * `StreamWriter`'s protocol (asyncio's `StreamReaderProtocol`). `openConnection` and
 * `startServer` make one per connection; make one yourself to put streams on a
 * transport from `@coro/transports`.
 *
 * @example
 * ```ts
 * import { StreamReader, StreamReaderProtocol, StreamWriter } from '@coro/streams';
 * import { createConnection, createServer, type Protocol, type Transport } from '@coro/transports';
 *
 * const server = await createServer((): Protocol => ({
 *   connectionMade: (transport: Transport) => { transport.write('hi\n'); transport.close(); },
 * }), '127.0.0.1', 0);
 * const { port } = server.addresses()[0] as { port: number };
 * const reader = new StreamReader();
 * const protocol = new StreamReaderProtocol(reader);
 * const [transport] = await createConnection(() => protocol, '127.0.0.1', port);
 * const writer = new StreamWriter(transport, protocol, reader);
 * console.log(String(await reader.readLine()).trimEnd()); // hi
 * writer.close();
 * server.close();
 * await server.waitClosed();
 * ```
 */
export class StreamReaderProtocol extends FlowControlProtocol implements Protocol {
  readonly #reader: StreamReader | null;
  readonly #clientConnected: ClientConnected | undefined;
  #overTls: boolean;
  #task: Task<unknown> | null;
  /** @internal Told of each handler task as it starts (startServer waits for them). */
  handlerStarted: ((task: Task<unknown>) => void) | null;

  /**
   * @param reader - The reader to feed (null: discard what arrives).
   * @param clientConnected - Server side: the handler to run with the reader and a
   *   new writer once the connection is made.
   * @param loop - The loop of the protocol's Futures and the handler's task.
   *   @defaultValue the running loop
   */
  constructor(reader: StreamReader | null, clientConnected?: ClientConnected, loop?: Loop) {
    super(loop);
    this.#reader = reader;
    this.#clientConnected = clientConnected;
    this.#overTls = false;
    this.#task = null;
    this.handlerStarted = null;
  }

  /**
   * Attaches the transport to the reader (flow control) and, on the server side,
   * starts the client handler in a task.
   *
   * @example
   * ```ts
   * import { StreamReader, StreamReaderProtocol } from '@coro/streams';
   *
   * const protocol = new StreamReaderProtocol(new StreamReader());
   * // the transport calls protocol.connectionMade(transport) when the connection is up
   * console.log(typeof protocol.connectionMade); // function
   * ```
   */
  connectionMade(transport: Transport): void {
    this.#overTls = isTls(transport);
    const reader = this.#reader;
    if (reader !== null) reader.setTransport(transport);
    const clientConnected = this.#clientConnected;
    if (clientConnected === undefined) return;
    const writer = new StreamWriter(transport, this, reader, this.loop);
    const body = () => runHandler(clientConnected, reader as StreamReader, writer);
    const task = this.loop === undefined ? createTask(body) : createTask(body, { loop: this.loop });
    this.#task = task;
    task.addDoneCallback(onHandlerDone.bind(null, transport));
    this.handlerStarted?.(task);
  }

  /**
   * Feeds received bytes to the reader.
   *
   * @example
   * ```ts
   * import { StreamReader, StreamReaderProtocol } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * new StreamReaderProtocol(reader).dataReceived(Buffer.from('hi\n'));
   * console.log(String(await reader.readLine()).trimEnd()); // hi
   * ```
   */
  dataReceived(data: Uint8Array): void {
    this.#reader?.feedData(data);
  }

  /**
   * The peer half-closed: ends the reader, and keeps the connection open for
   * writing (returns true), except over TLS.
   *
   * @example
   * ```ts
   * import { StreamReader, StreamReaderProtocol } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * console.log(new StreamReaderProtocol(reader).eofReceived()); // true
   * console.log(reader.atEof()); // true
   * ```
   */
  eofReceived(): boolean {
    this.#reader?.feedEof();
    return !this.#overTls;
  }

  /**
   * The connection is gone: the reader ends (with `error`, if any, which reads then
   * throw), waiting drains wake, and `waitClosed()` returns.
   *
   * @example
   * ```ts
   * import { StreamReader, StreamReaderProtocol } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * new StreamReaderProtocol(reader).connectionLost(new Error('reset'));
   * await reader.read().catch((error) => console.log(error.message)); // reset
   * ```
   */
  override connectionLost(error?: Error): void {
    const reader = this.#reader;
    if (reader !== null) {
      if (error === undefined || error === null) reader.feedEof();
      else reader.setException(error);
    }
    super.connectionLost(error);
  }

  /** @internal The client handler's task (server side), once the connection is made. */
  get handlerTask(): Task<unknown> | null {
    return this.#task;
  }

  /** @internal Whether this protocol serves a server's connection (TLS upgrades as the server). */
  get serverSide(): boolean {
    return this.#clientConnected !== undefined;
  }

  /** @internal A TLS upgrade replaced the transport (StreamWriter.startTls). */
  replaceTransport(transport: Transport): void {
    this.#overTls = isTls(transport);
    this.#reader?.replaceTransport(transport);
  }
}

/** Whether `transport` runs over TLS (it then cannot half-close). */
function isTls(transport: Transport): boolean {
  return (
    transport.getExtraInfo('sslobject') !== undefined ||
    transport.getExtraInfo('cipher') !== undefined
  );
}

/** What a client handler's task resolves to: whether the handler was async. */
const ASYNC_HANDLER_DONE = Symbol('async handler done');

/** The body of a client handler's task: calls the handler and awaits it if it is async. */
async function runHandler(
  clientConnected: ClientConnected,
  reader: StreamReader,
  writer: StreamWriter,
): Promise<unknown> {
  const result = clientConnected(reader, writer);
  if (!isThenable(result)) return result;
  await result;
  return ASYNC_HANDLER_DONE;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The client handler's task is done (invariants 3 and 5). */
function onHandlerDone(transport: Transport, task: Task<unknown>): void {
  if (task.cancelled()) {
    transport.close();
    return;
  }
  const error = task.exception();
  if (error !== null) {
    task.getLoop().callExceptionHandler({
      message: 'Unhandled exception in client_connected_cb',
      exception: error,
      transport,
    });
    transport.close();
    return;
  }
  if (task.result() === ASYNC_HANDLER_DONE) transport.close();
}
