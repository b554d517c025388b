import { describe, expect, it } from 'vitest';
import { Deque } from '../src/index.js';

describe('Deque', () => {
  it('starts empty, and shift/pop/peek on an empty deque return undefined', () => {
    const deque = new Deque<number>();

    expect(deque.length).toBe(0);
    expect(deque.shift()).toBeUndefined();
    expect(deque.pop()).toBeUndefined();
    expect(deque.peekFront()).toBeUndefined();
    expect(deque.peekBack()).toBeUndefined();
    expect(deque.at(0)).toBeUndefined();
    expect([...deque]).toEqual([]);
  });

  it('takes its initial items from an iterable, front to back', () => {
    const deque = new Deque(new Set(['a', 'b', 'c']));

    expect(deque.length).toBe(3);
    expect([...deque]).toEqual(['a', 'b', 'c']);
  });

  it('is FIFO through push and shift', () => {
    const deque = new Deque<number>();
    for (let i = 0; i < 5; i++) deque.push(i);

    const taken = [deque.shift(), deque.shift(), deque.shift(), deque.shift(), deque.shift()];

    expect(taken).toEqual([0, 1, 2, 3, 4]);
    expect(deque.length).toBe(0);
  });

  it('is LIFO through push and pop', () => {
    const deque = new Deque<string>(['a', 'b', 'c']);

    expect([deque.pop(), deque.pop(), deque.pop(), deque.pop()]).toEqual([
      'c',
      'b',
      'a',
      undefined,
    ]);
  });

  it('puts unshifted items at the front', () => {
    const deque = new Deque<string>(['c']);

    deque.unshift('b');
    deque.unshift('a');

    expect([...deque]).toEqual(['a', 'b', 'c']);
    expect(deque.peekFront()).toBe('a');
    expect(deque.peekBack()).toBe('c');
  });

  it('keeps its order when it grows past its initial capacity with the head wrapped around', () => {
    const deque = new Deque<number>();
    // Move the head into the middle of the ring, then wrap it with unshift.
    for (let i = 0; i < 10; i++) deque.push(-1);
    for (let i = 0; i < 10; i++) deque.shift();
    for (let i = 0; i < 50; i++) deque.push(i);
    for (let i = -1; i >= -50; i--) deque.unshift(i);

    const expected = [
      ...Array.from({ length: 50 }, (_, i) => i - 50),
      ...Array.from({ length: 50 }, (_, i) => i),
    ];
    expect(deque.length).toBe(100);
    expect([...deque]).toEqual(expected);
    expect(deque.at(0)).toBe(-50);
    expect(deque.at(99)).toBe(49);
  });

  it('indexes from the front with at(), and from the back with a negative index', () => {
    const deque = new Deque<string>(['a', 'b', 'c']);

    expect(deque.at(0)).toBe('a');
    expect(deque.at(2)).toBe('c');
    expect(deque.at(-1)).toBe('c');
    expect(deque.at(-3)).toBe('a');
    expect(deque.at(3)).toBeUndefined();
    expect(deque.at(-4)).toBeUndefined();
  });

  it('empties with clear() and stays usable', () => {
    const deque = new Deque<number>(Array.from({ length: 40 }, (_, i) => i));

    deque.clear();

    expect(deque.length).toBe(0);
    expect([...deque]).toEqual([]);
    deque.push(7);
    deque.unshift(6);
    expect([...deque]).toEqual([6, 7]);
  });

  it('stores undefined and null as items like any other value', () => {
    const deque = new Deque<number | null | undefined>();

    deque.push(undefined);
    deque.push(null);

    expect(deque.length).toBe(2);
    expect(deque.shift()).toBeUndefined();
    expect(deque.length).toBe(1);
    expect(deque.shift()).toBeNull();
  });

  it('stays correct over a million push/shift pairs through a sliding window', () => {
    const deque = new Deque<number>();
    let sum = 0;
    for (let i = 0; i < 1_000_000; i++) {
      deque.push(i);
      if (deque.length > 1000) sum += deque.shift() as number;
    }

    expect(deque.length).toBe(1000);
    expect(sum).toBe(((1_000_000 - 1000) * (1_000_000 - 1000 - 1)) / 2);
  });
});
