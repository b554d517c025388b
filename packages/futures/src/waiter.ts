/*
 * waiter: the Future a blocked call parks on, and the FIFO list that holds them:
 * the waiting logic of @coro/sync's primitives and @coro/queues' queues, written
 * once here, in the lowest package both depend on (DESIGN §11).
 *
 * Invariants
 *   1. A Waiter is `listed` from push() until remove(); the list's `size` counts
 *      listed waiters only. A waiter granted (woken) stays listed until the code
 *      that awaited it resumes and removes it, so "someone is ahead of you" stays
 *      true in between: a new caller never barges past a woken waiter (asyncio's
 *      Lock fairness fix, bpo-45997).
 *   2. A waiter that is cancelled (its task cancelled) or aborted (its AbortSignal)
 *      while still pending leaves the list at that moment, so the next wake-up
 *      skips it. A waiter granted and then cancelled before its code resumed is
 *      handled by that code: it passes the grant on (DESIGN §4).
 *   3. remove() is O(1): the front is shifted; elsewhere the entry is left behind,
 *      marked, and skipped when it reaches the front. When marked entries outnumber
 *      listed ones the deque is rebuilt, so memory stays O(listed waiters).
 *
 * Why a Future subclass: the awaiting task registers it as its waiter, so
 * `task.cancel()` reaches it (DESIGN §2), and `describe()` tells the call graph
 * what the task waits for (`Lock.acquire: held by task 'writer'`).
 *
 * Tested by test/waiter.test.ts here and through the tests of @coro/sync and @coro/queues.
 */

import { Deque, describeValue } from '@coro/loop';
import { CancelledError } from './errors.js';
import { Future } from './future.js';

/**
 * What a `Waiter` waits on (a lock, a queue): it describes the wait for call graphs.
 *
 * @example
 * ```ts
 * import { Waiter, WaiterList, type WaitSource } from '@coro/futures';
 *
 * // What a call graph shows for a task parked on a waiter of this source
 * const emptyQueue: WaitSource = { describeWait: () => 'Queue.get: empty' };
 * const getters = new WaiterList<Waiter<string>>();
 * const waiter = new Waiter<string>(emptyQueue, getters, undefined);
 * getters.push(waiter);
 * console.log(waiter.describe()); // Queue.get: empty
 * ```
 */
export interface WaitSource {
  describeWait(waiter: Waiter<unknown>): string;
}

/**
 * Options of a blocking call that can be given up with an AbortSignal (every wait
 * of `@coro/sync` and `@coro/queues`).
 *
 * @example
 * ```ts
 * import { run, sleep } from '@coro/futures';
 * import { Event } from '@coro/sync';
 *
 * await run(async () => {
 *   const ready = new Event();
 *   const giveUp = new AbortController();
 *   sleep(50).then(() => giveUp.abort(new Error('no longer needed')));
 *   // signal: give the wait up when it aborts; the call rejects with signal.reason
 *   await ready.wait({ signal: giveUp.signal }).catch((error) => console.log(error.message));
 *   // prints: no longer needed
 * });
 * ```
 */
