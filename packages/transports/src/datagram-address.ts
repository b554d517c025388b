/*
 * datagram-address: reading the two spellings of a UDP address, asyncio's
 * `(host, port)` pair and Node's `{ address, port }` object (internal).
 *
 *   - host is a non-empty string (an IP literal or a name to resolve), port an
 *     integer in 0..65535 (0 only where binding: "any free port").
 *   - Two addresses are the same when host and port are equal after reading; a
 *     name and the IP it resolves to are not (asyncio compares them as given).
 */

import { describeValue } from '@coro/loop';
import type { DatagramAddress } from './transport.js';

/** @internal A UDP address after reading: a host (IP or name) and a port. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * @internal Reads `value` as a {@link DatagramAddress}; `minPort` is 0 where port
 * 0 means "any free port" (a local address), else 1.
 */
export function readDatagramAddress(value: unknown, argument: string, minPort: 0 | 1): HostPort {
  let host: unknown;
  let port: unknown;
  if (Array.isArray(value) && value.length === 2) {
    [host, port] = value as unknown[];
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    host = (value as { address?: unknown }).address;
    port = (value as { port?: unknown }).port;
  } else {
    throw new TypeError(
      `${argument} must be { address, port } or [host, port]; got ${describeValue(value)}`,
    );
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`${argument} host must be a non-empty string; got ${describeValue(host)}`);
  }
  if (typeof port !== 'number') {
    throw new TypeError(
      `${argument} port must be an integer in ${minPort}..65535; got ${describeValue(port)}`,
    );
  }
  if (!Number.isInteger(port) || port < minPort || port > 65_535) {
    throw new RangeError(`${argument} port must be an integer in ${minPort}..65535; got ${port}`);
  }
  return { host, port };
}

/** @internal `host:port`, with brackets around an IPv6 host. */
export function formatHostPort(address: HostPort): string {
  return address.host.includes(':')
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}
