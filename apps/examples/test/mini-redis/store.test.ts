import { describe, expect, it } from 'vitest';
import { Store } from '../../src/examples/mini-redis/store.js';

/** A store on a clock the test moves by hand. */
function storeAt(start = 0) {
  const clock = { now: start };
  return { clock, store: new Store(() => clock.now) };
}

describe('Store', () => {
  it('keeps a value until it is deleted', () => {
    const { store } = storeAt();
    store.set('k', 'v');
    expect(store.get('k')).toBe('v');
    expect(store.ttl('k')).toBe(-1);
    expect(store.delete('k')).toBe(true);
    expect(store.delete('k')).toBe(false);
    expect(store.ttl('k')).toBe(-2);
  });

  it('expires a key at its deadline, on the first access after it', () => {
    const { clock, store } = storeAt(1_000);
    store.set('k', 'v', 500);
    clock.now = 1_499;
    expect(store.get('k')).toBe('v');
    expect(store.ttl('k')).toBe(1);
    clock.now = 1_500;
    expect(store.get('k')).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('forgets the TTL when SET overwrites the key, but not on replace (INCR)', () => {
    const { store } = storeAt();
    store.set('a', '1', 100);
    store.set('a', '2');
    expect(store.ttl('a')).toBe(-1);
    store.set('b', '1', 100);
    store.replace('b', '2');
    expect(store.ttl('b')).toBe(100);
  });

  it('deletes a key given a lifetime of zero or less', () => {
    const { store } = storeAt();
    store.set('k', 'v');
    expect(store.expire('k', -1)).toBe(true);
    expect(store.has('k')).toBe(false);
    expect(store.expire('k', 100)).toBe(false);
  });

  it('sweeps expired keys nobody reads, a budget at a time', () => {
    const { clock, store } = storeAt();
    for (let i = 0; i < 50; i++) store.set(`temp:${i}`, 'v', 10);
    store.set('kept', 'v', 1_000);
    clock.now = 20;
    let swept = 0;
    for (let round = 0; round < 10; round++) swept += store.sweep(20);
    expect(swept).toBe(50);
    expect(store.size).toBe(1);
  });

  it('lists the live keys matching a pattern', () => {
    const { clock, store } = storeAt();
    store.set('user:1', 'a');
    store.set('user:2', 'b', 10);
    store.set('post:1', 'c');
    clock.now = 10;
    expect(store.keys('user:*')).toEqual(['user:1']);
    expect(store.keys('*').sort()).toEqual(['post:1', 'user:1']);
  });
});
