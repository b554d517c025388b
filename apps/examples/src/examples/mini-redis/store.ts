/*
 * store: the keyspace, strings with optional expiry.
 *
 * Two maps, as redis keeps two dicts: `values` (key → value) and `deadlines` (key → the
 * time it expires, on the loop's clock, in ms), the latter holding only keys with a TTL.
 * A GET of a key without TTL is then one Map lookup: the deadline is checked only when
 * some key has one.
 *
 * Expired keys go in two ways, as in redis:
 *   - lazily: any access to a key past its deadline deletes it first;
 *   - actively: `sweep()` (called every 100 ms by the server) checks a few keys with a
 *     deadline, so keys nobody reads again do not stay in memory forever.
 *
 * Invariant: every key in `deadlines` is in `values`.
 */

import { globMatch } from './glob.js';

export class Store {
  readonly #values = new Map<string, string>();
  readonly #deadlines = new Map<string, number>();
  readonly #now: () => number;
  /** Where the last sweep stopped; Map iterators survive deletions, so it can resume. */
  #sweeper: Iterator<[string, number]> | null = null;

  /** `now` is the clock, in ms: the loop's `time()`, so a VirtualLoop test can jump it. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** The value of `key`, or `undefined` if it has none (or it just expired). */
  get(key: string): string | undefined {
    const value = this.#values.get(key);
    if (value === undefined || this.#deadlines.size === 0) return value;
    return this.#expireIfDue(key) ? undefined : value;
  }

  /** Whether `key` exists. */
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Sets `key`; `ttlMs` gives it a lifetime, else it lives forever (as SET does). */
  set(key: string, value: string, ttlMs?: number): void {
    this.#values.set(key, value);
    if (ttlMs !== undefined) this.#deadlines.set(key, this.#now() + ttlMs);
    else if (this.#deadlines.size !== 0) this.#deadlines.delete(key);
  }

  /** Replaces the value of `key` and keeps its TTL (what INCR does). */
  replace(key: string, value: string): void {
    this.#values.set(key, value);
  }

  /** Deletes `key`; whether it existed. */
  delete(key: string): boolean {
    if (!this.has(key)) return false;
    this.#values.delete(key);
    this.#deadlines.delete(key);
    return true;
  }

  /** Gives an existing `key` a lifetime of `ttlMs` (<= 0 deletes it); whether it existed. */
  expire(key: string, ttlMs: number): boolean {
    if (!this.has(key)) return false;
    if (ttlMs <= 0) this.delete(key);
    else this.#deadlines.set(key, this.#now() + ttlMs);
    return true;
  }

  /** Ms left before `key` expires: -1 if it never does, -2 if it does not exist. */
  ttl(key: string): number {
    if (!this.has(key)) return -2;
    const deadline = this.#deadlines.get(key);
    return deadline === undefined ? -1 : Math.max(0, deadline - this.#now());
  }

  /** The live keys matching the glob `pattern`. */
  keys(pattern: string): string[] {
    const keys: string[] = [];
    for (const key of this.#values.keys()) {
      if (!this.#expireIfDue(key) && (pattern === '*' || globMatch(pattern, key))) keys.push(key);
    }
    return keys;
  }

  /** How many keys there are (expired ones not yet swept included). */
  get size(): number {
    return this.#values.size;
  }

  /** Deletes every key. */
  clear(): void {
    this.#values.clear();
    this.#deadlines.clear();
    this.#sweeper = null;
  }

  /**
   * Active expiry: checks up to `budget` keys that have a deadline, resuming where the
   * previous sweep stopped, and deletes the expired ones. Returns how many it deleted.
   */
  sweep(budget = 20): number {
    let deleted = 0;
    const now = this.#now();
    for (let checked = 0; checked < budget && this.#deadlines.size > 0; checked++) {
      this.#sweeper ??= this.#deadlines.entries();
      const next = this.#sweeper.next();
      if (next.done) {
        this.#sweeper = null; // a full round is done: start the next one
        continue;
      }
      const [key, deadline] = next.value;
      if (deadline <= now) {
        this.#values.delete(key);
        this.#deadlines.delete(key);
        deleted++;
      }
    }
    return deleted;
  }

  /** Deletes `key` if its deadline has passed; whether it did. */
  #expireIfDue(key: string): boolean {
    const deadline = this.#deadlines.get(key);
    if (deadline === undefined || deadline > this.#now()) return false;
    this.#values.delete(key);
    this.#deadlines.delete(key);
    return true;
  }
}
