import { CancelledError, createTask, gather, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import {
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
} from '../src/index.js';
import { runVirtual } from './helpers.js';

describe('Queue', () => {
  it('reports size, emptiness and fullness (test_empty, test_full, test_maxsize)', () => {
    const queue = new Queue<number>({ maxsize: 2 });
    expect([queue.empty(), queue.full(), queue.qsize(), queue.maxsize]).toEqual([
      true,
      false,
      0,
      2,
    ]);
    queue.putNowait(1);
    queue.putNowait(2);
    expect([queue.empty(), queue.full(), queue.qsize()]).toEqual([false, true, 2]);
    expect(new Queue().full()).toBe(false);
  });

  it('rejects a negative or fractional maxsize with a RangeError naming maxsize', () => {
    expect(() => new Queue({ maxsize: -1 })).toThrow(
      new RangeError('maxsize must be an integer >= 0; got -1'),
    );
    expect(() => new Queue({ maxsize: 1.5 })).toThrow(RangeError);
    expect(() => new Queue({ maxsize: '3' as never })).toThrow(TypeError);
  });

  it('hands items out in FIFO order (test_order)', async () => {
    const queue = new Queue<number>();
    for (const n of [1, 3, 2]) queue.putNowait(n);
    expect([await queue.get(), await queue.get(), queue.getNowait()]).toEqual([1, 3, 2]);
  });

  it('throws QueueEmpty and QueueFull from the nowait calls (test_nonblocking_get_exception, test_nonblocking_put_exception)', () => {
    const queue = new Queue<number>({ maxsize: 1 });
    expect(() => queue.getNowait()).toThrow(QueueEmpty);
    queue.putNowait(1);
    expect(() => queue.putNowait(2)).toThrow(QueueFull);
    expect(new QueueFull().name).toBe('QueueFull');
  });

  it('blocks put() while full until a get() makes room (test_blocking_put_wait)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>({ maxsize: 1 });
      const trace: string[] = [];
      const putter = createTask(async () => {
        for (const n of [1, 2]) {
          await queue.put(n);
          trace.push(`put ${n}`);
        }
      });
      await sleep(10);
      expect(trace).toEqual(['put 1']);

      trace.push(`got ${await queue.get()}`);
      await putter;

      expect(trace).toEqual(['put 1', 'got 1', 'put 2']);
    });
  });

  it('wakes blocked getters in arrival order (test_get_with_waiting_putters / fairness)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<string>();
      const getters = ['a', 'b', 'c'].map((name) =>
        createTask(async () => `${name}:${await queue.get()}`),
      );
      await sleep(0);
      for (const item of ['1', '2', '3']) queue.putNowait(item);
      expect(await gather(getters)).toEqual(['a:1', 'b:2', 'c:3']);
    });
  });

  it('lets no new get() barge past a woken getter', async () => {
    await runVirtual(async () => {
      const queue = new Queue<string>();
      const waiting = createTask(() => queue.get());
      await sleep(0);
      queue.putNowait('first');
      const newcomer = queue.get(); // the woken getter has not run yet
      queue.putNowait('second');
      expect(await waiting).toBe('first');
      expect(await newcomer).toBe('second');
    });
  });

  it('lets a new get() take an unreserved item at once while a granted getter has not run', async () => {
    await runVirtual(async () => {
      const queue = new Queue<string>();
      const waiting = createTask(() => queue.get());
      await sleep(0);
      queue.putNowait('first'); // granted to the waiting getter
      queue.putNowait('second'); // nobody's yet
      const newcomer = queue.get();
      expect(queue.qsize()).toBe(1); // taken synchronously, no wait
      const results = [await newcomer, await waiting];
      expect(results.sort()).toEqual(['first', 'second']);
      expect(queue.empty()).toBe(true);
    });
  });

  it('takes from a non-empty queue and puts into a queue with room without waiting', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>({ maxsize: 3 });
      const puts = [queue.put(1), queue.put(2)];
      expect(queue.qsize()).toBe(2); // put synchronously
      expect(puts[0]).toBe(puts[1]); // one shared resolved promise: no waiter allocated
      const got = queue.get();
      expect(queue.qsize()).toBe(1); // taken synchronously
      expect(await got).toBe(1);
    });
  });

  it('hands each put item to a waiting getter with one wake-up, in arrival order, many at once', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>({ maxsize: 2 });
      const seen: number[] = [];
      const consumers = Array.from({ length: 3 }, () =>
        createTask(async () => {
          for (let i = 0; i < 20; i++) seen.push(await queue.get());
        }),
      );
      const producers = Array.from({ length: 3 }, (_, p) =>
        createTask(async () => {
          for (let i = 0; i < 20; i++) await queue.put(p * 100 + i);
        }),
      );
      await gather([...consumers, ...producers]);
      // Each producer's items come out in the order it put them.
      for (let p = 0; p < 3; p++) {
        const mine = seen.filter((n) => Math.floor(n / 100) === p);
        expect(mine).toEqual(Array.from({ length: 20 }, (_, i) => p * 100 + i));
      }
      expect(queue.empty()).toBe(true);
    });
  });

  it('leaves the item for the next getter when a woken get() is cancelled (DESIGN §4, test_cancelled_getters_not_being_held_in_self_getters)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<string>();
      const first = createTask(() => queue.get());
      const second = createTask(() => queue.get());
      await sleep(0);

      queue.putNowait('only');
      first.cancel(); // woken, then cancelled before it ran

      await expect(first).rejects.toBeInstanceOf(CancelledError);
      expect(await second).toBe('only');
      expect(queue.empty()).toBe(true);
    });
  });

  it('passes the room on when a woken put() is cancelled (test_cancelled_puts_not_being_held_in_self_putters)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<string>({ maxsize: 1 });
      queue.putNowait('x');
      const first = createTask(() => queue.put('a'));
      const second = createTask(() => queue.put('b'));
      await sleep(0);

      expect(queue.getNowait()).toBe('x');
      first.cancel();
      await expect(first).rejects.toBeInstanceOf(CancelledError);
      await second;

      expect(queue.getNowait()).toBe('b');
    });
  });

  it('rejects get() with the signal reason and frees its place', async () => {
    const queue = new Queue<number>();
    const error = await queue.get({ signal: AbortSignal.timeout(5) }).catch((e) => e);
    expect((error as Error).name).toBe('TimeoutError');
    queue.putNowait(1);
    expect(await queue.get()).toBe(1);
  });

  it('counts unfinished items for join() (test_task_done, test_join_empty_queue)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>();
      await queue.join(); // nothing put: at once
      for (let n = 0; n < 5; n++) queue.putNowait(n);
      let total = 0;
      const workers = [1, 2].map(() =>
        createTask(async () => {
          for (;;) {
            total += await queue.get();
            queue.taskDone();
          }
        }),
      );
      await queue.join();
      expect(total).toBe(10);
      for (const worker of workers) worker.cancel();
    });
  });

  it('throws a RangeError when taskDone() outnumbers the items (test_task_done_underflow)', () => {
    const queue = new Queue<number>();
    expect(() => queue.taskDone()).toThrow(
      new RangeError('taskDone() called more times than items were put in the queue'),
    );
  });

  it('iterates with for await until shut down and drained', async () => {
    await runVirtual(async () => {
      const queue = new Queue<string>({ maxsize: 1 });
      const seen: string[] = [];
      const consumer = createTask(async () => {
        for await (const item of queue) seen.push(item);
        return 'ended';
      });
      for (const item of ['a', 'b', 'c']) await queue.put(item);
      queue.shutdown();
      expect(await consumer).toBe('ended');
      expect(seen).toEqual(['a', 'b', 'c']);
    });
  });

  it('describes a blocked getter for the call graph', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>();
      const getter = createTask(() => queue.get(), { name: 'consumer' });
      await sleep(0);
      expect(getter.describe()).toBe("Task 'consumer' waiting for Queue.get: empty");
      getter.cancel();
    });
  });
});

