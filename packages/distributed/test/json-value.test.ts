import { describe, expect, it } from 'vitest';
import { requireJson } from '../src/json-value.js';

describe('requireJson', () => {
  it('accepts what JSON carries unchanged', () => {
    expect(() =>
      requireJson({ a: [1, 'two', null, true, { b: -3.5 }], 'not an identifier': {} }, 'args[0]'),
    ).not.toThrow();
    expect(() => requireJson(Object.create(null), 'args[0]')).not.toThrow();
  });

  it.each([
    [() => 1, 'args[0] must be a JSON value; got'],
    [undefined, 'args[0] must be a JSON value; got undefined'],
    [10n, 'args[0] must be a JSON value; got the BigInt 10n'],
    [Number.NaN, 'args[0] must be a JSON value; got NaN'],
    [Number.POSITIVE_INFINITY, 'args[0] must be a JSON value; got Infinity'],
    [Symbol('s'), 'args[0] must be a JSON value; got'],
    [new Date(0), 'send date.toISOString()'],
    [new Map(), 'send [...entries]'],
    [new Set([1]), 'send [...entries]'],
    [new Uint8Array(2), 'JSON does not carry bytes'],
    [new (class Point {})(), 'JSON keeps only own enumerable fields of a plain object'],
  ])('refuses %o with a message that says so', (value, message) => {
    expect(() => requireJson(value, 'args[0]')).toThrow(TypeError);
    expect(() => requireJson(value, 'args[0]')).toThrow(message);
  });

  it('names where the bad part sits', () => {
    expect(() => requireJson({ order: { lines: [1, undefined] } }, 'args[1]')).toThrow(
      'args[1].order.lines[1] must be a JSON value; got undefined',
    );
    expect(() => requireJson({ 'a-b': [() => 0] }, 'args[0]')).toThrow('args[0]["a-b"][0] must');
    // biome-ignore lint/suspicious/noSparseArray: the case under test
    expect(() => requireJson([1, , 3], 'args[0]')).toThrow(
      'args[0][1] must be a JSON value; got a hole',
    );
  });

  it('refuses a cycle', () => {
    const node: Record<string, unknown> = { name: 'loop' };
    node.self = node;
    expect(() => requireJson(node, 'args[0]')).toThrow(
      'args[0].self must be a JSON value; got a cycle',
    );
  });

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(() => requireJson([shared, shared], 'args[0]')).not.toThrow();
  });
});
