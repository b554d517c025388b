import { describe, expect, it } from 'vitest';
import { globMatch } from '../../src/examples/mini-redis/glob.js';

describe('globMatch', () => {
  it('matches * and ? as any run and any one character', () => {
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('user:*', 'user:42')).toBe(true);
    expect(globMatch('user:*', 'session:42')).toBe(false);
    expect(globMatch('h?llo', 'hello')).toBe(true);
    expect(globMatch('h?llo', 'hllo')).toBe(false);
    expect(globMatch('*a*b', 'xxaxxab')).toBe(true);
    expect(globMatch('*a*b', 'xxaxxa')).toBe(false);
  });

  it('matches classes, negated classes and ranges', () => {
    expect(globMatch('h[ae]llo', 'hallo')).toBe(true);
    expect(globMatch('h[ae]llo', 'hillo')).toBe(false);
    expect(globMatch('h[^e]llo', 'hallo')).toBe(true);
    expect(globMatch('h[^e]llo', 'hello')).toBe(false);
    expect(globMatch('key[0-9]', 'key7')).toBe(true);
    expect(globMatch('key[9-0]', 'key7')).toBe(true); // a reversed range, as redis reads it
    expect(globMatch('key[0-9]', 'keyx')).toBe(false);
  });

  it('takes a backslash-escaped character literally', () => {
    expect(globMatch('a\\*b', 'a*b')).toBe(true);
    expect(globMatch('a\\*b', 'axb')).toBe(false);
    expect(globMatch('[\\]]', ']')).toBe(true);
  });

  it('stays fast on patterns that would make a naive matcher exponential', () => {
    expect(globMatch('*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(5_000))).toBe(false);
  });
});