describe('Queue.shutdown (Python 3.13)', () => {
  it('makes put() and putNowait() throw QueueShutDown, blocked putters included (test_shutdown_put)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>({ maxsize: 1 });
      queue.putNowait(1);
      const blocked = createTask(() => queue.put(2));
      await sleep(0);

      queue.shutdown();

      await expect(blocked).rejects.toBeInstanceOf(QueueShutDown);
      await expect(queue.put(3)).rejects.toBeInstanceOf(QueueShutDown);
      expect(() => queue.putNowait(3)).toThrow(QueueShutDown);
    });
  });

  it('lets get() drain the items, then throw (test_shutdown_get)', async () => {
    const queue = new Queue<number>();
    queue.putNowait(1);
    queue.putNowait(2);
    queue.shutdown();
    expect(await queue.get()).toBe(1);
    expect(queue.getNowait()).toBe(2);
    await expect(queue.get()).rejects.toBeInstanceOf(QueueShutDown);
    expect(() => queue.getNowait()).toThrow(QueueShutDown);
  });

  it('wakes blocked getters with QueueShutDown (test_shutdown_empty)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>();
      const getters = [createTask(() => queue.get()), createTask(() => queue.get())];
      await sleep(0);
      queue.shutdown();
      for (const getter of getters) await expect(getter).rejects.toBeInstanceOf(QueueShutDown);
    });
  });

  it('drops the items with immediate, counting them done so join() returns (test_shutdown_immediate)', async () => {
    await runVirtual(async () => {
      const queue = new Queue<number>();
      for (const n of [1, 2, 3]) queue.putNowait(n);
      queue.getNowait(); // taken but not marked done
      const joiner = createTask(() => queue.join());
      await sleep(0);

      queue.shutdown(true);
      expect(queue.qsize()).toBe(0);
      await sleep(0);
      expect(joiner.done()).toBe(false); // the item taken is still unfinished

      queue.taskDone();
      await joiner;
      await expect(queue.get()).rejects.toBeInstanceOf(QueueShutDown);
    });
  });

  it('rejects a non-boolean immediate with a TypeError', () => {
    expect(() => new Queue().shutdown('yes' as never)).toThrow(
      new TypeError('immediate must be a boolean; got "yes" (a string)'),
    );
  });
});

