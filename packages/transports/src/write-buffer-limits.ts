/*
 * write-buffer-limits: asyncio's rule for a transport's high and low water marks,
 * written once for every writing transport of this package (internal).
 *
 *   - neither given: high 64 KiB, low high / 4;
 *   - only low given: high = 4 × low; only high given: low = high / 4 (rounded down);
 *   - both must be integers with 0 <= low <= high, else RangeError (TypeError for a
 *     non-number), naming the argument.
 */

import { describeValue } from '@coro/loop';
import type { WriteBufferLimits } from './transport.js';

/** The default high-water mark, in bytes (asyncio's). */
export const DEFAULT_HIGH_WATER = 64 * 1024;

/** @internal Validates `limits` and fills in the defaults (module header). */
export function resolveWriteBufferLimits(limits: WriteBufferLimits | undefined): {
  high: number;
  low: number;
} {
  if (limits === undefined) return { high: DEFAULT_HIGH_WATER, low: DEFAULT_HIGH_WATER / 4 };
  if (typeof limits !== 'object' || limits === null) {
    throw new TypeError(`limits must be an object; got ${describeValue(limits)}`);
  }
  const givenHigh = limits.high;
  const givenLow = limits.low;
  if (givenHigh !== undefined) requireByteCount(givenHigh, 'limits.high');
  if (givenLow !== undefined) requireByteCount(givenLow, 'limits.low');
  const high = givenHigh ?? (givenLow === undefined ? DEFAULT_HIGH_WATER : 4 * givenLow);
  const low = givenLow ?? Math.floor(high / 4);
  if (low > high) {
    throw new RangeError(`limits.low must be <= limits.high; got low ${low}, high ${high}`);
  }
  return { high, low };
}

function requireByteCount(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`${argument} must be an integer >= 0; got ${describeValue(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${argument} must be an integer >= 0; got ${value}`);
  }
}
