// mini-redis end to end: the example runs as a real process (as `pnpm example mini-redis`
// runs it) and the real redis-cli talks to it over 127.0.0.1.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExampleProcess } from '../example-process.js';

const run = promisify(execFile);

// redis-cli is a required tool (Debian's redis-tools; CI installs it): fail, never skip.
const cliCheck = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' });
if (cliCheck.error !== undefined || cliCheck.status !== 0) {
  throw new Error(
    'the mini-redis tests need redis-cli (Debian package redis-tools: apt-get install redis-tools)',
  );
}

let server: ExampleProcess;
let port: number;

/** `redis-cli -p <port> args...`; resolves to its stdout without the final newlines. */
async function cli(...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 20_000 });
  return stdout.replace(/\n+$/, ''); // an error reply ends with an empty line
}

/** A raw TCP client: everything it received, and whether the server closed it. */
class RawClient {
  readonly socket: Socket;
  received = '';
  closed = false;
  #check: (() => void) | null = null;

  constructor(serverPort = port) {
    this.socket = connect(serverPort, '127.0.0.1');
    this.socket.on('data', (data: Buffer) => {
      this.received += data.toString('latin1');
      this.#check?.();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.#check?.();
    });
    this.socket.on('error', () => {}); // a reset shows as `closed`
  }

  /** Waits until `done(received)` holds or the connection closes; returns what came so far. */
  async until(done: (received: string) => boolean): Promise<string> {
    while (!done(this.received) && !this.closed) {
      await new Promise<void>((resolve) => {
        this.#check = resolve;
      });
    }
    this.#check = null;
    return this.received;
  }

  /** Forgets what was received so far. */
  clear(): void {
    this.received = '';
  }
}

