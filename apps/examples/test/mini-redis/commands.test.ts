import { Queue } from 'coro';
import { describe, expect, it } from 'vitest';
import { execute, type Session } from '../../src/examples/mini-redis/commands.js';
import { PubSub, type Subscriber } from '../../src/examples/mini-redis/pubsub.js';
import { Store } from '../../src/examples/mini-redis/store.js';

/** A session on a hand-moved clock, as a connection would have; `send` runs inline commands. */
function session(pubsub = new PubSub(), clock = { now: 0 }) {
  const subscriber: Subscriber & { slow: boolean } = {
    channels: new Set(),
    outbox: new Queue<string>({ maxsize: 2 }),
    slow: false,
    tooSlow() {
      this.slow = true;
    },
  };
  const state: Session = {
    store: new Store(() => clock.now),
    pubsub,
    subscriber,
    quit: false,
    config: { save: '', timeout: '0' },
  };
  const send = (line: string) => execute(state, line.split(' '));
  return { state, subscriber, clock, send };
}

describe('execute', () => {
  it('answers PING, ECHO, SET and GET as redis does', () => {
    const { send } = session();
    expect(send('PING')).toBe('+PONG\r\n');
    expect(send('ping hi')).toBe('$2\r\nhi\r\n');
    expect(send('ECHO hello')).toBe('$5\r\nhello\r\n');
    expect(send('SET k v')).toBe('+OK\r\n');
    expect(send('GET k')).toBe('$1\r\nv\r\n');
    expect(send('GET missing')).toBe('$-1\r\n');
    expect(send('Get k')).toBe('$1\r\nv\r\n'); // command names in any case
  });

  it('applies SET NX, XX, EX and PX', () => {
    const { send, clock } = session();
    expect(send('SET k 1 XX')).toBe('$-1\r\n');
    expect(send('SET k 1 NX')).toBe('+OK\r\n');
    expect(send('SET k 2 NX')).toBe('$-1\r\n');
    expect(send('SET k 3 xx px 1500')).toBe('+OK\r\n');
    expect(send('PTTL k')).toBe(':1500\r\n');
    expect(send('TTL k')).toBe(':2\r\n'); // 1.5 s rounds to 2, as redis rounds
    expect(send('SET e v EX 10')).toBe('+OK\r\n');
    clock.now = 10_000;
    expect(send('GET e')).toBe('$-1\r\n');
  });

  it("rejects bad SET options with redis's errors", () => {
    const { send } = session();
    expect(send('SET k v NX XX')).toBe('-ERR syntax error\r\n');
    expect(send('SET k v EX 1 PX 1')).toBe('-ERR syntax error\r\n');
    expect(send('SET k v EX')).toBe('-ERR syntax error\r\n');
    expect(send('SET k v EX ten')).toBe('-ERR value is not an integer or out of range\r\n');
    expect(send('SET k v EX 0')).toBe("-ERR invalid expire time in 'set' command\r\n");
  });

  it('counts with DEL and EXISTS, increments with INCR', () => {
    const { send } = session();
    send('SET a 1');
    send('SET b 2');
    expect(send('EXISTS a b c a')).toBe(':3\r\n');
    expect(send('INCR a')).toBe(':2\r\n');
    expect(send('INCR new')).toBe(':1\r\n');
    expect(send('DEL a b c')).toBe(':2\r\n');
    send('SET text abc');
    expect(send('INCR text')).toBe('-ERR value is not an integer or out of range\r\n');
    send('SET big 9223372036854775807');
    expect(send('INCR big')).toBe('-ERR increment or decrement would overflow\r\n');
  });

  it('sets and reads lifetimes with EXPIRE and TTL', () => {
    const { send } = session();
    expect(send('TTL k')).toBe(':-2\r\n');
    send('SET k v');
    expect(send('TTL k')).toBe(':-1\r\n');
    expect(send('EXPIRE k 100')).toBe(':1\r\n');
    expect(send('TTL k')).toBe(':100\r\n');
    expect(send('EXPIRE missing 100')).toBe(':0\r\n');
    expect(send('EXPIRE k -1')).toBe(':1\r\n');
    expect(send('EXISTS k')).toBe(':0\r\n');
  });

  it('lists keys by pattern', () => {
    const { send } = session();
    send('SET user:1 a');
    send('SET user:2 b');
    send('SET post:1 c');
    expect(send('KEYS user:?')).toBe('*2\r\n$6\r\nuser:1\r\n$6\r\nuser:2\r\n');
    expect(send('KEYS nothing*')).toBe('*0\r\n');
  });

  it('reports unknown commands and wrong argument counts', () => {
    const { send } = session();
    expect(send('FOO a b')).toBe(
      "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n",
    );
    expect(send('GET')).toBe("-ERR wrong number of arguments for 'get' command\r\n");
    expect(send('PING a b')).toBe("-ERR wrong number of arguments for 'ping' command\r\n");
  });

  it('delivers PUBLISH to subscribers through their outboxes and counts them', () => {
    const pubsub = new PubSub();
    const alice = session(pubsub);
    const bob = session(pubsub);
    expect(alice.send('SUBSCRIBE news')).toBe('*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n');
    expect(bob.send('PUBLISH news hi')).toBe(':1\r\n');
    expect(bob.send('PUBLISH other hi')).toBe(':0\r\n');
    expect(alice.subscriber.outbox.getNowait()).toBe(
      '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n',
    );
  });

  it('allows only pub/sub commands and PING while subscribed', () => {
    const { send } = session();
    send('SUBSCRIBE a b');
    expect(send('GET k')).toMatch(/^-ERR Can't execute 'get': only \(P\|S\)SUBSCRIBE/);
    expect(send('PING')).toBe('*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    expect(send('UNSUBSCRIBE')).toBe(
      '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:0\r\n',
    );
    expect(send('UNSUBSCRIBE')).toBe('*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
    expect(send('GET k')).toBe('$-1\r\n');
  });

  it('drops a subscriber whose outbox is full, and does not count it', () => {
    const pubsub = new PubSub();
    const slow = session(pubsub);
    const publisher = session(pubsub);
    slow.send('SUBSCRIBE news');
    expect(publisher.send('PUBLISH news 1')).toBe(':1\r\n');
    expect(publisher.send('PUBLISH news 2')).toBe(':1\r\n');
    expect(publisher.send('PUBLISH news 3')).toBe(':0\r\n'); // maxsize 2: full
    expect(slow.subscriber.slow).toBe(true);
    expect(pubsub.subscribers('news')).toBe(0);
  });

  it('marks the session to close on QUIT', () => {
    const { send, state } = session();
    expect(send('QUIT')).toBe('+OK\r\n');
    expect(state.quit).toBe(true);
  });
});
