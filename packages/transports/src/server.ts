/*
 * Server: asyncio 3.13's Server, the listening side of createServer and
 * createUnixServer, over one Node net.Server (or tls.Server) per bound address.
 *
 * Lifecycle
 *   listening, not serving ─startServing()/serveForever()→ serving ─close()→ closed
 *   (createServer starts serving at once unless `startServing: false`).
 *
 * Invariants
 *   1. `#listeners` is null exactly when closed; close() stops accepting at once and
 *      leaves the open connections alone (closeClients()/abortClients() end them).
 *   2. `#clients` holds the transports of open connections (and TLS connections
 *      still in their handshake): a transport leaves it after its protocol's
 *      connectionLost ran (TransportOwner.detach).
 *   3. waitClosed() resolves once the server is closed AND `#clients` is empty
 *      (3.12+ semantics); before close() it waits for close(). After that moment
 *      (`#waiters` null) it returns at once. Then it also waits for what a layer
 *      above registered with alsoWaitFor() (@coro/streams: the client handlers).
 *   4. Node cannot bind without listening, so a server created with
 *      `startServing: false` listens at once but leaves accepted connections waiting
 *      (no protocol, no reads) until startServing(); close() before that drops them.
 *      (asyncio refuses connections until then; here they queue, as in a backlog.)
 *   5. serveForever() parks on a Future that close() cancels; cancelled (by the task
 *      or by close()), it closes the server, waits for waitClosed() and rethrows
 *      the CancelledError.
 *
 * Tested by test/server.test.ts and test/unix.test.ts.
 */

import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { CancelledError, Future, InvalidStateError, sleep } from '@coro/futures';
import { type Loop, requireFunction } from '@coro/loop';
import { trackResource, untrackResource } from './loop-resources.js';
import type { BaseProtocol, SocketAddress } from './protocols.js';
import { SocketTransport, type StreamProtocol } from './socket-transport.js';

/** What createServer hands the Server's constructor; not for direct use. */
export interface ServerInit {
  loop: Loop;
  protocolFactory: () => BaseProtocol<never>;
  listeners: (net.Server | tls.Server)[];
  /** The path of a Unix server (addresses() returns it; connections' sockname). */
  path: string | undefined;
  sslShutdownTimeout: number | undefined;
}

/**
 * A listening server: what {@link createServer} and {@link createUnixServer} resolve
 * to (asyncio's `Server`). It accepts connections, makes a protocol and a transport
 * for each, and knows its open connections until they are gone.
 *
 * `await using` closes it and waits for its connections (`[Symbol.asyncDispose]`).
 *
 * @example
 * ```ts
 * import { createConnection, createServer, type Protocol, type Transport } from '@coro/transports';
 *
 * const server = await createServer((): Protocol => {
 *   let transport: Transport;
 *   return {
 *     connectionMade: (t) => { transport = t; },
 *     dataReceived: (data) => transport.write(data), // echo
 *   };
 * }, '127.0.0.1', 0);
 * const [{ port }] = server.addresses() as { port: number }[];
 *
 * await new Promise<void>((resolve) => {
 *   void createConnection(() => ({
 *     connectionMade: (t: Transport) => t.write('ping'),
 *     dataReceived: (data: Uint8Array) => { console.log(String(data)); resolve(); }, // prints: ping
 *   }), '127.0.0.1', port);
 * });
 * server.close();
 * server.abortClients();
 * await server.waitClosed();
 * ```
 */
export class Server {
  // Also a TransportOwner and a LoopResource: internal interfaces, so not named in an
  // `implements` clause, which the published types would show without them.
  readonly #loop: Loop;
  readonly #protocolFactory: () => BaseProtocol<never>;
  readonly #path: string | undefined;
  readonly #sslShutdownTimeout: number | undefined;
  #listeners: (net.Server | tls.Server)[] | null;
  readonly #addresses: (SocketAddress | string)[] = [];
  readonly #clients = new Set<SocketTransport>();
  /** TLS connections in their handshake (raw sockets), and connections held before serving. */
  readonly #pending = new Set<net.Socket>();
  readonly #held: net.Socket[] = [];
  #waiters: Future<void>[] | null = [];
  #serving = false;
  #servingForever: Future<void> | null = null;
  #alsoWaitFor: (() => Promise<void>) | undefined = undefined;

