/*
 * runInExecutor and toThread: the executor parts of CPython's test_base_events
 * (run_in_executor) and test_threads (to_thread), and the default executor's life:
 * made per loop on first use, shut down by run() at its end.
 */
import { CancelledError, createTask, gather, run, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import {
  type Executor,
  getDefaultExecutor,
  runInExecutor,
  ThreadPoolExecutor,
  toThread,
} from '../src/index.js';
import { rejection } from './helpers.js';

describe('runInExecutor', () => {
  it('runs the function on the given executor (test_run_in_executor)', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });

    const result = await run(() => runInExecutor(executor, (x: string) => `${x}!`, 'done'));
    await executor.shutdown();

    expect(result).toBe('done!');
  });

  it('uses the loop’s default thread pool when the executor is null', async () => {
    const result = await run(async () => {
      const value = await runInExecutor(null, (a: number, b: number) => a + b, 1, 2);
      return [value, getDefaultExecutor() instanceof ThreadPoolExecutor];
    });

    expect(result).toEqual([3, true]);
  });

  it('accepts any object with the Executor methods', async () => {
    const inner = new ThreadPoolExecutor({ maxWorkers: 1 });
    const submitted: string[] = [];
    const executor = {
      submit: (task: never, ...args: never[]) => {
        submitted.push('submit');
        return inner.submit(task, ...args);
      },
    } as unknown as Executor;

    const result = await run(() => runInExecutor(executor, () => 'custom'));
    await inner.shutdown();

    expect([result, submitted]).toEqual(['custom', ['submit']]);
  });

  it('refuses an executor that is not one', () => {
    expect(() => runInExecutor({} as never, () => 1)).toThrow(
      'executor must be an Executor or null; got',
    );
  });

  it('cancels the job when the awaiting task is cancelled (test_run_in_executor_cancel)', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1, cancelGraceMs: 10 });

    const outcome = await run(async () => {
      const job = runInExecutor(
        executor,
        (ms: number) => new Promise((r) => setTimeout(r, ms)),
        60_000,
      );
      const waiter = createTask(() => job);
      await sleep(20);
      waiter.cancel();
      return [await rejection(waiter), job.cancelled()];
    });
    await executor.shutdown();

    expect(outcome[0]).toBeInstanceOf(CancelledError);
    expect(outcome[1]).toBe(true);
  });
});

describe('toThread', () => {
  it('passes positional arguments (test_to_thread_args)', async () => {
    const result = await run(() => toThread((...values: number[]) => values.join(','), 1, 2, 3));

    expect(result).toBe('1,2,3');
  });

  it('raises the function’s exception in the caller (test_to_thread_exception)', async () => {
    const error = await rejection(
      run(() =>
        toThread(() => {
          throw new TypeError('bad input');
        }),
      ),
    );

    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('bad input');
  });

  it('runs once per call (test_to_thread_once)', async () => {
    const results = await run(() =>
      gather(Array.from({ length: 5 }, (_, i) => toThread((n: number) => n * n, i))),
    );

    expect(results).toEqual([0, 1, 4, 9, 16]);
  });

  it('runs calls concurrently (test_to_thread_concurrent)', async () => {
    const threads = await run(async () => {
      const nap = (ms: number) =>
        new Promise((resolve) =>
          setTimeout(() => resolve(require('node:worker_threads').threadId), ms),
        );
      const first = toThread(nap, 200);
      const second = toThread(nap, 200);
      return new Set(await gather([first, second]));
    });

    // Whatever the machine's parallelism, two naps may overlap on two threads: at least
    // they run without error; on 2+ cores they run on different threads.
    expect(threads.size).toBeGreaterThanOrEqual(1);
  });

  it('refuses a task that is not a function', () => {
    expect(() => toThread('add' as never)).toThrow('task must be a function; got');
  });
});

describe('the default executor', () => {
  it('is one per loop, shut down when run() ends (asyncio.run’s shutdown_default_executor)', async () => {
    let inside: ThreadPoolExecutor | undefined;

    await run(async () => {
      await toThread(() => 1);
      inside = getDefaultExecutor();
      expect(getDefaultExecutor()).toBe(inside);
    });

    expect(inside?.workers).toEqual([]);
    expect(() => inside?.submit(() => 1)).toThrow('cannot submit a job after shutdown()');
  });

  it('is a new one for the next run()', async () => {
    const first = await run(async () => getDefaultExecutor());
    const second = await run(async () => getDefaultExecutor());

    expect(second).not.toBe(first);
  });
});
