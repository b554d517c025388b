/*
 * The parts an executor is made of, exported for executors outside this package (as
 * @coro/distributed's QueueExecutor): mapInOrder, JobFuture, rebuildError, moduleUrlOf.
 * The pools use the same parts (test/executor.test.ts covers them through the pools).
 */

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancelledError, Future, run, sleep, TimeoutError } from '@coro/futures';
import { rejection } from '@coro/test-support';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobFuture, mapInOrder, moduleUrlOf, rebuildError } from '../src/index.js';

/** A Future settled after `ms` with `value`, unless cancelled first. */
function later<T>(value: T, ms: number, started: Future<T>[]): Future<T> {
  const future = new Future<T>();
  started.push(future);
  setTimeout(() => {
    if (!future.done()) future.setResult(value);
  }, ms);
  return future;
}

/** A Future nobody settles: only a cancel ends it. */
function pending<T>(started: Future<T>[]): Future<T> {
  const future = new Future<T>();
  started.push(future);
  return future;
}

describe('mapInOrder', () => {
  it('yields the results in input order, whatever order the Futures finish in', async () => {
    await run(async () => {
      const started: Future<number>[] = [];
      const results: number[] = [];
      for await (const value of mapInOrder(
        [1, 2, 3, 4],
        (n) => later(n * 10, 40 - n * 10, started),
        4,
      )) {
        results.push(value);
      }
      expect(results).toEqual([10, 20, 30, 40]);
    });
  });

  it('keeps at most `limit` Futures in flight and reads an item only when there is room', () =>
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 12 }),
        (limit, count) =>
          run(async () => {
            let inFlight = 0;
            let most = 0;
            let read = 0;
            function* items() {
              for (let i = 0; i < count; i++) {
                read++;
                expect(inFlight).toBeLessThan(limit); // read only when its Future can start
                yield i;
              }
            }
            const start = (item: number) => {
              inFlight++;
              most = Math.max(most, inFlight);
              const future = new Future<number>();
              setTimeout(() => {
                inFlight--;
                future.setResult(item);
              }, 1);
              return future;
            };
            const results: number[] = [];
            for await (const value of mapInOrder(items(), start, limit)) results.push(value);
            expect(results).toEqual(Array.from({ length: count }, (_, i) => i));
            expect(most).toBeLessThanOrEqual(limit);
            expect(read).toBe(count);
          }),
      ),
      { numRuns: 20 },
    ));

  it('cancels the Futures in flight and closes the items when the loop is left early', async () => {
    await run(async () => {
      const started: Future<number>[] = [];
      let closed = false;
      function* endless() {
        try {
          for (let i = 0; ; i++) yield i;
        } finally {
          closed = true;
        }
      }
      // 0 and 1 are done at once; the others stay pending until cancelled
      const start = (n: number) => (n < 2 ? later(n, 0, started) : pending(started));
      for await (const value of mapInOrder(endless(), start, 3)) {
        if (value === 1) break;
      }
      expect(closed).toBe(true);
      expect(started.length).toBe(4); // 0, 1, 2, then 3 once 0 was taken
      expect(started.map((future) => future.cancelled())).toEqual([false, false, true, true]);
    });
  });

  it("throws a Future's error where its result would come, cancelling the rest", async () => {
    await run(async () => {
      const started: Future<number>[] = [];
      const start = (n: number) => {
        if (n === 1) return later(n, 0, started);
        if (n === 3) return pending(started);
        const failing = new Future<number>();
        started.push(failing);
        failing.setException(new RangeError('no 2'));
        return failing;
      };
      const seen: number[] = [];
      const error = await rejection(
        (async () => {
          for await (const value of mapInOrder([1, 2, 3], start, 3)) seen.push(value);
        })(),
      );
      expect(error).toBeInstanceOf(RangeError);
      expect(seen).toEqual([1]);
      expect(started[2]?.cancelled()).toBe(true);
    });
  });

  it('checks its arguments at the call, not at the first step', () => {
    expect(() => mapInOrder(42 as never, () => new Future(), 1)).toThrow(
      'items must be iterable; got 42',
    );
    expect(() => mapInOrder([], 'f' as never, 1)).toThrow(TypeError);
    expect(() => mapInOrder([], () => new Future(), 0)).toThrow(RangeError);
  });
});