  /** Not for direct use: {@link createServer} and {@link createUnixServer} make servers. */
  constructor(init: ServerInit) {
    this.#loop = init.loop;
    this.#protocolFactory = init.protocolFactory;
    this.#listeners = init.listeners;
    this.#path = init.path;
    this.#sslShutdownTimeout = init.sslShutdownTimeout;
    trackResource(this.#loop, this); // closed if still listening when run() ends
    for (const listener of init.listeners) {
      if (isTlsServer(listener)) {
        listener.on('connection', (raw: net.Socket) => this.#handshakeStarted(raw));
        listener.on('secureConnection', (socket: tls.TLSSocket) => this.#accepted(socket));
        listener.on('tlsClientError', (_error: Error, socket: tls.TLSSocket) => socket.destroy());
      } else {
        listener.on('connection', (socket: net.Socket) => this.#accepted(socket));
      }
      listener.on('error', () => {}); // errors after listening surface per connection
    }
  }

  /** @internal Records the bound addresses once every listener listens. */
  listening(): void {
    this.#addresses.length = 0;
    if (this.#path !== undefined) {
      this.#addresses.push(this.#path);
      return;
    }
    for (const listener of this.#listeners ?? []) {
      const address = listener.address();
      if (address !== null && typeof address === 'object') {
        this.#addresses.push({
          address: address.address,
          family: address.family,
          port: address.port,
        });
      }
    }
  }

  #handshakeStarted(raw: net.Socket): void {
    if (this.#listeners === null) {
      raw.destroy();
      return;
    }
    this.#pending.add(raw);
    raw.once('close', () => {
      this.#pending.delete(raw);
      this.#maybeWakeUp();
    });
  }

  #accepted(socket: net.Socket): void {
    if (this.#listeners === null) {
      socket.destroy();
      return;
    }
    // A TLS connection's handshake is over: from here on #held or #clients has it.
    const raw = (socket as Partial<tls.TLSSocket> & { _parent?: net.Socket })._parent;
    if (raw !== undefined && raw !== null) this.#pending.delete(raw);
    if (!this.#serving) {
      this.#held.push(socket);
      socket.on('error', ignore);
      return;
    }
    this.#startConnection(socket);
  }

