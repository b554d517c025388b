/*
 * arguments: validation shared by the functions that open connections and servers
 * (internal). Messages follow STYLE §5: `<argument> must be <expectation>; got <value>`.
 */

import { isIP } from 'node:net';
import { readSignal } from '@coro/futures';
import { describeValue, type Loop } from '@coro/loop';

/** @internal */
export function requireFactory(factory: unknown): asserts factory is () => unknown {
  if (typeof factory !== 'function') {
    throw new TypeError(`protocolFactory must be a function; got ${describeValue(factory)}`);
  }
}

/**
 * @internal Throws a TypeError unless `protocol` is an object (a protocol): the one
 * check of every transport's constructor and setProtocol(), and of startTls.
 */
export function requireProtocol(
  protocol: unknown,
  argument = 'protocol',
): asserts protocol is object {
  if (typeof protocol !== 'object' || protocol === null) {
    throw new TypeError(`${argument} must be a protocol object; got ${describeValue(protocol)}`);
  }
}

/** @internal A host to connect to: a non-empty string. */
export function requireHost(host: unknown, argument = 'host'): asserts host is string {
  if (typeof host !== 'string') {
    throw new TypeError(
      `${argument} must be a host name or address string; got ${describeValue(host)}`,
    );
  }
  if (host.length === 0) {
    throw new RangeError(`${argument} must be a host name or address, not empty; got ''`);
  }
}

/** @internal A TCP port: an integer in 0..65535. */
export function requirePort(port: unknown, argument = 'port'): asserts port is number {
  if (typeof port !== 'number') {
    throw new TypeError(
      `${argument} must be an integer from 0 to 65535; got ${describeValue(port)}`,
    );
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`${argument} must be an integer from 0 to 65535; got ${port}`);
  }
}

/** @internal A filesystem path (a Unix socket). */
export function requirePath(path: unknown, argument = 'path'): asserts path is string {
  if (typeof path !== 'string') {
    throw new TypeError(`${argument} must be a path string; got ${describeValue(path)}`);
  }
  if (path.length === 0) throw new RangeError(`${argument} must be a non-empty path; got ''`);
}

/** @internal A duration in ms, > 0 and finite, or undefined. */
export function readTimeout(value: unknown, argument: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') {
    throw new TypeError(
      `${argument} must be a number of milliseconds; got ${describeValue(value)}`,
    );
  }
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${argument} must be a finite number > 0; got ${value}`);
  }
  return value;
}

/** @internal Validates the options object and returns it with its signal checked. */
export function readOptions<O extends object>(
  options: O | undefined,
): { options: O; signal: AbortSignal | undefined; loop: Loop | undefined } {
  const signal = readSignal(options as { signal?: AbortSignal } | undefined);
  const resolved = (options ?? {}) as O & { loop?: Loop };
  return { options: resolved, signal, loop: resolved.loop };
}

/** @internal True if `host` is an IP address literal (no SNI for those). */
export function isAddress(host: string): boolean {
  return isIP(host) !== 0;
}
