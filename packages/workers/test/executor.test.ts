/*
 * What both pools do alike (DESIGN §3 @coro/workers), with real threads and processes:
 * naming work, results and errors, map, backpressure, cancellation, shutdown.
 */

import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CancelledError, createTask, run, sleep } from '@coro/futures';
import { QueueFull } from '@coro/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext, PoolExecutor } from '../src/index.js';
import {
  fileAppears,
  pause,
  pools,
  rejection,
  scratchDirectory,
  spinForever,
  whoAmI,
} from './helpers.js';

const fixtures = join(import.meta.dirname, 'fixtures');

describe.each(pools)('%s', (_name, Pool) => {
  let pool: PoolExecutor;
  beforeAll(() => {
    pool = new Pool({ maxWorkers: 2, module: join(fixtures, 'tasks.mjs') });
  });
  afterAll(async () => {
    await pool.shutdown();
  });

  describe('a function sent by source', () => {
    it('runs with its arguments and resolves to its result', async () => {
      expect(await pool.submit((a: number, b: string) => `${b}${a + 1}`, 41, 'answer ')).toBe(
        'answer 42',
      );
    });

    it('runs async functions to their end', async () => {
      const result = await pool.submit(async (ms: number) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return 'slept';
      }, 5);

      expect(result).toBe('slept');
    });

    it('runs in another thread or process than the caller', async () => {
      const worker = await pool.submit(whoAmI);

      expect(worker).not.toBe(`${process.pid}:0`);
    });

    it('copies structured values both ways', async () => {
      const input = { when: new Date(0), tags: new Set(['a']), nested: [1n, new Map([[1, 'x']])] };

      const output = await pool.submit((value: typeof input) => value, input);

      expect(output).toEqual(input);
      expect(output).not.toBe(input);
    });

    it('can use globals: Math, JSON, Buffer, and built-in modules through require', async () => {
      const result = await pool.submit((text: string) => {
        const hash = require('node:crypto').createHash('sha1').update(text).digest('hex');
        return JSON.stringify([Math.max(1, 2), Buffer.from(text).length, hash.length]);
      }, 'coro');

      expect(JSON.parse(result)).toEqual([2, 4, 40]);
    });

    it('is compiled once per worker: the second call does not recompile', async () => {
      const single = new Pool({ maxWorkers: 1 });
      // A named function expression sees itself: state kept on it survives only if the
      // worker reuses the compiled function.
      const count = function counter(this: JobContext): number {
        const self = counter as unknown as { calls?: number };
        self.calls = (self.calls ?? 0) + 1;
        return self.calls;
      };
      const compiled = () =>
        (globalThis as unknown as Record<symbol, () => number>)[
          Symbol.for('@coro/workers.compiledCount')
        ]?.();

      const calls = [await single.submit(count), await single.submit(count)];
      const compilations = await single.submit(compiled);
      await single.shutdown();

      expect(calls).toEqual([1, 2]);
      expect(compilations).toBe(2); // `count` and `compiled` itself, each once
    });

    it('names the free variable of a function that is not self-contained, and shows the module form', async () => {
      const factor = 3;

      const error = await rejection(pool.submit((x: number) => x * factor, 2));

      expect(error).toBeInstanceOf(ReferenceError);
      expect((error as Error).message).toBe(
        "factor is not defined: the job function uses 'factor' from outside itself, but a " +
          'function sent to a worker runs there from its source text alone, without the ' +
          'variables and imports around it. Pass factor as an argument ' +
          '(executor.submit(jobFunction, factor)), or move the function into a module and ' +
          "name its export: new ThreadPoolExecutor({ module: new URL('./tasks.js', " +
          "import.meta.url) }).submit('exportName', ...args)",
      );
    });

    it('runs methods written in shorthand', async () => {
      const tasks = {
        triple(x: number) {
          return x * 3;
        },
      };

      expect(await pool.submit(tasks.triple, 5)).toBe(15);
    });

    it('rejects native and bound functions, classes and non-functions', () => {
      expect(() => pool.submit(Math.max as never)).toThrow(
        'task must be a function written in JavaScript (it is sent to the worker by its source); got the native or bound function function max',
      );
      expect(() => pool.submit(((x: number) => x).bind(null) as never)).toThrow(
        'task must be a function written in JavaScript (it is sent to the worker by its source); got the native or bound function function bound ',
      );
      expect(() => pool.submit(class Job {} as never)).toThrow(
        'task must be a function, not a class; got function Job',
      );
      expect(() => pool.submit(42 as never)).toThrow(
        "task must be a function or the name of an export of the pool's module; got 42",
      );
    });
  });

  describe('an export of the module', () => {
    it('runs by name', async () => {
      expect(await pool.submit<number>('add', 2, 3)).toBe(5);
      expect(await pool.submit<number>('slowDouble', 21, 5)).toBe(42);
    });

    it('fails with a TypeError naming the missing export and listing the others', async () => {
      const error = await rejection(pool.submit('nope'));

      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toBe(
        `the module ${pathToFileURL(join(fixtures, 'tasks.mjs')).href} has no exported function 'nope'; its exported functions: add, fail, slowDouble, waitForCancel`,
      );
      expect((await rejection(pool.submit('notAFunction'))) as Error).toBeInstanceOf(TypeError);
    });

    it('loads CommonJS modules, given as a file: URL', async () => {
      const cjs = new Pool({ maxWorkers: 1, module: pathToFileURL(join(fixtures, 'tasks.cjs')) });

      const results = [await cjs.submit('greet', 'coro'), await cjs.submit('square', 9)];
      await cjs.shutdown();

      expect(results).toEqual(['hello, coro', 81]);
    });

    it('fails every job with the load error when the module cannot be loaded', async () => {
      const broken = new Pool({ maxWorkers: 1, module: join(fixtures, 'missing.mjs') });

      const error = await rejection(broken.submit('add', 1, 2));
      await broken.shutdown();

      expect((error as Error).message).toMatch(/Cannot find module/);
    });

    it('needs a module to name an export', () => {
      const plain = new Pool({ maxWorkers: 1 });

      expect(() => plain.submit('add', 1, 2)).toThrow(
        "task 'add' names an export, but this pool has no module; pass { module: './tasks.js' } to the pool, or submit a function",
      );
    });
  });

  describe('errors', () => {
    it("keep the class name, message and the worker's stack; fail only their job", async () => {
      const failing = pool.submit<never>('fail', 'out of range');
      const fine = pool.submit((x: number) => x, 7);

      const error = (await rejection(failing)) as Error;

      expect(error).toBeInstanceOf(RangeError);
      expect(error.name).toBe('RangeError');
      expect(error.message).toBe('out of range');
      expect(error.stack).toMatch(/RangeError: out of range\n\s+at (\S+\.)?fail \(.*tasks\.mjs/);
      expect(await fine).toBe(7);
    });

    it('keep the name of a custom class, its own fields and its cause', async () => {
      const error = (await rejection(
        pool.submit(() => {
          class ValidationError extends Error {
            field = 'email';
          }
          ValidationError.prototype.name = 'ValidationError';
          throw new ValidationError('bad address', { cause: new TypeError('not a string') });
        }),
      )) as Error & { field: string; cause: Error };

      expect(error.name).toBe('ValidationError');
      expect(String(error)).toBe('ValidationError: bad address');
      expect(error.field).toBe('email');
      expect(error.cause).toBeInstanceOf(TypeError);
      expect(error.cause.message).toBe('not a string');
    });

    it('pass thrown non-errors through as they are', async () => {
      expect(await rejection(pool.submit(() => Promise.reject({ code: 7 })))).toEqual({ code: 7 });
      expect(
        await rejection(
          pool.submit(() => {
            throw 'plain';
          }),
        ),
      ).toBe('plain');
    });

    it('fail the job whose result cannot be cloned, not the others, saying it is the result (issue 11 case 9)', async () => {
      const bad = pool.submit(() => Symbol('unclonable'));
      const good = pool.submit(() => 'fine');

      expect(String(await rejection(bad))).toBe(
        "TypeError: the job's result cannot be sent back from the worker: Symbol(unclonable) could not be cloned.",
      );
      expect(await good).toBe('fine');
    });

    it('fail the job whose arguments cannot be cloned', async () => {
      const error = await rejection(
        pool.submit(
          (f: unknown) => typeof f,
          () => 1,
        ),
      );

      expect((error as Error).name).toBe('DataCloneError');
    });
  });

  describe('map', () => {
    it('yields results in input order, including from an async iterable', async () => {
      async function* numbers() {
        for (let i = 1; i <= 5; i++) yield i;
      }
      const results: number[] = [];

      for await (const value of pool.map(async (n: number) => {
        await new Promise((resolve) => setTimeout(resolve, (5 - n) * 3));
        return n * 10;
      }, numbers())) {
        results.push(value);
      }

      expect(results).toEqual([10, 20, 30, 40, 50]);
    });

    it('runs chunks of items per job with chunksize', async () => {
      const results: string[] = [];

      for await (const value of pool.map(
        (n: number) => `${n}@${process.pid}:${require('node:worker_threads').threadId}`,
        [1, 2, 3, 4, 5],
        { chunksize: 2 },
      )) {
        results.push(value);
      }

      expect(results.map((value) => value.split('@')[0])).toEqual(['1', '2', '3', '4', '5']);
      // Items of one chunk ran in the same worker.
      expect(results[0]?.split('@')[1]).toBe(results[1]?.split('@')[1]);
    });

    it('keeps at most maxWorkers * 2 jobs in flight, reading items as room frees up', async () => {
      let read = 0;
      function* items() {
        for (let i = 0; i < 20; i++) {
          read++;
          yield i;
        }
      }
      const iterator = pool.map((n: number) => n, items())[Symbol.asyncIterator]();

      const first = await iterator.next();
      const readAfterFirst = read;
      await iterator.return?.();

      expect(first.value).toBe(0);
      expect(readAfterFirst).toBeLessThanOrEqual(2 * 2 + 1);
    });

    it("throws a job's error where its result would come", async () => {
      const seen: number[] = [];

      const error = await rejection(
        (async () => {
          for await (const value of pool.map(
            (n: number) => {
              if (n === 3) throw new RangeError('three');
              return n;
            },
            [1, 2, 3, 4],
          )) {
            seen.push(value);
          }
        })(),
      );

      expect(seen).toEqual([1, 2]);
      expect((error as Error).message).toBe('three');
    });

    it('validates its options', () => {
      expect(() => pool.map((n: number) => n, [1], { chunksize: 0 })).toThrow(
        new RangeError('options.chunksize must be an integer >= 1; got 0'),
      );
      expect(() => pool.map((n: number) => n, 5 as never)).toThrow('items must be iterable; got 5');
    });
  });

  describe('cancellation', () => {
    it('removes a queued job: it never runs', async () => {
      const single = new Pool({ maxWorkers: 1 });
      const countRun = () => {
        const state = globalThis as { ran?: number };
        state.ran = (state.ran ?? 0) + 1;
        return state.ran;
      };
      const first = single.submit(async (ms: number) => {
        const state = globalThis as { ran?: number };
        state.ran = (state.ran ?? 0) + 1;
        await new Promise((resolve) => setTimeout(resolve, ms));
      }, 200);
      const queued = single.submit(countRun);

      expect(queued.cancel()).toBe(true);
      await first;
      const runs = await single.submit(countRun);
      await single.shutdown();

      expect(queued.cancelled()).toBe(true);
      expect(runs).toBe(2); // the first job and this one: not the cancelled one
    });

    it('terminates the worker of a running job that ignores its signal, and replaces it', async () => {
      const single = new Pool({ maxWorkers: 1, cancelGraceMs: 10 });
      const scratch = scratchDirectory();
      const before = await single.submit(whoAmI);
      const marker = join(scratch.path, 'started');
      const spinning = single.submit(spinForever, marker);
      await fileAppears(marker);

      spinning.cancel();
      const after = await single.submit(whoAmI);
      await single.shutdown();
      scratch.remove();

      expect(spinning.cancelled()).toBe(true);
      expect(after).not.toBe(before);
    });

    it('aborts the signal of a running job, which can stop early and keep its worker', async () => {
      const single = new Pool({ maxWorkers: 1, cancelGraceMs: 60_000 });
      const scratch = scratchDirectory();
      const before = await single.submit(whoAmI);
      const marker = join(scratch.path, 'started');
      const outcome = join(scratch.path, 'outcome');
      const cooperative = single.submit(
        function (this: JobContext, started: string, outcomePath: string) {
          const fs = require('node:fs');
          const signal = this.signal;
          fs.writeFileSync(started, 'started');
          return new Promise<void>((resolve) => {
            signal.addEventListener('abort', () => {
              fs.writeFileSync(outcomePath, `${signal.reason.name}: ${signal.reason.message}`);
              resolve();
            });
          });
        },
        marker,
        outcome,
      );
      await fileAppears(marker);

      cooperative.cancel();
      await fileAppears(outcome);
      const after = await single.submit(whoAmI);
      const reason = await single.submit(
        (path: string) => require('node:fs').readFileSync(path, 'utf8'),
        outcome,
      );
      await single.shutdown();
      scratch.remove();

      expect(after).toBe(before); // no restart
      expect(reason).toBe('AbortError: the job was cancelled');
    });

    it("follows the job's cancellation in currentSignal(): the next job on that worker gets a fresh signal", async () => {
      const single = new Pool({
        maxWorkers: 1,
        module: join(fixtures, 'tasks.mjs'),
        cancelGraceMs: 60_000,
      });
      const readSignal = function (this: JobContext) {
        const current = (globalThis as Record<symbol, { signal: AbortSignal }>)[
          Symbol.for('@coro/workers.currentJob')
        ]?.signal;
        return { same: current === this.signal, aborted: this.signal.aborted };
      };
      const before = await single.submit(whoAmI);
      const cancelled = single.submit<string>('waitForCancel');
      await pause(50);

      cancelled.cancel();
      const next = await single.submit(readSignal);
      const after = await single.submit(whoAmI);
      await single.shutdown();

      expect(cancelled.cancelled()).toBe(true);
      expect(after).toBe(before); // the same worker: the cancelled job stopped on its signal
      expect(next).toEqual({ same: true, aborted: false });
    });

    it('is reached by cancelling the task that awaits the job', async () => {
      const single = new Pool({
        maxWorkers: 1,
        module: join(fixtures, 'tasks.mjs'),
        cancelGraceMs: 60_000,
      });
      let outcome: unknown;

      await run(async () => {
        const waiter = createTask(async () => {
          const job = single.submit<string>('waitForCancel');
          try {
            await job;
          } finally {
            outcome = job.cancelled() ? 'job cancelled' : 'job still running';
          }
        });
        await sleep(50);
        waiter.cancel();
        expect(await rejection(waiter)).toBeInstanceOf(CancelledError);
      });
      const stillServing = await single.submit<number>('add', 1, 1);
      await single.shutdown();

      expect(outcome).toBe('job cancelled');
      expect(stillServing).toBe(2);
    });

    it('gives a job up when the AbortSignal given to submitWith aborts', async () => {
      const controller = new AbortController();
      const job = pool.submitWith(
        { signal: controller.signal },
        (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
        60_000,
      );

      controller.abort(new Error('no longer needed'));

      expect(((await rejection(job)) as Error).message).toBe('no longer needed');
      expect(
        (await rejection(pool.submitWith({ signal: AbortSignal.abort() }, () => 1))) as Error,
      ).toHaveProperty('name', 'AbortError');
    });

    it("is cancelled, not failed, when the signal given to submitWith aborts with a CancelledError (a task's signal)", async () => {
      const controller = new AbortController();
      const job = pool.submitWith(
        { signal: controller.signal },
        (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
        60_000,
      );
      const already = pool.submitWith(
        { signal: AbortSignal.abort(new CancelledError('gave up before')) },
        () => 1,
      );

      controller.abort(new CancelledError('the task was cancelled'));

      expect(await rejection(job)).toBeInstanceOf(CancelledError);
      expect(job.cancelled()).toBe(true);
      expect(already.cancelled()).toBe(true);
      expect(pool.unsettledCount).toBe(0);
    });
  });

  describe('maxQueue', () => {
    it('makes submitNowait throw QueueFull and submit wait for room', async () => {
      const bounded = new Pool({ maxWorkers: 1, maxQueue: 1 });
      const nap = (ms: number) =>
        new Promise<string>((resolve) => setTimeout(() => resolve(`napped ${ms}`), ms));
      const running = bounded.submitNowait(nap, 300);
      await pause(50);
      const waiting = bounded.submitNowait(nap, 1);

      expect(() => bounded.submitNowait(nap, 2)).toThrow(QueueFull);
      const later = bounded.submit(nap, 3);
      expect(later.done()).toBe(false);

      expect(await Promise.all([running, waiting, later])).toEqual([
        'napped 300',
        'napped 1',
        'napped 3',
      ]);
      await bounded.shutdown();
    });

    it('lets a job waiting for room be cancelled', async () => {
      const bounded = new Pool({ maxWorkers: 1, maxQueue: 1 });
      const nap = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const running = bounded.submit(nap, 100);
      const queued = bounded.submit(nap, 1);
      const waiting = bounded.submit(nap, 1);

      waiting.cancel();
      await Promise.all([running, queued]);
      await bounded.shutdown();

      expect(waiting.cancelled()).toBe(true);
      expect(bounded.unsettledCount).toBe(0);
    });
  });

  describe('shutdown', () => {
    it('waits for the jobs, then refuses new ones', async () => {
      const closing = new Pool({ maxWorkers: 1 });
      const job = closing.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return 'finished';
      });

      await closing.shutdown();

      expect(job.result()).toBe('finished');
      expect(() => closing.submit(() => 1)).toThrow('cannot submit a job after shutdown()');
    });

    it('cancels the jobs that have not started with cancelFutures', async () => {
      const closing = new Pool({ maxWorkers: 1 });
      const scratch = scratchDirectory();
      const marker = join(scratch.path, 'started');
      const running = closing.submit((started: string) => {
        require('node:fs').writeFileSync(started, 'started');
        return new Promise((resolve) => setTimeout(() => resolve('ran'), 100));
      }, marker);
      await fileAppears(marker);
      const queued = [closing.submit(() => 1), closing.submit(() => 2)];

      await closing.shutdown({ cancelFutures: true });
      scratch.remove();

      expect(await running).toBe('ran');
      expect(queued.map((job) => job.cancelled())).toEqual([true, true]);
    });

    it('returns at once with wait: false, and the jobs still finish', async () => {
      const closing = new Pool({ maxWorkers: 1 });
      const job = closing.submit(async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return 'finished later';
      });

      await closing.shutdown({ wait: false });
      const doneAtReturn = job.done();

      expect(doneAtReturn).toBe(false);
      expect(await job).toBe('finished later');
      await closing.shutdown(); // the same wait, now for the workers
    });

    it('shuts down at the end of an await using block', async () => {
      let escaped: PoolExecutor | undefined;
      {
        await using scoped = new Pool({ maxWorkers: 1 });
        escaped = scoped;
        expect(await scoped.submit(() => 'inside')).toBe('inside');
      }

      expect(() => escaped?.submit(() => 1)).toThrow('cannot submit a job after shutdown()');
    });
  });

  it('validates its options', () => {
    expect(() => new Pool({ maxWorkers: 0 })).toThrow(
      'options.maxWorkers must be an integer >= 1; got 0',
    );
    expect(() => new Pool({ maxQueue: -1 })).toThrow(
      new RangeError('options.maxQueue must be an integer >= 0; got -1'),
    );
    expect(() => new Pool({ maxMemoryMb: 'lots' as never })).toThrow(TypeError);
    expect(() => new Pool({ module: new URL('https://example.com/tasks.js') })).toThrow(
      /file: URL/,
    );
    expect(() => new Pool({ execArgv: 'x' as never })).toThrow(
      'options.execArgv must be an array of strings; got "x" (a string)',
    );
  });

  it('defaults maxWorkers to the available parallelism', async () => {
    const { availableParallelism } = await import('node:os');

    expect(new Pool().maxWorkers).toBe(availableParallelism());
  });
});