describe('PriorityQueue', () => {
  it('orders numbers, and arrays like Python tuples (test_order)', () => {
    const numbers = new PriorityQueue<number>();
    for (const n of [1, 3, 2]) numbers.putNowait(n);
    expect([numbers.getNowait(), numbers.getNowait(), numbers.getNowait()]).toEqual([1, 2, 3]);

    const tuples = new PriorityQueue<[number, string]>();
    for (const item of [
      [2, 'b'],
      [1, 'z'],
      [2, 'a'],
      [1, 'y'],
    ] as [number, string][])
      tuples.putNowait(item);
    const out = [1, 2, 3, 4].map(() => tuples.getNowait());
    expect(out).toEqual([
      [1, 'y'],
      [1, 'z'],
      [2, 'a'],
      [2, 'b'],
    ]);
  });

  it('uses options.compare when given', () => {
    const queue = new PriorityQueue<{ at: number }>({ compare: (a, b) => b.at - a.at });
    for (const at of [1, 5, 3]) queue.putNowait({ at });
    expect(queue.getNowait().at).toBe(5);
  });

  it('throws a TypeError for items it cannot order, and for a compare that is not a function', () => {
    const queue = new PriorityQueue<unknown>();
    queue.putNowait({});
    expect(() => queue.putNowait({})).toThrow(
      new TypeError('PriorityQueue cannot order an object and an object; pass options.compare'),
    );
    expect(queue.qsize()).toBe(1); // the refused item is not kept
    expect(() => new PriorityQueue({ compare: 1 as never })).toThrow(
      new TypeError('options.compare must be a function; got 1'),
    );
  });
});

describe('LifoQueue', () => {
  it('hands out the last item put first (test_order)', async () => {
    const queue = new LifoQueue<number>();
    for (const n of [1, 2, 3]) queue.putNowait(n);
    expect([await queue.get(), await queue.get(), await queue.get()]).toEqual([3, 2, 1]);
  });
});
