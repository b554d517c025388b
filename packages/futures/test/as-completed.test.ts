import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { asCompleted, createTask, Future, run, sleep, TimeoutError } from '../src/index.js';

/** A Future that counts removeDoneCallback calls, to see asCompleted let go of it. */
class WatchedFuture<T> extends Future<T> {
  removals = 0;
  override removeDoneCallback(callback: (future: this) => unknown): number {
    const removed = super.removeDoneCallback(callback);
    this.removals += removed;
    return removed;
  }
}

/**
 * TypeScript types a `for await` variable as `Awaited<Future<T>>`, i.e. `T`, because a
 * Future is PromiseLike; at runtime it is the Future itself (what these tests check).
 */
function asFuture<T>(yielded: T): Future<T> {
  return yielded as unknown as Future<T>;
}

describe('asCompleted', () => {
  it('yields the original futures in completion order, fastest first', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        const slow = createTask(() => sleep(30, 'slow'));
        const fast = createTask(() => sleep(10, 'fast'));
        const middle = createTask(() => sleep(20, 'middle'));
        const yielded: Future<string>[] = [];

        for await (const next of asCompleted([slow, fast, middle])) {
          yielded.push(asFuture(next));
          trace.push(`${await next} at ${loop.time()}`);
        }

        expect(yielded).toEqual([fast, middle, slow]);
        expect(yielded[0]).toBe(fast);
      },
      { loop },
    );

    expect(trace).toEqual(['fast at 10', 'middle at 20', 'slow at 30']);
  });

  it('yields failed futures too, whose await throws', async () => {
    const failure = new Error('failed');

    await run(
      async () => {
        const outcomes: string[] = [];
        const failing = createTask(async () => {
          await sleep(5);
          throw failure;
        });

        for await (const next of asCompleted([sleep(10, 'ok'), failing])) {
          try {
            outcomes.push(await next);
          } catch (error) {
            outcomes.push((error as Error).message);
          }
        }

        expect(outcomes).toEqual(['failed', 'ok']);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('yields already-done futures first, and wraps Promises and runs functions as tasks', async () => {
    await run(
      async () => {
        const done = new Future<string>();
        done.setResult('done');
        const results: string[] = [];

        for await (const next of asCompleted<string>([
          sleep(10, 'sleep'),
          async () => 'function',
          done,
        ])) {
          expect(asFuture(next)).toBeInstanceOf(Future);
          results.push(await next);
        }

        expect(results).toEqual(['done', 'function', 'sleep']);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('ends at once for no awaitables', async () => {
    await run(
      async () => {
        const yielded: unknown[] = [];
        for await (const next of asCompleted([], { timeout: 10 })) yielded.push(next);

        expect(yielded).toEqual([]);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('throws TimeoutError at the timeout, after yielding what finished in time, cancelling nothing', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const fast = createTask(() => sleep(10, 'fast'));
        const slow = createTask(() => sleep(100, 'slow'));
        const yielded: Future<string>[] = [];
        let thrown: unknown;

        try {
          for await (const next of asCompleted([slow, fast], { timeout: 50 }))
            yielded.push(asFuture(next));
        } catch (error) {
          thrown = error;
        }

        expect(yielded).toEqual([fast]);
        expect(thrown).toBeInstanceOf(TimeoutError);
        expect(loop.time()).toBe(50);
        expect(slow.cancelled()).toBe(false);
        expect(await slow).toBe('slow');
      },
      { loop },
    );
  });

  it('lets go of the futures and the timer when the loop breaks early', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const fast = new WatchedFuture<string>();
        const slow = new WatchedFuture<string>();
        loop.callLater(10, () => fast.setResult('fast'));
        const iterator = asCompleted([fast, slow], { timeout: 1_000 });

        for await (const next of iterator) {
          expect(asFuture(next)).toBe(fast);
          break;
        }

        expect(slow.removals).toBe(1);
        expect(loop.nextTimerWhen()).toBeUndefined(); // the timeout timer is gone
        expect(await iterator.next()).toEqual({ value: undefined, done: true });
        slow.setResult('slow'); // completing it later touches nothing
        await sleep(0);
      },
      { loop },
    );
  });

  it('rejects a non-iterable or a bad timeout', () => {
    const loop = new VirtualLoop();

    expect(() => asCompleted(42 as never, { loop })).toThrow(TypeError);
    expect(() => asCompleted(42 as never, { loop })).toThrow(/^awaitables must be an iterable/);
    expect(() => asCompleted([], { loop, timeout: Number.NaN })).toThrow(RangeError);
    expect(() => asCompleted([], { loop, timeout: Number.NaN })).toThrow(/options.timeout/);
  });
});
