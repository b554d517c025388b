/*
 * connection: how a QueueExecutor or a worker reaches Redis. `connection` is a Redis URL
 * (`redis://host:6379`, `rediss://` for TLS) or ioredis's options object (host, port,
 * password, tls, sentinels + name for Sentinel…). BullMQ makes and owns its own clients
 * from it; the cancel channel gets one more client of the same kind.
 */

import { describeValue } from '@coro/loop';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Where Redis is: a URL, or ioredis's options (`{ host, port, password, tls }`, or
 * `{ sentinels: [{ host, port }], name: 'mymaster' }` for Sentinel).
 *
 * @example
 * ```ts
 * import type { RedisConnection } from '@coro/distributed';
 *
 * const local: RedisConnection = 'redis://127.0.0.1:6379';
 * const sentinel: RedisConnection = { sentinels: [{ host: 'sentinel-1', port: 26379 }], name: 'jobs' };
 * ```
 */
export type RedisConnection = string | RedisOptions;

/** @internal Checks `connection` and returns what BullMQ's `connection` option takes. */
export function bullConnection(connection: unknown, argument: string): Record<string, unknown> {
  if (typeof connection === 'string') {
    let url: URL;
    try {
      url = new URL(connection);
    } catch {
      throw new TypeError(
        `${argument} must be a redis:// URL or an options object; got ${describeValue(connection)}`,
      );
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new TypeError(
        `${argument} must be a redis:// or rediss:// URL; got ${describeValue(connection)}`,
      );
    }
    return { url: connection };
  }
  if (typeof connection === 'object' && connection !== null && !Array.isArray(connection)) {
    return { ...(connection as Record<string, unknown>) };
  }
  throw new TypeError(
    `${argument} must be a redis:// URL or an options object; got ${describeValue(connection)}`,
  );
}

/** @internal A client of its own (the cancel channel), to the same server as `connection`. */
export function newRedisClient(connection: Record<string, unknown>): Redis {
  const { url, ...options } = connection as { url?: string } & RedisOptions;
  const settings: RedisOptions = { maxRetriesPerRequest: null, ...options };
  return typeof url === 'string' ? new Redis(url, settings) : new Redis(settings);
}

/** @internal Where `connection` points, for error messages (no password). */
export function describeConnection(connection: Record<string, unknown>): string {
  if (typeof connection.url === 'string') {
    const url = new URL(connection.url);
    return `${url.protocol}//${url.host}`;
  }
  return `redis at ${connection.host ?? '127.0.0.1'}:${connection.port ?? 6379}`;
}
