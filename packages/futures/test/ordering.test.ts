/*
 * Orderings checked against CPython 3.13: each test holds the Python program it
 * translates (in a comment) and the exact trace `python3.13` printed for it. Every
 * program runs on the default NodeLoop (`run(main)`) and on a VirtualLoop with
 * autojump (`run(main, { loop })`); both must print Python's trace.
 */
import { getRunningLoop, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { createTask, currentTask, Future, type RunOptions, run, sleep } from '../src/index.js';

const loops: [string, () => RunOptions | undefined][] = [
  ['the default NodeLoop', () => undefined],
  ['a VirtualLoop', () => ({ loop: new VirtualLoop({ autojump: true }) })],
];

describe.each(loops)('ordering on %s', (_name, options) => {
  it('round-robins three tasks that each await sleep(0) in a loop', async () => {
    // async def worker(name):
    //     for i in range(3):
    //         trace.append(f'{name}{i}')
    //         await asyncio.sleep(0)
    //
    // async def main():
    //     tasks = [asyncio.create_task(worker(name)) for name in 'abc']
    //     for task in tasks:
    //         await task
    const trace: string[] = [];
    const worker = async (name: string) => {
      for (let i = 0; i < 3; i++) {
        trace.push(`${name}${i}`);
        await sleep(0);
      }
    };

    await run(async () => {
      const tasks = ['a', 'b', 'c'].map((name) => createTask(() => worker(name)));
      for (const task of tasks) await task;
    }, options());

    expect(trace).toEqual(['a0', 'b0', 'c0', 'a1', 'b1', 'c1', 'a2', 'b2', 'c2']);
  });

  it('interleaves callSoon callbacks with task wake-ups in scheduling order', async () => {
    // async def main():
    //     loop = asyncio.get_running_loop()
    //
    //     def callback(name):
    //         trace.append(name)
    //         if name == 'cb 1':
    //             loop.call_soon(callback, 'cb 1 -> nested')
    //
    //     async def worker():
    //         for i in range(3):
    //             trace.append(f'worker {i}')
    //             loop.call_soon(callback, f'cb from worker {i}')
    //             await asyncio.sleep(0)
    //
    //     task = asyncio.create_task(worker())
    //     loop.call_soon(callback, 'cb 1')
    //     await asyncio.sleep(0)
    //     trace.append('main 1')
    //     loop.call_soon(callback, 'cb 2')
    //     await asyncio.sleep(0)
    //     trace.append('main 2')
    //     await task
    const trace: string[] = [];

    await run(async () => {
      const loop = getRunningLoop();
      const callback = (name: string) => {
        trace.push(name);
        if (name === 'cb 1') loop.callSoon(callback, 'cb 1 -> nested');
      };
      const worker = async () => {
        for (let i = 0; i < 3; i++) {
          trace.push(`worker ${i}`);
          loop.callSoon(callback, `cb from worker ${i}`);
          await sleep(0);
        }
      };
      const task = createTask(worker);
      loop.callSoon(callback, 'cb 1');
      await sleep(0);
      trace.push('main 1');
      loop.callSoon(callback, 'cb 2');
      await sleep(0);
      trace.push('main 2');
      await task;
    }, options());

    expect(trace).toEqual([
      'worker 0',
      'cb 1',
      'main 1',
      'cb from worker 0',
      'worker 1',
      'cb 1 -> nested',
      'cb 2',
      'main 2',
      'cb from worker 1',
      'worker 2',
      'cb from worker 2',
    ]);
  });

  it('runs done callbacks and awaiters of one future in registration order', async () => {
    // async def main():
    //     loop = asyncio.get_running_loop()
    //     future = loop.create_future()
    //
    //     async def waiter(name):
    //         value = await future
    //         trace.append(f'{name} got {value}')
    //
    //     future.add_done_callback(lambda f: trace.append('callback 1'))
    //     first = asyncio.create_task(waiter('waiter 1'))
    //     await asyncio.sleep(0)  # waiter 1 now awaits the future
    //     future.add_done_callback(lambda f: trace.append('callback 2'))
    //     second = asyncio.create_task(waiter('waiter 2'))
    //     await asyncio.sleep(0)  # waiter 2 now awaits the future
    //     future.add_done_callback(lambda f: trace.append('callback 3'))
    //     future.set_result(42)
    //     trace.append('set_result returned')
    //     await first
    //     await second
    const trace: string[] = [];

    await run(async () => {
      const future = new Future<number>();
      const waiter = async (name: string) => {
        const value = await future;
        trace.push(`${name} got ${value}`);
      };
      future.addDoneCallback(() => trace.push('callback 1'));
      const first = createTask(() => waiter('waiter 1'));
      await sleep(0);
      future.addDoneCallback(() => trace.push('callback 2'));
      const second = createTask(() => waiter('waiter 2'));
      await sleep(0);
      future.addDoneCallback(() => trace.push('callback 3'));
      future.setResult(42);
      trace.push('set_result returned');
      await first;
      await second;
    }, options());

    expect(trace).toEqual([
      'set_result returned',
      'callback 1',
      'waiter 1 got 42',
      'callback 2',
      'waiter 2 got 42',
      'callback 3',
    ]);
  });

  it("runs a task's code between two loop yields as one step, across awaits of a resolved Promise and an async helper", async () => {
    // async def helper():
    //     trace.append('helper')
    //     return 'h'
    //
    // async def main():
    //     loop = asyncio.get_running_loop()
    //     done = loop.create_future()
    //     done.set_result('done')  # plays the already-resolved Promise
    //
    //     async def a():
    //         trace.append('a1')
    //         await done
    //         trace.append('a2')
    //         await helper()
    //         trace.append('a3')
    //         await asyncio.sleep(0)
    //         trace.append('a4')
    //
    //     async def b():
    //         trace.append('b1')
    //         await asyncio.sleep(0)
    //         trace.append('b2')
    //
    //     first = asyncio.create_task(a())
    //     second = asyncio.create_task(b())
    //     loop.call_soon(trace.append, 'callback')
    //     await first
    //     await second
    const trace: string[] = [];
    // The JS helper awaits resolved Promises itself: several microtask turns, still one step.
    const helper = async () => {
      await Promise.resolve();
      trace.push('helper');
      await Promise.resolve();
      return 'h';
    };

    await run(async () => {
      const loop = getRunningLoop();
      const a = async () => {
        trace.push('a1');
        await Promise.resolve('done');
        trace.push('a2');
        await helper();
        trace.push('a3');
        await sleep(0);
        trace.push('a4');
      };
      const b = async () => {
        trace.push('b1');
        await sleep(0);
        trace.push('b2');
      };
      const first = createTask(a);
      const second = createTask(b);
      loop.callSoon(() => trace.push('callback'));
      await first;
      await second;
    }, options());

    expect(trace).toEqual(['a1', 'a2', 'helper', 'a3', 'b1', 'callback', 'a4', 'b2']);
  });

  it('starts tasks created in a step in creation order, after callbacks that were ready before them', async () => {
    // async def child(name):
    //     trace.append(f'{name} starts')
    //     await asyncio.sleep(0)
    //     trace.append(f'{name} resumes')
    //
    // async def main():
    //     loop = asyncio.get_running_loop()
    //     loop.call_soon(trace.append, 'callback before')
    //     one = asyncio.create_task(child('t1'))
    //     loop.call_soon(trace.append, 'callback between')
    //     two = asyncio.create_task(child('t2'))
    //     trace.append('main created both')
    //     await asyncio.sleep(0)
    //     trace.append('main resumes')
    //     await one
    //     await two
    const trace: string[] = [];
    const child = async (name: string) => {
      trace.push(`${name} starts`);
      await sleep(0);
      trace.push(`${name} resumes`);
    };

    await run(async () => {
      const loop = getRunningLoop();
      loop.callSoon(() => trace.push('callback before'));
      const one = createTask(() => child('t1'));
      loop.callSoon(() => trace.push('callback between'));
      const two = createTask(() => child('t2'));
      trace.push('main created both');
      await sleep(0);
      trace.push('main resumes');
      await one;
      await two;
    }, options());

    expect(trace).toEqual([
      'main created both',
      'callback before',
      't1 starts',
      'callback between',
      't2 starts',
      'main resumes',
      't1 resumes',
      't2 resumes',
    ]);
  });

  it('wakes sleep(ms) tasks in deadline order, equal deadlines in scheduling order', async () => {
    // async def sleeper(name, delay):
    //     await asyncio.sleep(delay)
    //     trace.append(name)
    //
    // async def main():
    //     tasks = [
    //         asyncio.create_task(sleeper('a 400', 0.400)),
    //         asyncio.create_task(sleeper('b 10', 0.010)),
    //         asyncio.create_task(sleeper('c 400', 0.400)),
    //         asyncio.create_task(sleeper('d 10', 0.010)),
    //         asyncio.create_task(sleeper('e 400', 0.400)),
    //     ]
    //     for task in tasks:
    //         await task
    // On a VirtualLoop the three 400 ms deadlines are exactly equal; on the NodeLoop
    // the wide gap leaves room for stalls of a loaded machine (all five start in one iteration).
    const trace: string[] = [];
    const sleeper = async (name: string, delayMs: number) => {
      await sleep(delayMs);
      trace.push(name);
    };

    await run(async () => {
      const tasks = [
        createTask(() => sleeper('a 400', 400)),
        createTask(() => sleeper('b 10', 10)),
        createTask(() => sleeper('c 400', 400)),
        createTask(() => sleeper('d 10', 10)),
        createTask(() => sleeper('e 400', 400)),
      ];
      for (const task of tasks) await task;
    }, options());

    expect(trace).toEqual(['b 10', 'd 10', 'a 400', 'c 400', 'e 400']);
  });

  it('runs a due timer after the callbacks that were ready before it, before those they schedule', async () => {
    // async def main():
    //     loop = asyncio.get_running_loop()
    //     finished = loop.create_future()
    //
    //     def soon(n):
    //         trace.append(f'soon {n}')
    //         if n < 3:
    //             loop.call_soon(soon, n + 1)
    //         else:
    //             finished.set_result(None)
    //
    //     loop.call_later(0, trace.append, 'timer')
    //     loop.call_soon(soon, 1)
    //     await finished
    //     trace.append('main wakes')
    const trace: string[] = [];

    await run(async () => {
      const loop = getRunningLoop();
      const finished = new Future<void>();
      const soon = (n: number) => {
        trace.push(`soon ${n}`);
        if (n < 3) loop.callSoon(soon, n + 1);
        else finished.setResult();
      };
      loop.callLater(0, () => trace.push('timer'));
      loop.callSoon(soon, 1);
      await finished;
      trace.push('main wakes');
    }, options());

    expect(trace).toEqual(['soon 1', 'timer', 'soon 2', 'soon 3', 'main wakes']);
  });

  it('delivers cancellations in cancel() order, each with its message, for the task and its awaiter', async () => {
    // async def main():
    //     loop = asyncio.get_running_loop()
    //
    //     async def sleeper():
    //         try:
    //             await asyncio.sleep(10)
    //         except asyncio.CancelledError as error:
    //             trace.append(f'{asyncio.current_task().get_name()} caught {error}')
    //             raise
    //
    //     a = asyncio.create_task(sleeper(), name='a')
    //     b = asyncio.create_task(sleeper(), name='b')
    //     await asyncio.sleep(0)
    //     loop.call_soon(trace.append, 'callback before')
    //     b.cancel('stop b')
    //     a.cancel('stop a')
    //     loop.call_soon(trace.append, 'callback after')
    //     trace.append('main cancelled both')
    //     for task in (a, b):
    //         try:
    //             await task
    //         except asyncio.CancelledError as error:
    //             trace.append(f'main saw {error}')
    const trace: string[] = [];

    await run(async () => {
      const loop = getRunningLoop();
      const sleeper = async () => {
        try {
          await sleep(10_000);
        } catch (error) {
          trace.push(`${currentTask()?.getName()} caught ${(error as Error).message}`);
          throw error;
        }
      };
      const a = createTask(sleeper, { name: 'a' });
      const b = createTask(sleeper, { name: 'b' });
      await sleep(0);
      loop.callSoon(() => trace.push('callback before'));
      b.cancel('stop b');
      a.cancel('stop a');
      loop.callSoon(() => trace.push('callback after'));
      trace.push('main cancelled both');
      for (const task of [a, b]) {
        try {
          await task;
        } catch (error) {
          trace.push(`main saw ${(error as Error).message}`);
        }
      }
    }, options());

    expect(trace).toEqual([
      'main cancelled both',
      'callback before',
      'b caught stop b',
      'a caught stop a',
      'callback after',
      'main saw stop a',
      'main saw stop b',
    ]);
  });

  it('runs an eager task up to its first suspension inside createTask, before ready callbacks', async () => {
    // async def child():
    //     trace.append('child runs')
    //     return 'result'
    //
    // async def main():
    //     loop = asyncio.get_running_loop()
    //     loop.set_task_factory(asyncio.eager_task_factory)
    //     loop.call_soon(trace.append, 'callback')
    //     trace.append('main creates')
    //     task = asyncio.create_task(child())
    //     trace.append(f'main created; done={task.done()}')
    //     value = await task
    //     trace.append(f'main got {value}')
    //     await asyncio.sleep(0)
    //
    // CPython: ['main creates', 'child runs', 'main created; done=True', 'main got result', 'callback']
    // An async function settles its promise in a microtask, so a coro eager task that
    // never suspends is done only after createTask returns (a documented difference);
    // its body has still run, and awaiting it must not wait for a loop iteration.
    const trace: string[] = [];

    await run(async () => {
      const loop = getRunningLoop();
      loop.callSoon(() => trace.push('callback'));
      trace.push('main creates');
      const task = createTask(
        async () => {
          trace.push('child runs');
          return 'result';
        },
        { eager: true },
      );
      trace.push('main created');
      const value = await task;
      trace.push(`main got ${value}`);
      await sleep(0);
    }, options());

    expect(trace).toEqual([
      'main creates',
      'child runs',
      'main created',
      'main got result',
      'callback',
    ]);
  });
});
