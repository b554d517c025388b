/*
 * Task: asyncio's test_tasks.py behaviour that applies to coro (start, eager start,
 * names, outcome, allTasks, currentTask), and DESIGN §4's "a task nobody references
 * is not collected mid-flight". Cancellation lives in cancellation.test.ts.
 */
import { getRunningLoop, type Loop, LoopClosedError, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  createTask,
  currentTask,
  Future,
  gather,
  InvalidStateError,
  run,
  sleep,
  type Task,
} from '../src/index.js';
import { runVirtual } from './helpers.js';

/** Resolves after one real macrotask. */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const gc = (globalThis as { gc?: () => void }).gc;

describe('createTask', () => {
  it('schedules the task: its body starts on the next loop iteration, not inline nor in a microtask', async () => {
    const loop = new VirtualLoop();
    const trace: string[] = [];

    const task = createTask(
      async () => {
        trace.push('body');
      },
      { loop },
    );
    trace.push('created');
    await Promise.resolve();
    await Promise.resolve();
    const beforeIteration = [...trace];
    await loop.advance(0);

    expect(beforeIteration).toEqual(['created']);
    expect(trace).toEqual(['created', 'body']);
    expect(task.done()).toBe(true);
  });

  it('resolves to what the body returns', async () => {
    const value = await runVirtual(async () => {
      const task = createTask(async () => {
        await sleep(10);
        return 'answer';
      });
      return await task;
    });

    expect(value).toBe('answer');
  });

  it('accepts a plain function and resolves to its value', async () => {
    const task = await runVirtual(async () => {
      const plain = createTask(() => 42);
      await plain;
      return { plain };
    });

    expect(task.plain.result()).toBe(42);
  });

  it('rejects with what the body throws, and is done but not cancelled', async () => {
    const failure = new RangeError('out of range');

    const task = await runVirtual(async () => {
      const failing = createTask(async () => {
        await sleep(1);
        throw failure;
      });
      await expect(Promise.resolve(failing)).rejects.toBe(failure);
      return { failing };
    });

    expect(task.failing.done()).toBe(true);
    expect(task.failing.cancelled()).toBe(false);
    expect(task.failing.exception()).toBe(failure);
  });

  it('runs on the loop given in options, else on the running loop', async () => {
    const other = new VirtualLoop();
    const running = new VirtualLoop({ autojump: true });

    const { explicit, implicit } = await run(
      async () => ({
        explicit: createTask(async () => 'elsewhere', { loop: other }),
        implicit: createTask(async () => 'here'),
      }),
      { loop: running },
    );

    expect(explicit.getLoop()).toBe(other);
    expect(implicit.getLoop()).toBe(running);
    explicit.cancel();
    await other.advance(0);
  });

  it('throws LoopClosedError on a closed loop and leaves no pending task behind', () => {
    const loop = new VirtualLoop();
    loop.close();

    expect(() => createTask(async () => {}, { loop })).toThrow(LoopClosedError);
    expect(allTasks(loop).size).toBe(0);
  });
});

describe('eager tasks', () => {
  it('run their first step synchronously inside createTask, the rest on the loop', async () => {
    const trace: string[] = [];

    await runVirtual(async () => {
      trace.push('before createTask');
      const task = createTask(
        async () => {
          trace.push('eager body starts');
          await sleep(0);
          trace.push('eager body resumes');
        },
        { eager: true },
      );
      trace.push('after createTask');
      await task;
    });

    expect(trace).toEqual([
      'before createTask',
      'eager body starts',
      'after createTask',
      'eager body resumes',
    ]);
  });

  it('see themselves as currentTask() in their first step, and give the creator back its own', async () => {
    const seen: string[] = [];

    await runVirtual(async () => {
      currentTask()?.setName('main');
      const task = createTask(
        async () => {
          seen.push(`eager step sees ${currentTask()?.getName()}`);
          await sleep(0);
          seen.push(`later step sees ${currentTask()?.getName()}`);
        },
        { eager: true, name: 'eager' },
      );
      seen.push(`creator sees ${currentTask()?.getName()}`);
      await task;
    });

    expect(seen).toEqual(['eager step sees eager', 'creator sees main', 'later step sees eager']);
  });

  it('complete at once when a plain function body throws synchronously', async () => {
    const failure = new Error('thrown at once');

    await runVirtual(async () => {
      const task = createTask(
        () => {
          throw failure;
        },
        { eager: true },
      );

      expect(task.done()).toBe(true);
      expect(task.exception()).toBe(failure);
    });
  });
});

