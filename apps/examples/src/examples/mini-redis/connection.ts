/*
 * connection: one client, from its first byte to its last.
 *
 * The read loop is where the speed comes from. Each turn takes whatever the socket
 * delivered (up to 64 KiB: a pipelining client sends many commands per packet), parses
 * every complete command in it, runs them, and writes all their replies as ONE write.
 * It waits for the socket (`drain()`) only when its buffer is past the high-water mark,
 * so a client that reads its replies costs no extra trip through the loop.
 *
 * Pub/sub: once the client subscribes, messages from other clients arrive at any time,
 * through its outbox (a bounded Queue, see pubsub.ts). A second task, the pump, writes
 * the outbox to the socket. From the first SUBSCRIBE on, the client's own replies go
 * through the outbox too, so replies and messages reach it in the order they happened.
 *
 * Malformed input gets `-ERR Protocol error: ...` and the connection closes (as redis
 * does); so does an incomplete command past `queryBufferLimit` (an error, then the
 * close). An error in one connection never reaches the server or other clients.
 */

import type { Socket } from 'node:net';
import {
  getRunningLoop,
  type Loop,
  Queue,
  QueueShutDown,
  type StreamReader,
  type StreamWriter,
  type TaskGroup,
  taskGroup,
} from 'coro';
import { execute, type Session } from './commands.js';
import type { PubSub, Subscriber } from './pubsub.js';
import { error as errorReply, ProtocolError, RespParser } from './resp.js';
import type { Store } from './store.js';

/** How many bytes one read takes at most. */
const READ_SIZE = 64 * 1024;

/** What every connection shares: the keyspace and the channels. */
export interface Shared {
  readonly store: Store;
  readonly pubsub: PubSub;
  /** Frames a subscriber's outbox holds before the subscriber counts as too slow. */
  readonly outboxSize: number;
  /** A client silent for longer is disconnected (server.ts); 0: never. */
  readonly idleTimeoutMs: number;
  /** The most bytes of incomplete commands a client may have the server hold. */
  readonly queryBufferLimit: number;
  /** The connections being served, for the idle check. */
  readonly connections: Set<Connection>;
  /** What CONFIG GET answers. */
  readonly config: Readonly<Record<string, string>>;
}

export class Connection implements Session, Subscriber {
  readonly store: Store;
  readonly pubsub: PubSub;
  readonly channels = new Set<string>();
  readonly outbox: Queue<string>;
  readonly config: Readonly<Record<string, string>>;
  quit = false;
  /** When the client last sent something, on the loop's clock (ms). */
  lastInput: number;
  readonly #reader: StreamReader;
  readonly #writer: StreamWriter;
  readonly #shared: Shared;
  readonly #loop: Loop;
  #tasks: TaskGroup | null = null;
  #pumping = false;

  constructor(reader: StreamReader, writer: StreamWriter, shared: Shared) {
    this.#reader = reader;
    this.#writer = writer;
    this.#shared = shared;
    this.store = shared.store;
    this.pubsub = shared.pubsub;
    this.config = shared.config;
    this.outbox = new Queue({ maxsize: shared.outboxSize });
    this.#loop = getRunningLoop();
    this.lastInput = this.#loop.time();
  }

  get subscriber(): Subscriber {
    return this;
  }

  /** Serves the client until it leaves (EOF, QUIT, a protocol error, or the server stops). */
  async serve(): Promise<void> {
    // As redis does: no Nagle delay, so a reply written after another goes out at once
    // instead of waiting for the client to acknowledge the first (up to 40 ms).
    this.#writer.getExtraInfo<Socket>('socket')?.setNoDelay(true);
    this.#shared.connections.add(this);
    try {
      // A task group: the pump, once started, is a child; neither outlives the connection.
      await taskGroup(async (tasks) => {
        this.#tasks = tasks;
        await this.#readCommands();
        this.outbox.shutdown(); // the pump writes what is left, then ends
      });
    } catch (error) {
      if (!isDisconnect(error)) {
        getRunningLoop().callExceptionHandler({
          message: 'mini-redis: a connection failed',
          exception: error,
        });
      }
    } finally {
      this.#shared.connections.delete(this);
      this.pubsub.unsubscribeAll(this);
      this.#writer.close();
    }
  }

