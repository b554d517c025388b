import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  ALL_COMPLETED,
  CancelledError,
  createTask,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  run,
  sleep,
  wait,
} from '../src/index.js';

const failAfter = (ms: number, error: Error) => async (): Promise<never> => {
  await sleep(ms);
  throw error;
};

describe('wait', () => {
  it('waits for every awaitable by default (ALL_COMPLETED) and returns the original futures', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const fast = createTask(() => sleep(10, 'fast'));
        const failing = createTask(failAfter(20, new Error('boom')));
        const slow = createTask(() => sleep(30, 'slow'));

        const { done, pending } = await wait([fast, failing, slow]);

        expect(loop.time()).toBe(30);
        expect(done).toEqual(new Set([fast, failing, slow]));
        expect(pending.size).toBe(0);
        await expect(failing).rejects.toThrow('boom');
      },
      { loop },
    );
  });

  it('returns as soon as one awaitable is done with FIRST_COMPLETED, leaving the rest pending and running', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const fast = createTask(() => sleep(10, 'fast'));
        const slow = createTask(() => sleep(30, 'slow'));

        const { done, pending } = await wait([slow, fast], { returnWhen: FIRST_COMPLETED });

        expect(loop.time()).toBe(10);
        expect(done).toEqual(new Set([fast]));
        expect(pending).toEqual(new Set([slow]));
        expect(slow.cancelled()).toBe(false);
        expect(await slow).toBe('slow');
      },
      { loop },
    );
  });

  it('returns at the first failure with FIRST_EXCEPTION', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const fast = createTask(() => sleep(10, 'fast'));
        const failing = createTask(failAfter(20, new Error('boom')));
        const slow = createTask(() => sleep(30, 'slow'));

        const { done, pending } = await wait([fast, failing, slow], {
          returnWhen: FIRST_EXCEPTION,
        });

        expect(loop.time()).toBe(20);
        expect(done).toEqual(new Set([fast, failing]));
        expect(pending).toEqual(new Set([slow]));
        failing.exception(); // retrieved
        slow.cancel();
      },
      { loop },
    );
  });

  it('waits for all with FIRST_EXCEPTION when nothing fails (a cancellation is not an exception)', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const cancelledEarly = createTask(() => sleep(100));
        const slow = createTask(() => sleep(30, 'slow'));
        loop.callLater(5, () => cancelledEarly.cancel());

        const { done, pending } = await wait([cancelledEarly, slow], {
          returnWhen: FIRST_EXCEPTION,
        });

        expect(loop.time()).toBe(30);
        expect(done).toEqual(new Set([cancelledEarly, slow]));
        expect(pending.size).toBe(0);
      },
      { loop },
    );
  });

  it('returns at the timeout with what is pending, cancelling nothing', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const fast = createTask(() => sleep(10, 'fast'));
        const slow = createTask(() => sleep(100, 'slow'));

        const { done, pending } = await wait([fast, slow], { timeout: 50 });

        expect(loop.time()).toBe(50);
        expect(done).toEqual(new Set([fast]));
        expect(pending).toEqual(new Set([slow]));
        expect(slow.cancelled()).toBe(false);
        expect(await slow).toBe('slow');
        expect(loop.time()).toBe(100);
      },
      { loop },
    );
  });

  it('returns without waiting when the inputs are already done enough', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const done1 = new Future<number>();
        done1.setResult(1);
        const failed = new Future<number>();
        failed.setException(new Error('failed'));
        const slow = createTask(() => sleep(100, 2));

        const first = await wait([done1, slow], { returnWhen: FIRST_COMPLETED });
        const firstError = await wait([failed, slow], { returnWhen: FIRST_EXCEPTION });
        const all = await wait([done1, failed], { returnWhen: ALL_COMPLETED, timeout: 0 });

        expect(loop.time()).toBe(0);
        expect(first).toEqual({ done: new Set([done1]), pending: new Set([slow]) });
        expect(firstError).toEqual({ done: new Set([failed]), pending: new Set([slow]) });
        expect(all).toEqual({ done: new Set([done1, failed]), pending: new Set() });
        failed.exception();
        slow.cancel();
      },
      { loop },
    );
  });

  it('wraps Promises in Futures and runs async functions as tasks', async () => {
    await run(
      async () => {
        const promise = Promise.resolve('promise');
        const { done, pending } = await wait([promise, async () => 'function']);

        expect(pending.size).toBe(0);
        const futures = [...done];
        expect(futures.every((future) => future instanceof Future)).toBe(true);
        expect(futures.map((future) => future.result()).sort()).toEqual(['function', 'promise']);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('leaves the awaitables running when the waiting task is cancelled', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const child = createTask(() => sleep(100, 'child'));
        const waiting = createTask(() => wait([child]));
        await sleep(10);

        waiting.cancel();

        await expect(waiting).rejects.toBeInstanceOf(CancelledError);
        expect(child.cancelled()).toBe(false);
        expect(await child).toBe('child');
      },
      { loop },
    );
  });

  it('rejects with TypeError for no awaitables or a non-iterable', async () => {
    const loop = new VirtualLoop();

    await expect(wait([], { loop })).rejects.toThrow(new TypeError('awaitables must not be empty'));
    await expect(wait(42 as never, { loop })).rejects.toThrow(
      /^awaitables must be an iterable; got 42/,
    );
  });

  it('rejects with RangeError for a bad returnWhen or timeout', async () => {
    const loop = new VirtualLoop();
    const future = new Future({ loop });

    await expect(wait([future], { loop, returnWhen: 'FIRST' as never })).rejects.toThrow(
      RangeError,
    );
    await expect(wait([future], { loop, returnWhen: 'FIRST' as never })).rejects.toThrow(
      /^options.returnWhen must be FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED; got "FIRST"/,
    );
    await expect(wait([future], { loop, timeout: Number.NaN })).rejects.toThrow(RangeError);
    await expect(wait([future], { loop, timeout: Number.NaN })).rejects.toThrow(/options.timeout/);
  });
});