/** `args` as a RESP array of bulk strings, as client libraries send commands. */
function encode(...args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

beforeAll(async () => {
  server = new ExampleProcess('mini-redis', ['--port', '0']);
  const listening = await server.waitForLine(/^mini-redis listening on 127\.0\.0\.1:\d+/, 60_000);
  port = Number(/:(\d+)/.exec(listening)![1]);
  await server.waitForLine(/^ready$/);
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
});

describe('mini-redis, driven by redis-cli', () => {
  it('answers PING, ECHO, SET and GET', async () => {
    expect(await cli('PING')).toBe('PONG');
    expect(await cli('ECHO', 'hello world')).toBe('hello world');
    expect(await cli('SET', 'greeting', 'hola')).toBe('OK');
    expect(await cli('GET', 'greeting')).toBe('hola');
    expect(await cli('GET', 'nothing')).toBe('');
  });

  it('applies SET NX/XX, DEL, EXISTS and INCR', async () => {
    expect(await cli('SET', 'nx-key', '1', 'NX')).toBe('OK');
    expect(await cli('SET', 'nx-key', '2', 'NX')).toBe('');
    expect(await cli('SET', 'nx-key', '3', 'XX')).toBe('OK');
    expect(await cli('INCR', 'nx-key')).toBe('4');
    expect(await cli('INCR', 'counter')).toBe('1');
    expect(await cli('EXISTS', 'nx-key', 'counter', 'missing')).toBe('2');
    expect(await cli('DEL', 'nx-key', 'counter', 'missing')).toBe('2');
    expect(await cli('EXISTS', 'nx-key')).toBe('0');
  });

  it('expires keys: SET EX/PX, EXPIRE and TTL', async () => {
    expect(await cli('SET', 'session', 'x', 'EX', '100')).toBe('OK');
    expect(Number(await cli('TTL', 'session'))).toBeGreaterThan(95);
    expect(await cli('SET', 'flash', 'x', 'PX', '1')).toBe('OK');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await cli('GET', 'flash')).toBe('');
    expect(await cli('TTL', 'flash')).toBe('-2');
    expect(await cli('SET', 'kept', 'x')).toBe('OK');
    expect(await cli('TTL', 'kept')).toBe('-1');
    expect(await cli('EXPIRE', 'kept', '50')).toBe('1');
    expect(await cli('TTL', 'kept')).toBe('50');
  });

  it('lists keys matching glob patterns', async () => {
    for (const key of ['user:1', 'user:2', 'user:10', 'post:1']) await cli('SET', key, 'v');
    expect((await cli('KEYS', 'user:?')).split('\n').sort()).toEqual(['user:1', 'user:2']);
    expect((await cli('KEYS', 'user:*')).split('\n').sort()).toEqual([
      'user:1',
      'user:10',
      'user:2',
    ]);
    expect(await cli('KEYS', '[p]ost:[0-9]')).toBe('post:1');
  });

  it("replies with redis's errors to bad commands", async () => {
    expect(await cli('NOSUCH', 'a')).toBe(
      "ERR unknown command 'NOSUCH', with args beginning with: 'a' ",
    );
    expect(await cli('GET')).toBe("ERR wrong number of arguments for 'get' command");
    expect(await cli('SET', 'k', 'v', 'EX', 'soon')).toBe(
      'ERR value is not an integer or out of range',
    );
  });

  it('runs a pipeline of 10,000 commands sent with redis-cli --pipe', async () => {
    let input = '';
    for (let i = 0; i < 10_000; i++) {
      const key = `pipe:${i}`;
      const value = String(i);
      input += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
    }
    const child = spawn('redis-cli', ['-p', String(port), '--pipe'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    child.stdin.end(input);
    const [code] = await once(child, 'exit');

    expect(output).toContain('errors: 0, replies: 10000');
    expect(code).toBe(0);
    expect(await cli('GET', 'pipe:9999')).toBe('9999');
  });

  it('answers pipelined and inline commands sent in one write, in order', async () => {
    const client = new RawClient();
    client.socket.write(
      'PING\r\n*2\r\n$4\r\nECHO\r\n$3\r\none\r\nECHO "two words"\r\nSET inline 1\r\nINCR inline\r\n',
    );
    const received = await client.until((text) => text.endsWith(':2\r\n'));
    client.socket.destroy();

    expect(received).toBe('+PONG\r\n$3\r\none\r\n$9\r\ntwo words\r\n+OK\r\n:2\r\n');
  });

  it('delivers PUBLISH to a redis-cli SUBSCRIBE, and counts the subscribers', async () => {
    const subscriber = spawn('redis-cli', ['-p', String(port), 'SUBSCRIBE', 'news'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (output.includes(text)) resolve();
          else subscriber.stdout.once('data', check);
        };
        check();
      });
    subscriber.stdout.setEncoding('utf8').on('data', (text: string) => {
      output += text;
    });
    try {
      await seen('subscribe\nnews\n1\n'); // the confirmation: now it is subscribed
      expect(await cli('PUBLISH', 'news', 'hello subscribers')).toBe('1');
      expect(await cli('PUBLISH', 'weather', 'nobody listens')).toBe('0');
      await seen('hello subscribers');
      expect(output).toBe('subscribe\nnews\n1\nmessage\nnews\nhello subscribers\n');
    } finally {
      subscriber.kill();
      await once(subscriber, 'exit');
    }
  });

  it('keeps subscribed replies and messages in order on one connection', async () => {
    const client = new RawClient();
    client.socket.write('SUBSCRIBE a b\r\n');
    await client.until((text) => text.endsWith(':2\r\n'));
    client.clear();
    expect(await cli('PUBLISH', 'a', 'first')).toBe('1');
    client.socket.write('GET k\r\nPING\r\nUNSUBSCRIBE a\r\n');
    const received = await client.until((text) => text.includes('unsubscribe'));
    client.socket.destroy();

    expect(received).toBe(
      '*3\r\n$7\r\nmessage\r\n$1\r\na\r\n$5\r\nfirst\r\n' +
        "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n" +
        '*2\r\n$4\r\npong\r\n$0\r\n\r\n' +
        '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n',
    );
  });

  it('skips a subscriber that is closing when publishing, and keeps the publisher connected', async () => {
    // A subscriber that stopped reading: its connection's writer waits on drain() with
    // megabytes of messages queued, so after its QUIT it is closing (its outbox shut
    // down) but still subscribed until those messages are written.
    const subscriber = new RawClient();
    subscriber.socket.write('SUBSCRIBE closing-channel\r\n');
    await subscriber.until((text) => text.endsWith(':1\r\n'));
    subscriber.socket.pause();
    const publisher = new RawClient();
    const big = 'x'.repeat(1024 * 1024);
    let command = '';
    for (let i = 0; i < 32; i++) command += encode('PUBLISH', 'closing-channel', big);
    publisher.socket.write(command);
    expect(await publisher.until((text) => text === ':1\r\n'.repeat(32))).toBe(':1\r\n'.repeat(32));
    subscriber.socket.write('QUIT\r\n');

    // Publish until the subscriber no longer counts: once its QUIT is read, it is skipped.
    let reply = ':1\r\n';
    while (reply === ':1\r\n' && !publisher.closed) {
      publisher.clear();
      publisher.socket.write('PUBLISH closing-channel hello\r\n');
      reply = await publisher.until((text) => text.endsWith('\r\n'));
    }
    subscriber.socket.destroy();

    expect({ reply, closed: publisher.closed }).toEqual({ reply: ':0\r\n', closed: false });
    publisher.clear();
    publisher.socket.write('PING\r\n');
    expect(await publisher.until((text) => text.endsWith('\r\n'))).toBe('+PONG\r\n');
    publisher.socket.destroy();
  });

  it('answers malformed RESP with a protocol error and closes only that connection', async () => {
    const bystander = new RawClient();
    bystander.socket.write('SET bystander here\r\n');
    await bystander.until((text) => text === '+OK\r\n');
    bystander.clear();

    for (const [garbage, message] of [
      ['*abc\r\n', 'invalid multibulk length'],
      ['*1\r\n$-5\r\n', 'invalid bulk length'],
      ['*1\r\nGET\r\n', "expected '$', got 'G'"],
      ['SET "unclosed\r\n', 'unbalanced quotes in request'],
    ]) {
      const client = new RawClient();
      client.socket.write(garbage!);
      expect(await client.until(() => false)).toBe(`-ERR Protocol error: ${message}\r\n`);
      expect(client.closed).toBe(true);
    }

    bystander.socket.write('GET bystander\r\n'); // the other client never noticed
    expect(await bystander.until((text) => text.endsWith('here\r\n'))).toBe('$4\r\nhere\r\n');
    expect(bystander.closed).toBe(false);
    bystander.socket.destroy();
    expect(await cli('PING')).toBe('PONG');
  });

  it("replaces CR and LF in an error reply that quotes the client's text, as redis does", async () => {
    const client = new RawClient();
    // A command name with CRLF inside: echoed as is, it would inject a `+OK` reply.
    client.socket.write('*2\r\n$8\r\nfoo\r\n+OK\r\n$1\r\na\r\nPING\r\n');
    const received = await client.until((text) => text.endsWith('+PONG\r\n'));
    client.socket.destroy();

    expect(received).toBe(
      "-ERR unknown command 'foo  +OK', with args beginning with: 'a' \r\n+PONG\r\n",
    );
  });

  it('closes the connection after QUIT, skipping what was pipelined behind it', async () => {
    const client = new RawClient();
    client.socket.write('PING\r\nQUIT\r\nPING\r\n');
    expect(await client.until(() => false)).toBe('+PONG\r\n+OK\r\n');
    expect(client.closed).toBe(true);
  });
});

describe('mini-redis, stopped by a signal', () => {
  it('closes its clients and exits 0 on SIGTERM', async () => {
    const own = new ExampleProcess('mini-redis', ['--port', '0']);
    try {
      const listening = await own.waitForLine(/^mini-redis listening on 127\.0\.0\.1:\d+/, 60_000);
      await own.waitForLine(/^ready$/);
      const socket = connect(Number(/:(\d+)/.exec(listening)![1]), '127.0.0.1');
      socket.on('error', () => {}); // a failing server would reset it: the assertions say so
      await once(socket, 'connect');
      const closedByServer = once(socket, 'close');

      const { code, signal } = await own.stop('SIGTERM');

      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(own.lines.slice(-2)).toEqual([
        'SIGTERM: closing the connections',
        'mini-redis stopped',
      ]);
      await closedByServer;
    } finally {
      await own.stop('SIGKILL');
    }
  }, 90_000);

  it('aborts a client that stopped reading once the shutdown timeout passes, and exits 0', async () => {
    const own = new ExampleProcess('mini-redis', ['--port', '0', '--shutdown-timeout', '1']);
    try {
      const listening = await own.waitForLine(/^mini-redis listening on 127\.0\.0\.1:\d+/, 60_000);
      await own.waitForLine(/^ready$/);
      const client = new RawClient(Number(/:(\d+)/.exec(listening)![1]));
      client.socket.write(encode('SET', 'big', 'x'.repeat(1024 * 1024)));
      await client.until((text) => text === '+OK\r\n');
      // 64 MB of replies asked for; the client reads the first bytes, then stops reading:
      // the server's connection is left waiting in drain() with megabytes unsent.
      client.socket.write('GET big\r\n'.repeat(64));
      await client.until((text) => text.length > 4);
      client.socket.pause();

      const exited = await Promise.race([
        own.stop('SIGTERM'),
        new Promise<'still running'>((resolve) => setTimeout(resolve, 30_000, 'still running')),
      ]);

      expect(exited).toEqual({ code: 0, signal: null });
      expect(own.lines.slice(-3)).toEqual([
        'SIGTERM: closing the connections',
        'connections still open after the 1 s shutdown timeout: aborted',
        'mini-redis stopped',
      ]);
      // The client sees its connection end once it reads again (a paused socket holds
      // back its close); the megabytes it still receives are dropped unread.
      client.socket.removeAllListeners('data').resume();
      await client.until(() => false);
      expect(client.closed).toBe(true);
    } finally {
      await own.stop('SIGKILL');
    }
  }, 90_000);
});

describe('mini-redis, with an idle timeout and a query buffer limit', () => {
  let own: ExampleProcess;
  let ownPort: number;

  beforeAll(async () => {
    own = new ExampleProcess('mini-redis', [
      '--port',
      '0',
      '--timeout',
      '1',
      '--client-query-buffer-limit',
      '1mb',
    ]);
    const listening = await own.waitForLine(/^mini-redis listening on 127\.0\.0\.1:\d+/, 60_000);
    ownPort = Number(/:(\d+)/.exec(listening)![1]);
    await own.waitForLine(/^ready$/);
  }, 90_000);

  afterAll(async () => {
    await own?.stop('SIGKILL');
  });

  it('reports both settings to CONFIG GET, as redis-server names them', async () => {
    const { stdout } = await run('redis-cli', [
      '-p',
      String(ownPort),
      'CONFIG',
      'GET',
      'timeout',
      'client-query-buffer-limit',
    ]);
    expect(stdout.trim().split('\n')).toEqual([
      'timeout',
      '1',
      'client-query-buffer-limit',
      '1048576',
    ]);
  });

  it('closes a connection that sent nothing for longer than the timeout', async () => {
    const client = new RawClient(ownPort);
    client.socket.write('PING\r\n');
    await client.until((text) => text === '+PONG\r\n');

    expect(await client.until(() => false)).toBe('+PONG\r\n'); // waits for the close
    expect(client.closed).toBe(true);
  });

  it('never closes a subscribed connection for being idle, as redis', async () => {
    const subscriber = new RawClient(ownPort);
    subscriber.socket.write('SUBSCRIBE quiet\r\n');
    await subscriber.until((text) => text.endsWith(':1\r\n'));
    const idle = new RawClient(ownPort);
    idle.socket.write('PING\r\n');
    await idle.until(() => false); // an unsubscribed client is closed after the timeout...

    expect(subscriber.closed).toBe(false); // ...but not the subscriber, connected as long
    const { stdout } = await run('redis-cli', ['-p', String(ownPort), 'PUBLISH', 'quiet', 'hi']);
    expect(stdout.trim()).toBe('1');
    subscriber.socket.destroy();
  });

  it('answers an error and closes a connection whose incomplete command passes the limit', async () => {
    const client = new RawClient(ownPort);
    // A 2 MB value announced and half sent: 1 MB held for a command not complete yet.
    client.socket.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${2 * 1024 * 1024}\r\n`);
    client.socket.write('x'.repeat(1024 * 1024 + 1));

    expect(await client.until(() => false)).toBe(
      '-ERR query buffer limit exceeded (1048576 bytes)\r\n',
    );
    expect(client.closed).toBe(true);
  });

  it('accepts a command below the limit', async () => {
    const client = new RawClient(ownPort);
    client.socket.write(encode('SET', 'large', 'y'.repeat(1000 * 1000)));

    expect(await client.until((text) => text.endsWith('\r\n'))).toBe('+OK\r\n');
    client.socket.destroy();
  });
});