class RecordedJob extends JobFuture<string> {
  releases = 0;
  protected release(): void {
    this.releases++;
  }
}

describe('JobFuture', () => {
  it('is released once when cancelled, and not by a second cancel', async () => {
    await run(async () => {
      const job = new RecordedJob();
      expect(job.cancel('no longer wanted')).toBe(true);
      expect(job.cancel()).toBe(false);
      expect(job.releases).toBe(1);
    });
  });

  it('is cancelled and released when the signal it listens to fires', async () => {
    await run(async () => {
      const controller = new AbortController();
      const job = new RecordedJob();
      job.listen(controller.signal);
      controller.abort(new CancelledError('not needed'));
      expect(job.cancelled()).toBe(true);
      expect(job.releases).toBe(1);
    });
  });

  it("fails with the signal's reason when that is not a cancellation, and is released", async () => {
    await run(async () => {
      const controller = new AbortController();
      const job = new RecordedJob();
      job.listen(controller.signal);
      controller.abort(new RangeError('deadline'));
      expect(job.exception()).toBeInstanceOf(RangeError);
      expect(job.releases).toBe(1);
    });
  });

  it('is not released once it settled and stopped listening', async () => {
    await run(async () => {
      const controller = new AbortController();
      const job = new RecordedJob();
      job.listen(controller.signal);
      job.unlisten();
      job.setResult('ran');
      controller.abort();
      await sleep(0);
      expect(job.result()).toBe('ran');
      expect(job.releases).toBe(0);
    });
  });
});

describe('rebuildError', () => {
  it('rebuilds a built-in class by name, with the given message and stack', () => {
    const stack = 'TypeError: not a number\n    at parse (jobs.js:1:1)';
    const error = rebuildError({ name: 'TypeError', message: 'not a number', stack });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('not a number');
    expect(error.stack).toBe(stack);
  });

  it('makes another class an Error that keeps its name', () => {
    const error = rebuildError({ name: 'ImageError', message: 'bad header' });
    expect(error.constructor).toBe(Error);
    expect(error.name).toBe('ImageError');
    expect(Object.keys(error)).toEqual([]); // name and stack are not enumerable
  });

  it('looks `classes` up first', () => {
    expect(
      rebuildError({ name: 'TimeoutError', message: 'late' }, { TimeoutError }),
    ).toBeInstanceOf(TimeoutError);
    expect(
      rebuildError({ name: 'CancelledError', message: 'stop' }, { CancelledError }),
    ).toBeInstanceOf(CancelledError);
  });

  it('sets cause only when given, and makes an AggregateError of `errors`', () => {
    expect('cause' in rebuildError({ name: 'Error', message: 'x' })).toBe(false);
    const inner = new RangeError('inner');
    expect(rebuildError({ name: 'Error', message: 'x', cause: inner }).cause).toBe(inner);
    const aggregate = rebuildError({ name: 'AggregateError', message: 'all', errors: [inner] });
    expect(aggregate).toBeInstanceOf(AggregateError);
    expect((aggregate as AggregateError).errors).toEqual([inner]);
  });
});

describe('moduleUrlOf', () => {
  it('resolves a path against the current directory', () => {
    expect(moduleUrlOf('jobs.js')).toBe(pathToFileURL(resolve('jobs.js')).href);
  });

  it('keeps a file: URL, as a string or a URL', () => {
    expect(moduleUrlOf('file:///srv/jobs.js')).toBe('file:///srv/jobs.js');
    expect(moduleUrlOf(new URL('file:///srv/jobs.js'))).toBe('file:///srv/jobs.js');
  });

  it('refuses another scheme, an empty string and a non-string, naming the argument', () => {
    expect(() => moduleUrlOf(new URL('https://example.com/jobs.js'))).toThrow(
      'options.module must be a file: URL or a path; got https://example.com/jobs.js',
    );
    expect(() => moduleUrlOf('', 'module')).toThrow('module must be a path or a file: URL; got ""');
    expect(() => moduleUrlOf(42 as never)).toThrow(TypeError);
  });
});
