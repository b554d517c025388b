/*
 * Negative delays (issue 11, case 11): a delay or timeout in the past means "now", as in
 * asyncio and setTimeout, so a computed `deadline - loop.time()` that went negative under
 * load still works. NaN, non-numbers and sleep(Infinity) stay errors.
 */

import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  asCompleted,
  createTask,
  Future,
  run,
  sleep,
  TimeoutError,
  timeout,
  wait,
  waitFor,
} from '../src/index.js';
import { rejection } from './helpers.js';

function doneFuture<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

describe('negative delays (issue 11, case 11)', () => {
  it('sleep(-1) returns on the next iteration, with its value, as sleep(0) does', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];

    const outcome = loop.runUntilComplete(async () => {
      loop.callSoon(() => trace.push('callback scheduled before the sleep'));
      const value = await sleep(-1, 'woke');
      trace.push(`woke with ${value}`);
      await sleep(-0.5);
      return loop.time();
    });

    expect(await outcome).toBe(0);
    expect(trace).toEqual(['callback scheduled before the sleep', 'woke with woke']);
  });

  it('timeout(-x) expires at once: the body is cancelled at its first await', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const trace: string[] = [];
        const error = await rejection(
          timeout(-250, async () => {
            trace.push('body started');
            await sleep(1_000);
            trace.push('never');
          }),
        );

        expect(error).toBeInstanceOf(TimeoutError);
        expect(trace).toEqual(['body started']);
        expect(loop.time()).toBe(0);
      },
      { loop },
    );
  });

  it('waitFor(awaitable, -1) times out at once, cancelling the awaitable, as waitFor(…, 0)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const slow = createTask(() => sleep(1_000, 'late'));

        await expect(waitFor(slow, -1)).rejects.toBeInstanceOf(TimeoutError);
        expect(slow.cancelled()).toBe(true);
        expect(await waitFor(doneFuture('ready'), -1)).toBe('ready'); // already done: its result, as asyncio's wait_for(done_future, -1)
        expect(loop.time()).toBe(0);
      },
      { loop },
    );
  });

  it('wait(…, { timeout: -1 }) returns on the next iteration with what is pending, cancelling nothing', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const slow = createTask(() => sleep(1_000, 'slow'));

        const { done, pending } = await wait([slow], { timeout: -1 });

        expect(done.size).toBe(0);
        expect(pending.has(slow)).toBe(true);
        expect(slow.cancelled()).toBe(false);
        expect(loop.time()).toBe(0);
        slow.cancel();
      },
      { loop },
    );
  });

  it('asCompleted(…, { timeout: -1 }) throws TimeoutError at once', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const never = new Future<string>();
        const iterator = asCompleted([never], { timeout: -1 });

        await expect(iterator.next()).rejects.toBeInstanceOf(TimeoutError);
        expect(loop.time()).toBe(0);
      },
      { loop },
    );
  });

  it('still rejects NaN, non-numbers and an infinite sleep', async () => {
    await run(
      async () => {
        expect(() => sleep(Number.NaN)).toThrow(RangeError);
        expect(() => sleep(Number.POSITIVE_INFINITY)).toThrow(
          'ms must be a finite number; got Infinity',
        );
        expect(() => sleep('10' as never)).toThrow(TypeError);
        expect(() => timeout(Number.NaN, () => 1)).toThrow(RangeError);
        await expect(waitFor(sleep(1), Number.NaN)).rejects.toThrow(RangeError);
        await expect(wait([sleep(1)], { timeout: Number.NaN })).rejects.toThrow(/options\.timeout/);
        expect(() => asCompleted([], { timeout: '5' as never })).toThrow(TypeError);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });
});
