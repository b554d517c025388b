import { connect, type Socket } from 'node:net';
import { run, sleep } from 'coro';
import { describe, expect, it } from 'vitest';
import * as chat from '../src/examples/chat.js';

/** A real chat client over TCP: the lines it received, and whether the server closed it. */
class Client {
  readonly socket: Socket;
  readonly lines: string[] = [];
  closed = false;
  #partial = '';
  #check: (() => void) | null = null;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (text: string) => {
      const parts = (this.#partial + text).split('\n');
      this.#partial = parts.pop()!;
      this.lines.push(...parts);
      this.#check?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.#check?.();
    });
    this.socket.on('error', () => {}); // a reset shows as `closed`
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** Waits for a line equal to `line` (or the connection's end); whether it came. */
  async waitFor(line: string): Promise<boolean> {
    while (!this.lines.includes(line) && !this.closed) {
      await new Promise<void>((resolve) => {
        this.#check = resolve;
      });
    }
    return this.lines.includes(line);
  }

  /** Waits until the server closes the connection. */
  async waitClosed(): Promise<void> {
    while (!this.closed) {
      await new Promise<void>((resolve) => {
        this.#check = resolve;
      });
    }
  }
}

describe('chat', () => {
  it('broadcasts lines, renames with /nick and says goodbye on /quit', async () => {
    const log: string[] = [];
    await run(async () => {
      const server = await chat.startChat(0, (line) => log.push(line));
      const alice = new Client(server.port);
      expect(await alice.waitFor('welcome, guest-1! /nick <name> renames you, /quit leaves')).toBe(
        true,
      );
      const bob = new Client(server.port);
      expect(await alice.waitFor('* guest-2 joined')).toBe(true);

      alice.send('/nick alice');
      expect(await bob.waitFor('* guest-1 is now alice')).toBe(true);
      alice.send('hello, everyone');
      expect(await bob.waitFor('<alice> hello, everyone')).toBe(true);
      bob.send('/quit');
      expect(await bob.waitFor('bye!')).toBe(true);
      await bob.waitClosed();
      expect(await alice.waitFor('* guest-2 left')).toBe(true);

      expect(alice.lines).not.toContain('<alice> hello, everyone'); // not echoed to its sender
      alice.socket.destroy();
      await server.close();
    });
    expect(log).toEqual([
      'guest-1 joined (1 online)',
      'guest-2 joined (2 online)',
      'guest-2 left (1 online)',
      'alice left (0 online)',
    ]);
  });

  it('disconnects a member that stops reading, and tells the others', async () => {
    await run(async () => {
      const server = await chat.startChat(0, () => {});
      const talker = new Client(server.port);
      await talker.waitFor('welcome, guest-1! /nick <name> renames you, /quit leaves');
      const stalled = new Client(server.port);
      await talker.waitFor('* guest-2 joined');
      stalled.socket.pause(); // reads nothing from now on: its socket buffers will fill

      // Long lines fill the kernel buffers, then the server's, then the bounded outbox
      // (100 lines): a few tens of MB at most, sent until the server gives up on guest-2.
      const notice = '* guest-2 was too slow and was disconnected';
      const line = 'x'.repeat(60_000);
      for (let i = 0; i < 2_000 && !talker.lines.includes(notice); i++) {
        talker.send(line);
        await sleep(5);
      }
      expect(await talker.waitFor(notice)).toBe(true);
      expect(server.room.size).toBe(1);
      stalled.socket.destroy();
      talker.socket.destroy();
      await server.close();
    });
  }, 60_000);

  it('stops on Ctrl-C: tells every member, closes their connections, then returns', async () => {
    const lines: string[] = [];
    const clients: Client[] = [];
    const out = (line: string) => {
      lines.push(line);
      const port = /^chat server on 127\.0\.0\.1:(\d+)/.exec(line)?.[1];
      if (port === undefined) return;
      // Once it listens: three members join, then Ctrl-C.
      for (let i = 0; i < 3; i++) clients.push(new Client(Number(port)));
      const joined = setInterval(() => {
        if (lines.filter((logged) => / joined \(/.test(logged)).length === 3) {
          clearInterval(joined);
          process.emit('SIGINT');
        }
      }, 10);
    };
    // The example's own Ctrl-C listener, added inside main, takes the signal over from run().
    await run(() => chat.main(out, ['--port', '0']));

    expect(lines.at(-1)).toBe('stopped: told 3 members, closed every connection');
    for (const client of clients) {
      await client.waitClosed();
      expect(client.lines.at(-1)).toBe('* the server is shutting down, bye');
    }
    expect(process.listenerCount('SIGINT')).toBe(0);
  }, 60_000);
});