describe('task names', () => {
  it('default to Task-<n>, numbered in creation order', async () => {
    const loop = new VirtualLoop();

    const first = createTask(async () => {}, { loop });
    const second = createTask(async () => {}, { loop });

    expect(first.getName()).toMatch(/^Task-\d+$/);
    const number = (task: Task) => Number(task.getName().slice('Task-'.length));
    expect(number(second)).toBe(number(first) + 1);
    await loop.advance(0);
  });

  it('are the name given in options, and setName() renames (converting to a string)', async () => {
    const loop = new VirtualLoop();
    const task = createTask(async () => {}, { loop, name: 'fetch-user' });

    expect(task.getName()).toBe('fetch-user');
    task.setName('renamed');
    expect(task.getName()).toBe('renamed');
    task.setName(7 as unknown as string);
    expect(task.getName()).toBe('7');
    await loop.advance(0);
  });

  it('appear in describe(): not started, waiting for a named future, then the outcome', async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop, name: 'reply' });
    const task = createTask(() => reply, { loop, name: 'waiter' });

    const notStarted = task.describe();
    await loop.advance(0);
    const waiting = task.describe();
    reply.setResult('ok');
    await loop.advance(0);

    expect(notStarted).toBe("Task 'waiter' not started yet");
    expect(waiting).toBe("Task 'waiter' waiting for Future 'reply' pending");
    expect(task.describe()).toBe("Task 'waiter' fulfilled");
  });
});

describe('Task as a Future', () => {
  it('throws InvalidStateError from setResult and setException: a task completes with its body', async () => {
    const loop = new VirtualLoop();
    const task = createTask(async () => 'body result', { loop });

    expect(() => task.setResult('forced')).toThrow(InvalidStateError);
    expect(() => task.setException(new Error('forced'))).toThrow(InvalidStateError);
    expect(() => task.setResult('forced')).toThrow(/not supported on a Task/);
    await loop.advance(0);
    expect(task.result()).toBe('body result');
  });
});

describe('allTasks', () => {
  it("lists the loop's pending tasks, started or not, and drops them when done", async () => {
    const loop = new VirtualLoop();
    const otherLoop = new VirtualLoop();
    const gate = new Future<void>({ loop });
    const started = createTask(() => gate, { loop, name: 'started' });
    await loop.advance(0);
    const notStarted = createTask(async () => {}, { loop, name: 'not started' });
    const elsewhere = createTask(async () => {}, { loop: otherLoop });

    const pending = allTasks(loop);
    const pendingElsewhere = allTasks(otherLoop);
    gate.setResult();
    await loop.advance(0);

    expect(pending).toEqual(new Set([started, notStarted]));
    expect(allTasks(loop).size).toBe(0);
    expect(pendingElsewhere).toEqual(new Set([elsewhere]));
  });

  it('defaults to the running loop, the main task included', async () => {
    const names = await runVirtual(async () => {
      currentTask()?.setName('main');
      const background = createTask(() => sleep(10), { name: 'background' });
      const listed = [...allTasks()].map((task) => task.getName()).sort();
      await background;
      return listed;
    });

    expect(names).toEqual(['background', 'main']);
  });
});

describe('task lifetime', () => {
  it.runIf(gc !== undefined)(
    'keeps a task nobody references alive while it waits, through garbage collections (DESIGN §4)',
    async () => {
      const loop = new VirtualLoop();
      const trace: string[] = [];
      let futureRef: WeakRef<Future<string>> | undefined;
      // Only the task holds the future, and nothing but the loop holds the task.
      (() => {
        const wakeUp = new Future<string>({ loop });
        futureRef = new WeakRef(wakeUp);
        createTask(
          async () => {
            trace.push(`woke with ${await wakeUp}`);
          },
          { loop },
        );
      })();
      await loop.advance(0);

      for (let round = 0; round < 3; round++) {
        gc?.();
        await macrotask();
      }
      const wakeUp = futureRef?.deref();
      wakeUp?.setResult('hello');
      await loop.advance(0);

      expect(wakeUp).toBeDefined();
      expect(trace).toEqual(['woke with hello']);
    },
  );

  it.runIf(gc !== undefined)(
    'lets a finished task be collected: the loop keeps no reference to it',
    async () => {
      const loop = new VirtualLoop();
      let collected = false;
      const registry = new FinalizationRegistry(() => {
        collected = true;
      });
      (() => {
        registry.register(
          createTask(async () => 'done', { loop }),
          'task',
        );
      })();
      await loop.advance(0);

      for (let round = 0; round < 10 && !collected; round++) {
        gc?.();
        await macrotask();
      }

      expect(collected).toBe(true);
    },
  );
});

