import { describe, expect, it } from 'vitest';
import {
  describeValue,
  requireDelayMs,
  requireFunction,
  requireInteger,
  requireTimeMs,
} from '../src/index.js';

describe('describeValue', () => {
  it.each([
    [null, 'null'],
    [undefined, 'undefined'],
    ['soon', '"soon" (a string)'],
    ['', '"" (a string)'],
    [42, '42'],
    [-0.5, '-0.5'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [true, 'true'],
    [10n, '10'],
    [Symbol('tag'), 'Symbol(tag)'],
    [[1, 2, 3], 'an array of 3'],
    [{}, 'an object'],
    [Object.create(null), 'an object'],
    [new Map(), 'a Map'],
    [new (class Widget {})(), 'a Widget'],
  ])('describes %o as %s', (value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });

  it('names a named function, and says when it is anonymous', () => {
    function sleep(): void {}

    expect(describeValue(sleep)).toBe('function sleep');
    expect(describeValue((() => () => {})())).toBe('an anonymous function');
  });

  it('shortens a long string to 40 characters and an ellipsis', () => {
    const described = describeValue('x'.repeat(100));

    expect(described).toBe(`"${'x'.repeat(40)}…" (a string)`);
  });

  it('escapes quotes and newlines in strings', () => {
    expect(describeValue('a"b\nc')).toBe('"a\\"b\\nc" (a string)');
  });

  it('never throws, even for an object with a throwing toString', () => {
    const hostile = {
      toString(): string {
        throw new Error('no');
      },
    };

    expect(describeValue(hostile)).toBe('an object');
  });

  it('never throws for an object whose constructor getter throws, or a revoked Proxy', () => {
    const hostile = Object.defineProperty({}, 'constructor', {
      get(): never {
        throw new Error('hostile getter');
      },
    });
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();

    expect(() => describeValue(hostile)).not.toThrow();
    expect(() => describeValue(revoked)).not.toThrow();
  });
});

describe('requireFunction', () => {
  it('passes a function', () => {
    expect(() => requireFunction(() => {}, 'callback')).not.toThrow();
    expect(() => requireFunction(async () => {}, 'callback')).not.toThrow();
  });

  it('throws a TypeError naming the argument and describing the value', () => {
    expect(() => requireFunction('run', 'callback')).toThrow(TypeError);
    expect(() => requireFunction('run', 'callback')).toThrow(
      'callback must be a function; got "run" (a string)',
    );
  });
});

describe('requireDelayMs', () => {
  it('passes finite numbers >= 0', () => {
    for (const value of [0, 0.5, 1, 3_600_000, Number.MAX_SAFE_INTEGER]) {
      expect(() => requireDelayMs(value, 'delayMs')).not.toThrow();
    }
  });

  it('throws a RangeError for negative, NaN or infinite values', () => {
    for (const value of [
      -1,
      -0.001,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]) {
      expect(() => requireDelayMs(value, 'delayMs')).toThrow(RangeError);
      expect(() => requireDelayMs(value, 'delayMs')).toThrow(
        `delayMs must be a finite number >= 0; got ${value}`,
      );
    }
  });

  it('throws a TypeError for a non-number', () => {
    expect(() => requireDelayMs('10', 'delayMs')).toThrow(TypeError);
    expect(() => requireDelayMs('10', 'delayMs')).toThrow(
      'delayMs must be a number of milliseconds; got "10" (a string)',
    );
  });
});

describe('requireTimeMs', () => {
  it('passes any finite number, negative included', () => {
    for (const value of [-100, 0, 12.5, 1e12]) {
      expect(() => requireTimeMs(value, 'whenMs')).not.toThrow();
    }
  });

  it('throws a RangeError for NaN and infinities', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => requireTimeMs(value, 'whenMs')).toThrow(RangeError);
      expect(() => requireTimeMs(value, 'whenMs')).toThrow(
        `whenMs must be a finite number; got ${value}`,
      );
    }
  });

  it('throws a TypeError for a non-number', () => {
    expect(() => requireTimeMs(null, 'whenMs')).toThrow(TypeError);
    expect(() => requireTimeMs(null, 'whenMs')).toThrow(
      /^whenMs must be a number of milliseconds; got null$/,
    );
  });
});

describe('requireInteger', () => {
  it('passes integers >= min', () => {
    expect(() => requireInteger(0, 'maxsize', 0)).not.toThrow();
    expect(() => requireInteger(5, 'n', 1)).not.toThrow();
  });

  it('throws a RangeError for a fraction or a value below min', () => {
    expect(() => requireInteger(1.5, 'maxsize', 0)).toThrow(RangeError);
    expect(() => requireInteger(1.5, 'maxsize', 0)).toThrow(
      'maxsize must be an integer >= 0; got 1.5',
    );
    expect(() => requireInteger(-1, 'maxsize', 0)).toThrow(
      'maxsize must be an integer >= 0; got -1',
    );
    expect(() => requireInteger(Number.NaN, 'maxsize', 0)).toThrow(RangeError);
  });

  it('throws a TypeError for a non-number', () => {
    expect(() => requireInteger('3', 'maxsize', 0)).toThrow(TypeError);
    expect(() => requireInteger('3', 'maxsize', 0)).toThrow(
      /^maxsize must be an integer >= 0; got "3" \(a string\)$/,
    );
  });
});
