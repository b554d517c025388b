/**
 * A short, safe description of any value for error messages: `'abc'`, `42`,
 * `null`, `an object`, `function sleep`, `an array of 3`.
 *
 * @example
 * ```ts
 * import { describeValue } from '@coro/loop';
 *
 * console.log(describeValue('soon')); // 'soon' (a string)
 * console.log(describeValue(Number.NaN)); // NaN
 * ```
 */
export function describeValue(value: unknown): string {
  try {
    return describeUnsafely(value);
  } catch {
    return 'an object that cannot be inspected'; // a revoked Proxy, a throwing getter
  }
}

function describeUnsafely(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} (a string)`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `function ${value.name}` : 'an anonymous function';
    default:
      if (Array.isArray(value)) return `an array of ${value.length}`;
      {
        const name = (value as object).constructor?.name;
        return name && name !== 'Object' ? `a ${name}` : 'an object';
      }
  }
}

/**
 * Throws a `TypeError` naming `argument` unless `value` is a function.
 *
 * @example
 * ```ts
 * import { requireFunction } from '@coro/loop';
 *
 * function onShutdown(callback: unknown): void {
 *   requireFunction(callback, 'callback'); // from here on, callback is typed as a function
 *   callback();
 * }
 * try {
 *   onShutdown('later');
 * } catch (error) {
 *   console.log((error as Error).message); // callback must be a function; got "later" (a string)
 * }
 * ```
 */
export function requireFunction(
  value: unknown,
  argument: string,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') {
    throw new TypeError(`${argument} must be a function; got ${describeValue(value)}`);
  }
}

/**
 * Throws unless `value` is a finite number >= 0 (a duration in ms that cannot be
 * negative, such as `VirtualLoop.advance(ms)`). A non-number is a `TypeError`; `NaN`,
 * infinite or negative is a `RangeError`. A delay whose deadline may already be past
 * (`callLater`, `sleep`, timeouts: negative means "now") is checked with `requireTimeMs`.
 *
 * @example
 * ```ts
 * import { requireDelayMs } from '@coro/loop';
 *
 * function backOff(delayMs: unknown): number {
 *   requireDelayMs(delayMs, 'delayMs'); // a TypeError for '250'; a RangeError for -1, NaN, Infinity
 *   return delayMs * 2;
 * }
 * console.log(backOff(250)); // 500
 * try {
 *   backOff(-1);
 * } catch (error) {
 *   console.log((error as Error).message); // delayMs must be a finite number >= 0; got -1
 * }
 * ```
 */
export function requireDelayMs(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(
      `${argument} must be a number of milliseconds; got ${describeValue(value)}`,
    );
  }
  if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
    throw new RangeError(`${argument} must be a finite number >= 0; got ${value}`);
  }
}

/**
 * Throws unless `value` is a finite number: an absolute time on a loop's clock, or a
 * delay in ms where a negative one means "now" (`callLater`, `sleep`, timeouts).
 *
 * @example
 * ```ts
 * import { requireTimeMs, VirtualLoop } from '@coro/loop';
 *
 * function msUntil(loop: VirtualLoop, whenMs: unknown): number {
 *   requireTimeMs(whenMs, 'whenMs'); // a past time is fine (it means "now"); NaN is a RangeError
 *   return Math.max(0, whenMs - loop.time());
 * }
 * console.log(msUntil(new VirtualLoop(), 1_000)); // 1000: the virtual clock starts at 0
 * ```
 */
export function requireTimeMs(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(
      `${argument} must be a number of milliseconds; got ${describeValue(value)}`,
    );
  }
  if (!Number.isFinite(value)) {
    throw new RangeError(`${argument} must be a finite number; got ${value}`);
  }
}

/**
 * Throws unless `value` is an integer >= `min`.
 *
 * @example
 * ```ts
 * import { requireInteger } from '@coro/loop';
 *
 * function connectionPool(size: unknown): { size: number } {
 *   requireInteger(size, 'size', 1); // a TypeError for '4'; a RangeError for 0 or 1.5
 *   return { size };
 * }
 * try {
 *   connectionPool(1.5);
 * } catch (error) {
 *   console.log((error as Error).message); // size must be an integer >= 1; got 1.5
 * }
 * ```
 */
export function requireInteger(
  value: unknown,
  argument: string,
  min: number,
): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`${argument} must be an integer >= ${min}; got ${describeValue(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${argument} must be an integer >= ${min}; got ${value}`);
  }
}