describe('currentTask', () => {
  it('is the task in every step: at start, after coro awaits, a resolved Promise, an async helper', async () => {
    const seen: (string | undefined)[] = [];
    const helper = async () => {
      await Promise.resolve();
      return currentTask()?.getName();
    };

    await runVirtual(async () => {
      const task = createTask(
        async () => {
          const name = () => currentTask()?.getName();
          seen.push(name());
          await sleep(0);
          seen.push(name());
          await sleep(5);
          seen.push(name());
          await Promise.resolve();
          seen.push(name());
          seen.push(await helper());
          seen.push(name());
        },
        { name: 'worker' },
      );
      await task;
    });

    expect(seen).toEqual(['worker', 'worker', 'worker', 'worker', 'worker', 'worker']);
  });

  it('is still the task after awaiting a foreign setTimeout promise', async () => {
    const seen: (string | undefined)[] = [];

    await runVirtual(async () => {
      const task = createTask(
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          seen.push(currentTask()?.getName());
          await sleep(0);
          seen.push(currentTask()?.getName());
        },
        { name: 'worker' },
      );
      await task;
    });

    expect(seen).toEqual(['worker', 'worker']);
  });

  it('tells concurrent tasks apart as they interleave', async () => {
    const seen: string[] = [];
    const body = async () => {
      for (let i = 0; i < 2; i++) {
        seen.push(`${currentTask()?.getName()}`);
        await sleep(0);
      }
    };

    await runVirtual(async () => {
      const a = createTask(body, { name: 'a' });
      const b = createTask(body, { name: 'b' });
      await a;
      await b;
    });

    expect(seen).toEqual(['a', 'b', 'a', 'b']);
  });

  it('is undefined in plain loop callbacks (callSoon, callLater, done callbacks), even when scheduled by a task', async () => {
    const seen: Record<string, unknown> = {};

    await runVirtual(async () => {
      const loop: Loop = getRunningLoop();
      const done = new Future<void>();
      loop.callSoon(() => {
        seen.callSoon = currentTask();
      });
      loop.callLater(5, () => {
        seen.callLater = currentTask();
      });
      done.addDoneCallback(() => {
        seen.doneCallback = currentTask();
      });
      done.setResult();
      await sleep(10);
    });

    expect(seen).toEqual({ callSoon: undefined, callLater: undefined, doneCallback: undefined });
  });

  it('is undefined at top level, and again after run() returns', async () => {
    const before = currentTask();
    const inside = await runVirtual(async () => currentTask() !== undefined);
    const after = currentTask();

    expect(before).toBeUndefined();
    expect(inside).toBe(true);
    expect(after).toBeUndefined();
  });
});

describe('a task awaiting itself', () => {
  it('fails with an error that says so, instead of waiting forever (asyncio: "Task cannot await on itself")', async () => {
    const outcome = runVirtual(async () => {
      const self: Task<unknown> = createTask(
        async () => {
          await sleep(0);
          return await self;
        },
        { name: 'ouroboros' },
      );
      return await self;
    });

    await expect(outcome).rejects.toThrow("Task 'ouroboros' cannot await itself");
  });
});

describe("then() and catch() the task's code calls without awaiting", () => {
  /**
   * The events of a task's second step (`step`), whose wake-up is followed in the same
   * iteration by a plain callback (queued by a second task), up to one iteration after
   * the task ends.
   */
  function traceSecondStep(step: (events: string[]) => Promise<void>): Promise<string[]> {
    return runVirtual(async () => {
      const events: string[] = [];
      const worker = createTask(async () => {
        await sleep(0);
        events.push('worker resumes');
        await step(events);
      });
      createTask(async () => {
        getRunningLoop().callSoon(() => events.push('callback'));
      });
      await worker;
      await sleep(0);
      return events;
    });
  }

  it('leave the step running: no other callback runs in the middle of the code', async () => {
    const trace = await traceSecondStep(async (events) => {
      const reply = new Future<number>({ name: 'reply' });
      reply.then((value) => events.push(`then ${value}`));
      reply.catch(() => events.push('catch'));
      events.push('worker goes on');
      await sleep(0);
      events.push('worker resumes again');
      reply.setResult(7);
    });

    expect(trace).toEqual([
      'worker resumes',
      'worker goes on',
      'callback',
      'worker resumes again',
      'then 7',
    ]);
  });

  it("coro's own then() on an awaitable it wraps (gather of a sleep(0)) leaves the step running too", async () => {
    const trace = await traceSecondStep(async (events) => {
      const both = gather([sleep(0), sleep(0, 'later')]);
      events.push('worker goes on');
      events.push(`gathered ${JSON.stringify(await both)}`);
    });

    expect(trace).toEqual([
      'worker resumes',
      'worker goes on',
      'callback',
      'gathered [null,"later"]',
    ]);
  });

  it("do not make the future the task's waiter: cancel() reaches the task's own await", async () => {
    const outcome = await runVirtual(async () => {
      const reply = new Future<number>({ name: 'reply' });
      const gate = new Future<void>({ name: 'gate' });
      const worker = createTask(async () => {
        reply.then(() => undefined);
        await Promise.resolve(); // a foreign await: the task has no coro waiter
        await gate;
      });
      await sleep(0);
      worker.cancel('stop');
      await Promise.resolve(worker).catch(() => undefined);
      return { reply: reply.cancelled(), gate: gate.cancelled(), worker: worker.cancelled() };
    });

    expect(outcome).toEqual({ reply: false, gate: true, worker: true });
  });
});