export interface SignalOptions {
  /**
   * Gives up the wait when aborted: the call rejects with `signal.reason` and its
   * place in line is freed. An already aborted signal rejects at once.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Validates `options` of a blocking call and returns its signal, if any.
 *
 * @throws TypeError if `options` is not an object or `options.signal` not an AbortSignal.
 * @example
 * ```ts
 * import { readSignal, type SignalOptions } from '@coro/futures';
 *
 * // A blocking call of your own validates its options the way @coro/sync's do
 * function waitForTurn(options?: SignalOptions): string {
 *   const signal = readSignal(options); // throws a TypeError for { signal: 'soon' }
 *   return signal?.aborted ? 'given up' : 'waiting';
 * }
 * console.log(waitForTurn({ signal: AbortSignal.abort() })); // given up
 * ```
 */
export function readSignal(options: SignalOptions | undefined): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  const signal = options.signal;
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal; got ${describeValue(signal)}`);
  }
  return signal;
}

/**
 * The Future a blocked call parks on, in a `WaiterList`: the building block of
 * locks and queues. Cancelled (its task was) or aborted (its AbortSignal) while
 * pending, it leaves its list at once; `describe()` asks its source what it
 * waits for. See the module header for the invariants.
 *
 * @example
 * ```ts
 * import { Waiter, WaiterList } from '@coro/futures';
 *
 * const line = new WaiterList<Waiter<string>>();
 * const waiter = new Waiter<string>({ describeWait: () => 'a turn' }, line, undefined);
 * line.push(waiter);
 * line.shiftPending()?.grant('your turn');
 * console.log(waiter.result()); // your turn
 * ```
 */
export class Waiter<T> extends Future<T> {
  /** @internal In its list (invariant 1). */ listed: boolean;
  /**
   * Whether the primitive woke this waiter with `grant()` (rather than it being
   * cancelled or aborted). For building primitives on top: the code that awaited
   * the waiter reads it when the await threw, to tell "cancelled while still
   * waiting" from "granted, then cancelled before it resumed", and in the latter
   * case passes what it was granted (a permit, a slot) on to the next waiter
   * (DESIGN §4). Set by `grant()` only; read it, never write it.
   *
   * @example
   * ```ts
   * import { Waiter, WaiterList } from '@coro/futures';
   *
   * const line = new WaiterList<Waiter<true>>();
   * const waiter = new Waiter<true>({ describeWait: () => 'a permit' }, line, undefined);
   * line.push(waiter);
   * console.log(waiter.granted); // false: still waiting
   * line.firstPending()?.grant(true);
   * console.log(waiter.granted); // true: a cancel now must hand the permit on
   * ```
   */
  granted: boolean;
  readonly #source: WaitSource;
  readonly #list: WaiterList<Waiter<T>>;
  #signal: AbortSignal | undefined;

  constructor(source: WaitSource, list: WaiterList<Waiter<T>>, signal: AbortSignal | undefined) {
    super();
    this.listed = false;
    this.granted = false;
    this.#source = source;
    this.#list = list;
    this.#signal = signal;
    // The waiter is its own listener (handleEvent): no closure per wait.
    if (signal !== undefined) signal.addEventListener('abort', this);
  }

  /**
   * Wakes the waiter with `value`: sets `granted` and resolves the Future, so the
   * task awaiting it resumes with `value`. For building primitives on top: the
   * primitive calls it on the waiter it chose (`firstPending()`, `shiftPending()`),
   * which stays listed until the awaiting code removes it (invariant 1).
   *
   * @throws InvalidStateError if the waiter is already done (call it only on a
   * pending waiter, as `firstPending()` and `shiftPending()` return).
   * @example
   * ```ts
   * import { Waiter, WaiterList } from '@coro/futures';
   *
   * const line = new WaiterList<Waiter<string>>();
   * const waiter = new Waiter<string>({ describeWait: () => 'a turn' }, line, undefined);
   * line.push(waiter);
   * line.firstPending()?.grant('your turn');
   * console.log(waiter.result(), line.size); // your turn 1: listed until its code removes it
   * ```
   */
  grant(value: T): void {
    this.granted = true;
    this.setResult(value);
  }

  /** A pending waiter cancelled (its task was) leaves its list at once (invariant 2). */
  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    this.#list.remove(this);
    return true;
  }

  /** @internal The AbortSignal fired: reject with its reason and leave the list. */
  handleEvent(): void {
    if (this.done() || this.#signal === undefined) return;
    const reason: unknown = this.#signal.reason;
    if (reason instanceof CancelledError) {
      this.cancel(reason.message); // a task's own signal: an ordinary cancellation
      return;
    }
    this.#list.remove(this);
    this.setException(reason);
  }

  /**
   * Ends the wait: stops listening to the AbortSignal given to the constructor, so a
   * later abort neither touches this waiter nor keeps it alive. For building
   * primitives on top: call it once the await returned or threw, next to
   * `list.remove(waiter)`. Calling it again does nothing.
   *
   * @example
   * ```ts
   * import { Waiter, WaiterList } from '@coro/futures';
   *
   * const line = new WaiterList<Waiter<string>>();
   * const giveUp = new AbortController();
   * const waiter = new Waiter<string>({ describeWait: () => 'a turn' }, line, giveUp.signal);
   * line.push(waiter);
   * line.shiftPending()?.grant('your turn');
   * waiter.finish(); // the wait is over: an abort from now on is not this waiter's
   * giveUp.abort();
   * console.log(waiter.result()); // your turn
   * ```
   */
  finish(): void {
    if (this.#signal !== undefined) {
      this.#signal.removeEventListener('abort', this);
      this.#signal = undefined;
    }
  }

  override describe(): string {
    return this.done() ? super.describe() : this.#source.describeWait(this);
  }
}

const COMPACT_MIN = 32;

/**
 * A FIFO of waiters with O(1) removal anywhere (invariant 3).
 *
 * @example
 * ```ts
 * import { Waiter, WaiterList } from '@coro/futures';
 *
 * const line = new WaiterList<Waiter<void>>();
 * line.push(new Waiter<void>({ describeWait: () => 'a turn' }, line, undefined));
 * console.log(line.size); // 1
 * ```
 */
export class WaiterList<W extends Waiter<unknown>> {
  readonly #deque = new Deque<W>();
  #stale = 0;

  /** Listed waiters: pending ones and granted ones not yet resumed. */
  get size(): number {
    return this.#deque.length - this.#stale;
  }

  push(waiter: W): void {
    waiter.listed = true;
    this.#deque.push(waiter);
  }

  remove(waiter: W): void {
    if (!waiter.listed) return;
    waiter.listed = false;
    if (this.#deque.peekFront() === waiter) {
      this.#deque.shift();
      this.#trimFront();
      return;
    }
    this.#stale++;
    if (this.#stale > COMPACT_MIN && this.#stale * 2 > this.#deque.length) this.#compact();
  }

  /** The longest-waiting listed waiter (pending or granted), if any. */
  front(): W | undefined {
    return this.#deque.peekFront(); // never a removed one: remove() trims the front
  }

  /** The longest-waiting listed waiter that is still pending, if any. */
  firstPending(): W | undefined {
    const deque = this.#deque;
    for (let i = 0; i < deque.length; i++) {
      const waiter = deque.at(i) as W;
      if (waiter.listed && !waiter.done()) return waiter;
    }
    return undefined;
  }

  /** Removes and returns the longest-waiting pending waiter, if any. */
  shiftPending(): W | undefined {
    this.#trimFront();
    for (;;) {
      const waiter = this.#deque.shift();
      if (waiter === undefined) return undefined;
      this.#trimFront();
      if (!waiter.listed) continue;
      waiter.listed = false;
      if (!waiter.done()) return waiter;
    }
  }

  #trimFront(): void {
    const deque = this.#deque;
    while (deque.length > 0 && !(deque.peekFront() as W).listed) {
      deque.shift();
      this.#stale--;
    }
  }

  #compact(): void {
    const kept: W[] = [];
    for (const waiter of this.#deque) if (waiter.listed) kept.push(waiter);
    this.#deque.clear();
    for (const waiter of kept) this.#deque.push(waiter);
    this.#stale = 0;
  }
}