  #startConnection(socket: net.Socket): void {
    let protocol: BaseProtocol<never>;
    try {
      protocol = this.#protocolFactory();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: 'Error on transport creation for incoming connection',
        exception,
        server: this,
      });
      socket.destroy();
      return;
    }
    const extra = this.#path === undefined ? undefined : { sockname: this.#path, peername: '' };
    const transport = new SocketTransport(socket, protocol as unknown as StreamProtocol, {
      loop: this.#loop,
      extra,
      owner: this,
      sslShutdownTimeout: this.#sslShutdownTimeout,
    });
    this.#clients.add(transport);
    socket.removeListener('error', ignore);
  }

  /** @internal A connection's transport is gone (invariant 2). */
  detach(transport: SocketTransport): void {
    this.#clients.delete(transport);
    this.#maybeWakeUp();
  }

  /** @internal startTls moved a connection of this server to a new transport. */
  attach(transport: SocketTransport): void {
    this.#clients.add(transport);
  }

  #maybeWakeUp(): void {
    if (this.#listeners !== null || this.#clients.size > 0 || this.#pending.size > 0) return;
    const waiters = this.#waiters;
    if (waiters === null) return;
    this.#waiters = null;
    for (const waiter of waiters) if (!waiter.done()) waiter.setResult(undefined);
  }

  /**
   * Stops listening: no new connections; open ones go on (end them with
   * `closeClients()` or `abortClients()`). A running `serveForever()` ends.
   * Idempotent. A Unix server removes its socket file.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * server.close();
   * console.log(server.isServing()); // prints: false
   * ```
   */
  close(): void {
    const listeners = this.#listeners;
    if (listeners === null) return;
    this.#listeners = null;
    this.#serving = false;
    untrackResource(this.#loop, this);
    for (const listener of listeners) listener.close();
    for (const socket of this.#held.splice(0)) socket.destroy();
    const servingForever = this.#servingForever;
    if (servingForever !== null && !servingForever.done()) servingForever.cancel();
    this.#addresses.length = 0;
    this.#maybeWakeUp();
  }

  /** @internal Its loop is shutting down with the server still listening: close it and its clients. */
  abandon(): void {
    this.close();
    this.abortClients();
  }

  /** @internal For the debug-mode report of an unclosed server. */
  describeResource(): string {
    const where = this.#addresses.map((a) =>
      typeof a === 'string' ? a : `${a.address}:${a.port}`,
    );
    return `server on ${where.join(', ') || this.#path || 'no address'}`;
  }

  /**
   * Closes every open connection gracefully (each transport's `close()`: buffered
   * data is sent first). TLS connections still in their handshake are dropped.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * server.close();
   * server.closeClients(); // then waitClosed() returns once they are gone
   * await server.waitClosed();
   * ```
   */
  closeClients(): void {
    for (const transport of [...this.#clients]) transport.close();
    for (const socket of [...this.#pending]) socket.destroy();
  }

  /**
   * Aborts every open connection at once (each transport's `abort()`).
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * server.close();
   * server.abortClients();
   * await server.waitClosed();
   * ```
   */
  abortClients(): void {
    for (const transport of [...this.#clients]) transport.abort();
    for (const socket of [...this.#pending]) socket.destroy();
  }

  /**
   * Resolves once the server is closed and every connection it accepted is gone
   * (asyncio 3.12+). Called before `close()`, it waits for that too. Cancellable.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * setTimeout(() => server.close(), 10);
   * await server.waitClosed();
   * console.log('closed'); // prints: closed
   * ```
   */
  async waitClosed(): Promise<void> {
    const waiters = this.#waiters;
    if (waiters !== null) {
      const waiter = new Future<void>({ loop: this.#loop });
      waiters.push(waiter);
      await waiter;
    }
    await this.#alsoWaitFor?.();
  }

  /**
   * Makes `waitClosed()` (and so `serveForever()` and `await using`) also wait for
   * `wait()`, which it calls once the server is closed and its connections are gone
   * (invariant 3). For building servers on top of transports: `@coro/streams`'
   * `startServer` registers here the wait for its client-handler tasks, so that
   * `waitClosed()` returns only when they have ended. A later call replaces the
   * earlier `wait`.
   *
   * @throws TypeError if `wait` is not a function.
   * @example
   * ```ts
   * import { sleep } from '@coro/futures';
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * server.alsoWaitFor(async () => {
   *   await sleep(10); // e.g. the tasks that still handle former clients
   *   console.log('handlers done');
   * });
   * server.close();
   * await server.waitClosed(); // prints: handlers done
   * ```
   */
  alsoWaitFor(wait: () => Promise<void>): void {
    requireFunction(wait, 'wait');
    this.#alsoWaitFor = wait;
  }

  /**
   * Starts accepting connections (a no-op if it already does), then yields once to
   * the loop.
   *
   * @throws InvalidStateError if the server is closed.
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0, { startServing: false });
   * await server.startServing();
   * console.log(server.isServing()); // prints: true
   * server.close();
   * ```
   */
  async startServing(): Promise<void> {
    this.#startServing('startServing');
    await sleep(0);
  }

  /** @internal */
  beginServing(): void {
    this.#startServing('startServing');
  }

  #startServing(method: string): void {
    if (this.#listeners === null) {
      throw new InvalidStateError(`${method}() called on a closed server`);
    }
    if (this.#serving) return;
    this.#serving = true;
    for (const socket of this.#held.splice(0)) {
      if (socket.destroyed) continue;
      this.#startConnection(socket);
    }
  }

  /**
   * Serves until cancelled: starts serving if needed, then waits. Cancelling the
   * awaiting task (or calling `close()`) closes the server, waits for
   * `waitClosed()`, and rejects with `CancelledError`.
   *
   * @throws InvalidStateError if the server is closed, or another `serveForever()` runs.
   * @example
   * ```ts
   * import { createTask, sleep } from '@coro/futures';
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * const serving = createTask(() => server.serveForever());
   * await sleep(10);
   * serving.cancel();
   * await serving.then(undefined, (error: unknown) => console.log((error as Error).name)); // prints: CancelledError
   * console.log(server.isServing()); // prints: false
   * ```
   */
  async serveForever(): Promise<void> {
    if (this.#servingForever !== null) {
      throw new InvalidStateError('serveForever() is already running on this server');
    }
    this.#startServing('serveForever');
    const future = new Future<void>({ loop: this.#loop });
    this.#servingForever = future;
    try {
      await future;
    } catch (error) {
      if (error instanceof CancelledError) {
        try {
          this.close();
          await this.waitClosed();
        } finally {
          // biome-ignore lint/correctness/noUnsafeFinally: asyncio re-raises the cancellation
          throw error;
        }
      }
      throw error;
    } finally {
      this.#servingForever = null;
    }
  }

  /**
   * True while the server accepts connections.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * console.log(server.isServing()); // prints: true
   * server.close();
   * ```
   */
  isServing(): boolean {
    return this.#serving;
  }

  /**
   * The addresses the server listens on: Node `AddressInfo` objects
   * `{ address, family, port }`, or the path of a Unix server. Empty once closed.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * const [first] = server.addresses();
   * console.log(typeof first === 'object' && first.address); // prints: 127.0.0.1
   * server.close();
   * ```
   */
  addresses(): (SocketAddress | string)[] {
    return this.#addresses.map((address) =>
      typeof address === 'string' ? address : { ...address },
    );
  }

  /**
   * The loop that runs the server's protocols.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * const server = await createServer(() => ({}), '127.0.0.1', 0);
   * console.log(server.getLoop().isClosed()); // prints: false
   * server.close();
   * ```
   */
  getLoop(): Loop {
    return this.#loop;
  }

  /**
   * `await using server = await createServer(…)`: closes the server and waits for
   * its connections to be gone when the block ends.
   *
   * @example
   * ```ts
   * import { createServer } from '@coro/transports';
   *
   * {
   *   await using server = await createServer(() => ({}), '127.0.0.1', 0);
   *   console.log(server.isServing()); // prints: true
   * } // closed here
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.waitClosed();
  }
}

function isTlsServer(listener: net.Server | tls.Server): listener is tls.Server {
  return typeof (listener as tls.Server).addContext === 'function';
}

function ignore(): void {}