  /** The read loop: read what arrived, run every complete command, write the replies. */
  async #readCommands(): Promise<void> {
    const parser = new RespParser();
    while (!this.quit) {
      const data = await this.#reader.read(READ_SIZE);
      if (data.length === 0) return; // EOF: the client closed its side
      this.lastInput = this.#loop.time();
      parser.push(data);
      let replies = '';
      try {
        for (let command = parser.next(); command !== undefined; command = parser.next()) {
          replies += execute(this, command);
          if (this.quit) break; // QUIT: later commands are not run (redis does the same)
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        replies += errorReply(`ERR Protocol error: ${error.message}`);
        this.quit = true;
      }
      // What is left is an incomplete command: past the limit, the client is refused
      // rather than let it grow the server's memory (redis's client-query-buffer-limit).
      if (!this.quit && parser.bufferedBytes > this.#shared.queryBufferLimit) {
        const limit = this.#shared.queryBufferLimit;
        replies += errorReply(`ERR query buffer limit exceeded (${limit} bytes)`);
        this.quit = true;
      }
      if (replies.length === 0) continue;
      if (this.channels.size === 0 && this.outbox.empty()) {
        // The common case, kept free of any extra await: one write for the whole batch.
        this.#writer.write(Buffer.from(replies, 'latin1'));
        if (mustDrain(this.#writer)) await this.#writer.drain();
      } else {
        await this.#sendThroughOutbox(replies);
      }
    }
  }

  /**
   * Once subscribed, replies go through the outbox, behind the messages already there
   * (and so do they while the outbox still holds messages after the last UNSUBSCRIBE).
   */
  async #sendThroughOutbox(replies: string): Promise<void> {
    if (!this.#pumping) {
      this.#pumping = true;
      this.#tasks?.createTask(() => this.#pump(), { name: 'mini-redis pump' });
    }
    try {
      await this.outbox.put(replies); // waits while the outbox is full: back-pressure
    } catch (error) {
      if (!(error instanceof QueueShutDown)) throw error;
      this.quit = true; // disconnected as too slow
    }
  }

  /** Writes the outbox to the socket: every frame waiting, as one write. */
  async #pump(): Promise<void> {
    for await (const frame of this.outbox) {
      let frames = frame;
      while (!this.outbox.empty()) frames += this.outbox.getNowait();
      this.#writer.write(Buffer.from(frames, 'latin1'));
      if (mustDrain(this.#writer)) await this.#writer.drain();
    }
  }

  /** Silent for longer than the idle timeout (server.ts): close it, as redis's `timeout` does. */
  closeIdle(): void {
    this.quit = true;
    this.#writer.transport.abort(); // the read loop sees EOF and ends
  }

  /** Too slow to keep up with its messages (pubsub.ts): drop it, as redis would. */
  tooSlow(): void {
    this.quit = true;
    this.outbox.shutdown(true); // drop what is queued: it will never be read
    this.#writer.transport.abort(); // the read loop sees EOF, the pump's for-await ends
  }
}

/**
 * Whether the socket's write buffer is past its high-water mark, so that `drain()` would
 * wait. Checking first saves an await per batch in the common case (the client reads
 * its replies and the buffer is empty); asyncio's drain() skips the wait the same way.
 */
function mustDrain(writer: StreamWriter): boolean {
  const { transport } = writer;
  return transport.getWriteBufferSize() > transport.getWriteBufferLimits().high;
}

/** A client that vanished mid-write (reset, broken pipe) is not the server's failure. */
function isDisconnect(error: unknown): boolean {
  const errors = error instanceof AggregateError ? error.errors : [error];
  return errors.every(
    (inner) =>
      inner instanceof Error &&
      (/^(ECONNRESET|EPIPE|ECONNABORTED|ERR_STREAM_DESTROYED)$/.test(
        String((inner as NodeJS.ErrnoException).code),
      ) ||
        /Connection|Closed/.test(inner.name)),
  );
}
