/*
 * json-value: what may travel in a job. Arguments and results cross Redis as JSON, so a
 * value is checked before it leaves: anything JSON would drop, change or refuse is a
 * TypeError that names where it sits (`args[1].when`) and what to send instead, raised
 * at submit (arguments) or by the worker (results), never a silent change later.
 */

import { describeValue } from '@coro/loop';

/**
 * A value that survives `JSON.stringify` then `JSON.parse` unchanged: null, a boolean, a
 * finite number, a string, an array of these or a plain object of these.
 *
 * @example
 * ```ts
 * import type { JsonValue } from '@coro/distributed';
 *
 * const order: JsonValue = { id: 'A-17', lines: [{ sku: 'tea', quantity: 2 }], paid: true };
 * ```
 */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Throws a TypeError naming the first part of `value` that JSON would not carry as it is
 * (functions, undefined, symbols, BigInt, NaN and ±Infinity, Dates, Maps, Sets, class
 * instances, typed arrays and Buffers, sparse arrays, cycles); `where` names the value
 * (`args[0]`).
 *
 * @internal
 */
export function requireJson(value: unknown, where: string): void {
  if (isJsonScalar(value)) return;
  const problem = findProblem(value, where, []);
  if (problem !== null) throw new TypeError(problem);
}

function findProblem(value: unknown, where: string, parents: object[]): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value)
        ? null
        : `${where} must be a JSON value; got ${value} (JSON turns it into null)`;
    case 'undefined':
      return `${where} must be a JSON value; got undefined (JSON drops it or turns it into null; send null)`;
    case 'bigint':
      return `${where} must be a JSON value; got the BigInt ${value}n (JSON refuses BigInt; send it as a string)`;
    case 'function':
    case 'symbol':
      return `${where} must be a JSON value; got ${describeValue(value)} (JSON cannot carry a ${typeof value})`;
  }
  if (value === null) return null;
  const object = value as object;
  if (parents.includes(object)) {
    return `${where} must be a JSON value; got a cycle (it contains itself)`;
  }
  if (Array.isArray(object)) {
    parents.push(object);
    for (let index = 0; index < object.length; index++) {
      if (!(index in object)) {
        return `${where}[${index}] must be a JSON value; got a hole in a sparse array (JSON turns it into null)`;
      }
      const problem = findProblem(object[index], `${where}[${index}]`, parents);
      if (problem !== null) return problem;
    }
    parents.pop();
    return null;
  }
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const hint =
      object instanceof Date
        ? 'JSON turns a Date into a string; send date.toISOString()'
        : object instanceof Map || object instanceof Set
          ? 'JSON turns it into {}; send [...entries]'
          : ArrayBuffer.isView(object) || object instanceof ArrayBuffer
            ? 'JSON does not carry bytes; send base64 text'
            : 'JSON keeps only own enumerable fields of a plain object';
    return `${where} must be a JSON value; got ${describeValue(object)} (${hint})`;
  }
  parents.push(object);
  for (const key of Object.keys(object)) {
    const field = /^[A-Za-z_$][\w$]*$/.test(key)
      ? `${where}.${key}`
      : `${where}[${JSON.stringify(key)}]`;
    const problem = findProblem((object as Record<string, unknown>)[key], field, parents);
    if (problem !== null) return problem;
  }
  parents.pop();
  return null;
}

/**
 * @internal Whether `value` is null, a boolean, a string or a finite number: JSON carries
 * it as it is. The hot paths check this before building `requireJson`'s `where`.
 */
export function isJsonScalar(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    default:
      return value === null;
  }
}
