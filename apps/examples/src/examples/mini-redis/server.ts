/*
 * server: mini-redis's listening side. `startServer` (from @coro/streams) calls
 * `onClient(reader, writer)` in a new task for each connection; the server shares one
 * Store and one PubSub between them, and every 100 ms a housekeeping task sweeps expired
 * keys and closes the clients idle for longer than `timeout` (redis's serverCron does both).
 *
 * Stopping: `close()` stops accepting and closes every client connection (their read
 * loops see EOF and end, their last replies are flushed), then waits for every handler to
 * finish (`waitClosed`). A client that stopped reading would keep its connection flushing
 * for ever, so that wait has a deadline, `shutdownTimeoutMs`: past it the connections
 * still open are aborted (`abortClients()`: unsent replies are dropped) and the handlers,
 * woken by the reset, finish at once. Then the housekeeping task stops. Nothing is left
 * running.
 */

import {
  CancelledError,
  createTask,
  getRunningLoop,
  type Server,
  sleep,
  startServer,
  type Task,
  TimeoutError,
  timeout,
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
  /**
   * A client that sends nothing for longer than this is disconnected (redis's `timeout`,
   * which is in seconds); 0 never does. Subscribed clients are never idle, as in redis.
   * @defaultValue 0
   */
  idleTimeoutMs?: number;
  /**
   * The most bytes of a command not received in full that a client may have the server
   * hold (redis's `client-query-buffer-limit`); past it the client gets an error and is
   * disconnected. @defaultValue 1 GiB, as redis
   */
  queryBufferLimit?: number;
  /**
   * How long `close()` lets the connections flush their replies before it aborts those
   * still open (redis's `shutdown-timeout`, in seconds there). @defaultValue 10 000 (10 s)
   */
  shutdownTimeoutMs?: number;
}

/** redis's default `client-query-buffer-limit`: 1 GiB. */
export const DEFAULT_QUERY_BUFFER_LIMIT = 1024 * 1024 * 1024;

export class MiniRedis {
  readonly #server: Server;
  readonly #housekeeping: Task<void>;
  readonly #shutdownTimeoutMs: number;
  readonly shared: Shared;

  private constructor(server: Server, shared: Shared, shutdownTimeoutMs: number) {
    this.#server = server;
    this.shared = shared;
    this.#shutdownTimeoutMs = shutdownTimeoutMs;
    // Active expiry (store.ts): a few keys every 100 ms, as redis does 10 times a second;
    // and idle clients, which redis also checks from its cron.
    this.#housekeeping = createTask(
      async () => {
        for (;;) {
          await sleep(100);
          shared.store.sweep();
          if (shared.idleTimeoutMs > 0) closeIdle(shared);
        }
      },
      { name: 'mini-redis housekeeping' },
    );
  }

  /** Listens on `host:port` and serves until `close()`. */
  static async start(options: MiniRedisOptions = {}): Promise<MiniRedis> {
    const {
      host = '127.0.0.1',
      port = 6380,
      outboxSize = 10_000,
      idleTimeoutMs = 0,
      queryBufferLimit = DEFAULT_QUERY_BUFFER_LIMIT,
      shutdownTimeoutMs = 10_000,
    } = options;
    const loop = getRunningLoop();
    const shared: Shared = {
      store: new Store(() => loop.time()),
      pubsub: new PubSub(),
      outboxSize,
      idleTimeoutMs,
      queryBufferLimit,
      connections: new Set(),
      config: {
        save: '', // redis-benchmark asks for these two at start
        appendonly: 'no',
        timeout: String(Math.floor(idleTimeoutMs / 1000)),
        'client-query-buffer-limit': String(queryBufferLimit),
        'shutdown-timeout': String(Math.floor(shutdownTimeoutMs / 1000)),
      },
    };
    const server = await startServer(
      (reader, writer) => new Connection(reader, writer, shared).serve(),
      host,
      port,
    );
    return new MiniRedis(server, shared, shutdownTimeoutMs);
  }

  /** The port it listens on. */
  get port(): number {
    const [address] = this.#server.addresses();
    return typeof address === 'string' || address === undefined ? 0 : address.port;
  }

  /**
   * Stops: no new connections, every client closed, every handler finished. Resolves to
   * `true` when some connections were still flushing at the shutdown timeout and had to
   * be aborted, `false` when every one closed in time.
   */
  async close(): Promise<boolean> {
    this.#server.close();
    this.#server.closeClients();
    let aborted = false;
    try {
      await timeout(this.#shutdownTimeoutMs, () => this.#server.waitClosed());
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
      // A peer that stopped reading never lets its connection flush: drop what it was
      // owed. The handlers see the connection lost and end.
      aborted = true;
      this.#server.abortClients();
      await this.#server.waitClosed();
    }
    this.#housekeeping.cancel();
    try {
      await this.#housekeeping;
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
    }
    return aborted;
  }
}

/** Disconnects every client that has sent nothing for longer than the idle timeout. */
function closeIdle(shared: Shared): void {
  const now = getRunningLoop().time();
  for (const connection of shared.connections) {
    if (connection.channels.size === 0 && now - connection.lastInput > shared.idleTimeoutMs) {
      connection.closeIdle();
    }
  }
}
