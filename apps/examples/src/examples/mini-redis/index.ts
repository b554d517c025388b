/*
 * mini-redis: a Redis server in a few small files, on coro's streams, queues and sync.
 *
 *   resp.ts        the protocol (RESP2): an incremental parser and the reply encoders
 *   store.ts       the keyspace: strings with expiry (lazy, plus a periodic sweep)
 *   glob.ts        KEYS patterns
 *   commands.ts    PING, ECHO, GET, SET (EX/PX/NX/XX), DEL, EXISTS, INCR, EXPIRE, TTL,
 *                  KEYS, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, QUIT and a few more
 *   pubsub.ts      channels; each subscriber gets messages through a bounded Queue
 *   connection.ts  one client: read in bulk, run every command, write replies at once
 *   server.ts      startServer, the shared state, and a clean close()
 *
 * Run it with `pnpm example mini-redis --port 6380`, then talk to it with redis-cli
 * (`redis-cli -p 6380 set hello world`) or benchmark it with redis-benchmark. It prints
 * `ready` once listening, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
 */

import { Event } from 'coro';
import { type Output, portOption, readOptions } from '../../example.js';
import { MiniRedis } from './server.js';

export const name = 'mini-redis';
export const title = 'A Redis server: RESP2, pipelining, expiry, pub/sub through queues';
export const usage = '[--port <n>] [--host <address>]  (default 127.0.0.1:6380)';

export async function main(out: Output = console.log, args: readonly string[] = []): Promise<void> {
  const options = readOptions(args, { port: '6380', host: '127.0.0.1' });
  // A signal handler runs outside any task; it sets an Event that main() waits on.
  // Installed before `ready` is printed: whoever waits for that line may signal at once.
  const stop = new Event();
  const onSignal = (signal: NodeJS.Signals) => {
    out(`${signal}: closing the connections`);
    stop.set();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const redis = await MiniRedis.start({ host: options.host, port: portOption(options.port) });
    out(
      `mini-redis listening on ${options.host}:${redis.port}; try redis-cli -p ${redis.port} ping`,
    );
    out('ready');
    try {
      await stop.wait();
    } finally {
      await redis.close();
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  out('mini-redis stopped');
}
