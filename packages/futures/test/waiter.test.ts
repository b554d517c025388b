/*
 * Waiter and WaiterList: the waiting logic shared by @coro/sync and @coro/queues.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError, readSignal, Waiter, WaiterList } from '../src/index.js';

const source = { describeWait: () => 'a turn at the counter' };

function line(count: number) {
  const list = new WaiterList<Waiter<string>>();
  const waiters: Waiter<string>[] = [];
  for (let i = 0; i < count; i++) {
    const waiter = new Waiter<string>(source, list, undefined);
    list.push(waiter);
    waiters.push(waiter);
  }
  return { list, waiters };
}

describe('WaiterList', () => {
  it('hands out pending waiters in arrival order', () => {
    const { list, waiters } = line(3);

    const order = [
      list.shiftPending(),
      list.shiftPending(),
      list.shiftPending(),
      list.shiftPending(),
    ];

    expect(order).toEqual([waiters[0], waiters[1], waiters[2], undefined]);
    expect(list.size).toBe(0);
  });

  it('skips a waiter removed from the middle, and counts only listed waiters', () => {
    const { list, waiters } = line(3);

    list.remove(waiters[1] as Waiter<string>);

    expect(list.size).toBe(2);
    expect(list.shiftPending()).toBe(waiters[0]);
    expect(list.shiftPending()).toBe(waiters[2]);
  });

  it('keeps memory proportional to listed waiters after many removals', () => {
    const { list, waiters } = line(1_000);

    for (const waiter of waiters.slice(1)) list.remove(waiter);

    expect(list.size).toBe(1);
    expect(list.front()).toBe(waiters[0]);
    expect([...waiters.slice(1)].some((waiter) => waiter.listed)).toBe(false);
  });
});

describe('Waiter', () => {
  it('leaves its list when cancelled while pending', () => {
    const { list, waiters } = line(2);

    (waiters[0] as Waiter<string>).cancel('gave up');

    expect(list.size).toBe(1);
    expect(list.firstPending()).toBe(waiters[1]);
  });

  it('rejects with the reason of its AbortSignal and leaves its list', () => {
    const list = new WaiterList<Waiter<string>>();
    const controller = new AbortController();
    const waiter = new Waiter<string>(source, list, controller.signal);
    list.push(waiter);

    controller.abort(new RangeError('too late'));

    expect(list.size).toBe(0);
    expect(waiter.exception()).toEqual(new RangeError('too late'));
  });

  it('is cancelled, not failed, when the signal is a task signal (a CancelledError reason)', () => {
    const controller = new AbortController();
    const list = new WaiterList<Waiter<string>>();
    const waiter = new Waiter<string>(source, list, controller.signal);
    list.push(waiter);

    controller.abort(new CancelledError('task cancelled'));

    expect(waiter.cancelled()).toBe(true);
  });

  it('describes its wait through its source while pending', () => {
    const { waiters } = line(1);

    expect((waiters[0] as Waiter<string>).describe()).toBe('a turn at the counter');
  });
});

describe('readSignal', () => {
  it('returns the signal, or undefined without options', () => {
    const signal = new AbortController().signal;

    expect(readSignal({ signal })).toBe(signal);
    expect(readSignal(undefined)).toBeUndefined();
  });

  it('rejects options that are not an object and a signal that is not an AbortSignal', () => {
    expect(() => readSignal(42 as never)).toThrow(TypeError);
    expect(() => readSignal({ signal: 'stop' as never })).toThrow(
      /options.signal must be an AbortSignal/,
    );
  });
});
