/*
 * server: mini-redis's listening side. `startServer` (from @coro/streams) calls
 * `onClient(reader, writer)` in a new task for each connection; the server shares one
 * Store and one PubSub between them, and sweeps expired keys every 100 ms.
 *
 * Stopping: `close()` stops accepting, closes every client connection (their read loops
 * see EOF and end), waits for every handler to finish (`waitClosed`), then stops the
 * sweeper. Nothing is left running.
 */

import {
  CancelledError,
  createTask,
  getRunningLoop,
  type Server,
  sleep,
  startServer,
  type Task,
} from 'coro';
import { Connection, type Shared } from './connection.js';
import { PubSub } from './pubsub.js';
import { Store } from './store.js';

export interface MiniRedisOptions {
  /** The address to listen on. @defaultValue '127.0.0.1' */
  host?: string;
  /** The port; 0 picks a free one (read it back from `port`). @defaultValue 6380 */
  port?: number;
  /** Messages a subscriber may have waiting before it is disconnected. @defaultValue 10000 */
  outboxSize?: number;
}

export class MiniRedis {
  readonly #server: Server;
  readonly #sweeper: Task<void>;
  readonly shared: Shared;

  private constructor(server: Server, shared: Shared) {
    this.#server = server;
    this.shared = shared;
    // Active expiry (store.ts): a few keys every 100 ms, as redis does 10 times a second.
    this.#sweeper = createTask(
      async () => {
        for (;;) {
          await sleep(100);
          shared.store.sweep();
        }
      },
      { name: 'mini-redis expiry' },
    );
  }

  /** Listens on `host:port` and serves until `close()`. */
  static async start(options: MiniRedisOptions = {}): Promise<MiniRedis> {
    const { host = '127.0.0.1', port = 6380, outboxSize = 10_000 } = options;
    const loop = getRunningLoop();
    const shared: Shared = {
      store: new Store(() => loop.time()),
      pubsub: new PubSub(),
      outboxSize,
    };
    const server = await startServer(
      (reader, writer) => new Connection(reader, writer, shared).serve(),
      host,
      port,
    );
    return new MiniRedis(server, shared);
  }

  /** The port it listens on. */
  get port(): number {
    const [address] = this.#server.addresses();
    return typeof address === 'string' || address === undefined ? 0 : address.port;
  }

  /** Stops: no new connections, every client closed, every handler finished. */
  async close(): Promise<void> {
    this.#server.close();
    this.#server.closeClients();
    await this.#server.waitClosed();
    this.#sweeper.cancel();
    try {
      await this.#sweeper;
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    }
  }
}
