import { describe, expect, it, vi } from 'vitest';
import type { HandleOwner } from '../src/handle.js';
import { Handle, TimerHandle, VirtualLoop } from '../src/index.js';

function recordingOwner(): HandleOwner & { cancelled: TimerHandle[] } {
  const cancelled: TimerHandle[] = [];
  return { cancelled, timerCancelled: (handle) => cancelled.push(handle) };
}

describe('Handle', () => {
  it('runs its callback with the arguments it was given', () => {
    const callback = vi.fn();

    new Handle(callback, ['a', 2, null]).run();
    new Handle(callback, [undefined]).run();
    new Handle(callback, null).run();

    expect(callback.mock.calls).toEqual([['a', 2, null], [undefined], []]);
  });

  it('is not cancelled until cancel() is called', () => {
    const handle = new Handle(() => {}, null);

    expect(handle.cancelled()).toBe(false);
    handle.cancel();
    expect(handle.cancelled()).toBe(true);
  });

  it('never runs its callback once cancelled', () => {
    const callback = vi.fn();
    const handle = new Handle(callback, [1]);

    handle.cancel();
    handle.run();

    expect(callback).not.toHaveBeenCalled();
  });

  it('drops its callback and arguments when cancelled, so it holds no references', () => {
    const handle = new Handle(() => {}, [{ big: 'object' }]);

    handle.cancel();

    expect(handle.callback).toBeNull();
    expect(handle.args).toBeNull();
  });

  it('ignores a second cancel()', () => {
    const handle = new Handle(() => {}, null);

    handle.cancel();
    handle.cancel();

    expect(handle.cancelled()).toBe(true);
  });

  it('names its callback in toString(), and says when it is cancelled', () => {
    function wakeWaiter(): void {}
    const named = new Handle(wakeWaiter, null);
    const anonymous = new Handle(
      (() => () => {})(), // an arrow function returned from a call has no name
      null,
    );

    expect(String(named)).toBe('<Handle wakeWaiter>');
    expect(String(anonymous)).toBe('<Handle anonymous>');
    named.cancel();
    expect(String(named)).toBe('<Handle cancelled>');
  });

  it('cancelled on a loop, it never runs', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];
    loop.callSoon(() => trace.push('kept'));
    loop.callSoon(() => trace.push('cancelled')).cancel();

    await loop.advance(0);

    expect(trace).toEqual(['kept']);
  });
});

describe('TimerHandle', () => {
  it('returns its deadline from when()', () => {
    const handle = new TimerHandle(1234.5, 0, () => {}, null, null);

    expect(handle.when()).toBe(1234.5);
  });

  it('tells its owner once when cancelled while scheduled', () => {
    const owner = recordingOwner();
    const handle = new TimerHandle(10, 0, () => {}, null, owner);

    handle.cancel();
    handle.cancel();

    expect(owner.cancelled).toEqual([handle]);
    expect(handle.cancelled()).toBe(true);
    expect(handle.callback).toBeNull();
  });

  it('does not tell its owner when cancelled after leaving the heap', () => {
    const owner = recordingOwner();
    const handle = new TimerHandle(10, 0, () => {}, null, owner);
    handle.scheduled = false; // what the heap does when the timer surfaces

    handle.cancel();

    expect(owner.cancelled).toEqual([]);
    expect(handle.cancelled()).toBe(true);
  });

  it('is described as a TimerHandle', () => {
    function tick(): void {}

    expect(String(new TimerHandle(0, 0, tick, null, null))).toBe('<TimerHandle tick>');
  });

  it('keeps its deadline after it is cancelled', () => {
    const loop = new VirtualLoop({ start: 5 });
    const handle = loop.callLater(10, () => {});

    handle.cancel();

    expect(handle.when()).toBe(15);
  });
});
