/*
 * chat: a chat server. Connect with `nc 127.0.0.1 7070` (or telnet), type lines; every
 * line goes to everyone else. `/nick <name>` renames you, `/quit` leaves.
 *
 * Broadcast goes through queues: each member has an outbox, a Queue of lines with a
 * bounded size, and a task (its writer) that empties it onto the member's socket. A
 * broadcast only puts a line into each outbox (`putNowait`, never waiting), so a member
 * whose connection is slow never delays the others.
 *
 * A slow member: one that does not read what it is sent. Its socket buffer fills, its
 * writer task waits in `drain()`, its outbox fills up. When a broadcast finds the outbox
 * full (QueueFull), that member is disconnected and the others are told. The choice:
 * dropping its lines instead would keep it connected but show it a conversation with
 * holes; disconnecting keeps every member's view whole and the server's memory bounded
 * (outbox size × line length per member).
 *
 * Ctrl-C (SIGINT) shuts down cleanly: every member is told, the server stops accepting,
 * each outbox is flushed and each connection closed, and the server waits for every
 * handler to finish before `main()` returns.
 */
import {
  Event,
  LimitOverrunError,
  Queue,
  QueueFull,
  type Server,
  type StreamReader,
  type StreamWriter,
  startServer,
  taskGroup,
} from 'coro';
import { type Output, portOption, readOptions } from '../example.js';

export const name = 'chat';
export const title = 'A chat server: a bounded outbox Queue per client, /nick, clean Ctrl-C';
export const usage = '[--port <n>]  (default 7070; 0 picks a free port)';

/** Lines waiting for one member before it counts as too slow. */
const OUTBOX_SIZE = 100;

/** One connected client: its name, and the lines waiting to be written to it. */
class Member {
  readonly outbox = new Queue<string>({ maxsize: OUTBOX_SIZE });
  constructor(
    public name: string,
    readonly writer: StreamWriter,
  ) {}

  /** The member's writer task: writes its outbox, in order, until the outbox is shut down. */
  async sendOutbox(): Promise<void> {
    for await (const line of this.outbox) {
      this.writer.write(`${line}\n`);
      await this.writer.drain(); // a slow reader makes this wait, and the outbox fill up
    }
  }
}

export class ChatRoom {
  readonly #members = new Set<Member>();
  #guests = 0;
  /** Aborted by closeAll(): every member's pending readLine() gives up. */
  readonly #closing = new AbortController();
  /** Where the server logs (joins, leaves, slow members). */
  readonly #log: Output;

  constructor(log: Output) {
    this.#log = log;
  }

  /** How many members are connected. */
  get size(): number {
    return this.#members.size;
  }

  /** Sends `line` to every member but `except`; a member with a full outbox is dropped. */
  broadcast(line: string, except?: Member): void {
    const tooSlow: Member[] = [];
    for (const member of this.#members) {
      if (member === except) continue;
      try {
        member.outbox.putNowait(line);
      } catch (error) {
        if (!(error instanceof QueueFull)) throw error;
        tooSlow.push(member);
      }
    }
    for (const member of tooSlow) this.#disconnectSlow(member);
  }

