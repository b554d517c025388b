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
 *   server.ts      startServer, the shared state, idle clients, and a clean close()
 *
 * Run it with `pnpm example mini-redis --port 6380`, then talk to it with redis-cli
 * (`redis-cli -p 6380 set hello world`) or benchmark it with redis-benchmark. It prints
 * `ready` once listening, and stops cleanly on Ctrl-C (SIGINT) or SIGTERM: the
 * connections get `--shutdown-timeout` seconds to flush, then are aborted.
 */

import { Event } from 'coro';
import { type Output, portOption, readOptions, UsageError } from '../../example.js';
import { MiniRedis } from './server.js';

export const name = 'mini-redis';
export const title = 'A Redis server: RESP2, pipelining, expiry, pub/sub through queues';
export const usage =
  '[--port <n>] [--host <address>] [--timeout <seconds>] [--client-query-buffer-limit <bytes, e.g. 64mb>] [--shutdown-timeout <seconds>]  (defaults: 127.0.0.1:6380, 0 = no idle timeout, 1gb, 10)';

export async function main(out: Output = console.log, args: readonly string[] = []): Promise<void> {
  const options = readOptions(args, {
    port: '6380',
    host: '127.0.0.1',
    timeout: '0',
    'client-query-buffer-limit': '1gb',
    'shutdown-timeout': '10',
  });
  const shutdownSeconds = secondsOption('shutdown-timeout', options['shutdown-timeout']);
  const settings = {
    host: options.host,
    port: portOption(options.port),
    idleTimeoutMs: secondsOption('timeout', options.timeout) * 1000,
    queryBufferLimit: memoryOption(
      'client-query-buffer-limit',
      options['client-query-buffer-limit'],
      1024 * 1024, // redis's minimum: 1mb
    ),
    shutdownTimeoutMs: shutdownSeconds * 1000,
  };
  // A signal handler runs outside any task; it sets an Event that main() waits on.
  // Installed before `ready` is printed: whoever waits for that line may signal at once.
  const stop = new Event();
  const onSignal = (signal: NodeJS.Signals) => {
    out(`${signal}: closing the connections`);
    stop.set();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const redis = await MiniRedis.start(settings);
    out(
      `mini-redis listening on ${options.host}:${redis.port}; try redis-cli -p ${redis.port} ping`,
    );
    out('ready');
    try {
      await stop.wait();
    } finally {
      if (await redis.close()) {
        out(`connections still open after the ${shutdownSeconds} s shutdown timeout: aborted`);
      }
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  out('mini-redis stopped');
}

/** A whole number of seconds, 0 or more (redis's `timeout` and `shutdown-timeout`). */
function secondsOption(option: string, value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--${option} must be a whole number of seconds >= 0; got ${value}`);
  }
  return Number(value);
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** A size as redis.conf writes one: `1048576`, `100mb`, `1gb` (k = 1000, kb = 1024). */
function memoryOption(option: string, value: string, minimum: number): number {
  const match = /^(\d+)([a-z]*)$/i.exec(value);
  const unit = match === null ? undefined : UNITS[match[2]!.toLowerCase()];
  const bytes = unit === undefined ? Number.NaN : Number(match![1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes < minimum) {
    throw new UsageError(
      `--${option} must be a size of at least ${minimum} bytes (e.g. 64mb, 1gb); got ${value}`,
    );
  }
  return bytes;
}
