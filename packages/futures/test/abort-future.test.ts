import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { abortFuture, CancelledError, Future } from '../src/index.js';

describe('abortFuture', () => {
  it('cancels the future with the message of a CancelledError reason', () => {
    const future = new Future<number>({ loop: new VirtualLoop() });

    const settled = abortFuture(future, new CancelledError('scope ended'));

    expect(settled).toBe(true);
    expect(future.cancelled()).toBe(true);
    expect(() => future.result()).toThrow(new CancelledError('scope ended'));
  });

  it('fails the future with any other reason', () => {
    const future = new Future<number>({ loop: new VirtualLoop() });
    const reason = new Error('user gave up');

    abortFuture(future, reason);

    expect(future.exception()).toBe(reason);
  });

  it('leaves a done future as it was', () => {
    const future = new Future<number>({ loop: new VirtualLoop() });
    future.setResult(7);

    const settled = abortFuture(future, new Error('too late'));

    expect(settled).toBe(false);
    expect(future.result()).toBe(7);
  });
});