  /** Serves one connection (startServer's callback): join, read lines, leave. */
  readonly serve = async (reader: StreamReader, writer: StreamWriter): Promise<void> => {
    const member = new Member(`guest-${++this.#guests}`, writer);
    if (this.#closing.signal.aborted) return writer.close();
    this.#members.add(member);
    member.outbox.putNowait(`welcome, ${member.name}! /nick <name> renames you, /quit leaves`);
    this.broadcast(`* ${member.name} joined`, member);
    this.#log(`${member.name} joined (${this.size} online)`);
    try {
      // Two tasks per member: this one reads, the writer task writes its outbox.
      await taskGroup(async (tasks) => {
        tasks.createTask(() => member.sendOutbox());
        try {
          await this.#readLines(member, reader);
        } finally {
          this.#leave(member); // out of the room first: no broadcast reaches it now...
          member.outbox.shutdown(); // ...and the writer task flushes what is queued, then ends
        }
      });
    } catch (error) {
      // The connection broke (reset by the client, or dropped as too slow).
      this.#log(`${member.name}: ${(error as Error).message}`);
    } finally {
      writer.close();
    }
  };

  /** Takes `member` out of the room and tells the others (unless it is already out). */
  #leave(member: Member): void {
    if (!this.#members.delete(member)) return;
    if (!this.#closing.signal.aborted) this.broadcast(`* ${member.name} left`);
    this.#log(`${member.name} left (${this.size} online)`);
  }

  /** The member's lines, until `/quit`, end of input or shutdown. */
  async #readLines(member: Member, reader: StreamReader): Promise<void> {
    for (;;) {
      let line: string;
      try {
        // The signal: closeAll() makes this read give up, so the handler can finish.
        const bytes = await reader.readLine({ signal: this.#closing.signal });
        if (bytes.length === 0) return; // end of input: the client went away
        line = bytes.toString().trimEnd();
      } catch (error) {
        if (this.#closing.signal.aborted) return; // the server is shutting down
        if (!(error instanceof LimitOverrunError)) throw error;
        member.outbox.putNowait('* line too long, not sent'); // readLine skipped it
        continue;
      }
      if (line === '/quit') {
        member.outbox.putNowait('bye!');
        return;
      }
      if (line.startsWith('/nick ')) {
        const name = line.slice(6).trim();
        if (name === '') continue;
        this.broadcast(`* ${member.name} is now ${name}`);
        member.name = name;
      } else if (line !== '') {
        this.broadcast(`<${member.name}> ${line}`, member);
      }
    }
  }

  /** The member is not reading: drop its connection, tell the others. */
  #disconnectSlow(member: Member): void {
    if (!this.#members.delete(member)) return;
    member.outbox.shutdown(true); // immediate: its queued lines are dropped
    member.writer.transport.abort(); // its read loop sees the end, its writer task stops
    this.#log(`${member.name} was too slow and was disconnected (${this.size} online)`);
    this.broadcast(`* ${member.name} was too slow and was disconnected`);
  }

  /**
   * Tells everyone `message`, then ends every member's read loop: each handler then
   * flushes the member's outbox (that message last), closes its connection and returns.
   */
  closeAll(message: string): void {
    this.broadcast(message);
    this.#closing.abort();
  }
}

/** A running chat: its room, its server and its port. */
export interface Chat {
  readonly room: ChatRoom;
  readonly server: Server;
  readonly port: number;
  /** Clean shutdown: tell the members, stop accepting, close every connection, wait. */
  close(): Promise<void>;
}

/** Starts a chat server on 127.0.0.1:`port`. */
export async function startChat(port: number, log: Output): Promise<Chat> {
  const room = new ChatRoom(log);
  const server = await startServer(room.serve, '127.0.0.1', port);
  const [address] = server.addresses();
  return {
    room,
    server,
    port: typeof address === 'object' ? address.port : 0,
    async close() {
      server.close(); // no new connections
      room.closeAll('* the server is shutting down, bye');
      await server.waitClosed(); // every handler has returned, every connection closed
    },
  };
}

export async function main(out: Output = console.log, args: readonly string[] = []): Promise<void> {
  const options = readOptions(args, { port: '7070' });
  const stop = new Event(); // set by the signal handler, awaited below
  const onSigint = () => stop.set();
  process.once('SIGINT', onSigint); // before the server starts: Ctrl-C works from the start
  try {
    const chat = await startChat(portOption(options.port), out);
    out(`chat server on 127.0.0.1:${chat.port}; join with: nc 127.0.0.1 ${chat.port}`);
    out('Ctrl-C stops it');
    await stop.wait();
    const online = chat.room.size;
    await chat.close();
    out(`stopped: told ${online} member${online === 1 ? '' : 's'}, closed every connection`);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
