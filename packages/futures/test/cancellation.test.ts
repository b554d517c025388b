/*
 * Task cancellation, asyncio's way (test_tasks.py): cancel() throws CancelledError
 * into the task at the coro await it is suspended on, or at its next one; the
 * message reaches both the task and whoever awaits it; cancelling()/uncancel()
 * count requests; task.signal aborts with a CancelledError reason.
 */
import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  createTask,
  currentTask,
  Future,
  gather,
  run,
  sleep,
  type Task,
} from '../src/index.js';
import { rejection, runVirtual } from './helpers.js';

describe('cancel() before the task starts', () => {
  it('cancels the task without ever running its body', async () => {
    const trace: string[] = [];

    const outcome = await runVirtual(async () => {
      const task = createTask(async () => {
        trace.push('body ran');
      });
      const accepted = task.cancel('too late');
      const error = await rejection(task);
      return { accepted, error, task };
    });

    expect(outcome.accepted).toBe(true);
    expect(trace).toEqual([]);
    expect(outcome.task.cancelled()).toBe(true);
    expect(outcome.error).toBeInstanceOf(CancelledError);
    expect((outcome.error as Error).message).toBe('too late');
  });
});

describe('cancel() while the task awaits a coro Future', () => {
  it('throws CancelledError with the message at that await, and the awaiter sees the same message', async () => {
    const trace: string[] = [];

    const { task, outside } = await runVirtual(async () => {
      const reply = new Future<string>({ name: 'reply' });
      const task = createTask(async () => {
        try {
          await reply;
          trace.push('not reached');
        } catch (error) {
          trace.push(`inside: ${(error as Error).name} '${(error as Error).message}'`);
          throw error;
        }
      });
      await sleep(0);
      task.cancel('shutting down');
      const outside = await rejection(task);
      return { task, outside, reply };
    });

    expect(trace).toEqual(["inside: CancelledError 'shutting down'"]);
    expect(task.cancelled()).toBe(true);
    expect(outside).toBeInstanceOf(CancelledError);
    expect((outside as Error).message).toBe('shutting down');
  });

  it('cancels the awaited future itself, as asyncio cancels the waiter', async () => {
    const reply = await runVirtual(async () => {
      const reply = new Future<string>();
      const task = createTask(() => reply);
      await sleep(0);
      task.cancel();
      await rejection(task);
      return { reply };
    });

    expect(reply.reply.cancelled()).toBe(true);
  });

  it('cancels a sleep(ms) it awaits: the task ends at once, not when the timer was due', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const endedAt = await run(
      async () => {
        const task = createTask(() => sleep(60_000));
        await sleep(10);
        task.cancel();
        await rejection(task);
        return loop.time();
      },
      { loop },
    );

    expect(endedAt).toBe(10);
  });

  it('cancels a task it awaits, and the awaiting task ends cancelled with the message', async () => {
    const { outer, inner, error } = await runVirtual(async () => {
      const inner = createTask(() => sleep(60_000), { name: 'inner' });
      const outer = createTask(async () => {
        await inner;
      });
      await sleep(0);
      outer.cancel('outer stopped');
      const error = await rejection(outer);
      return { outer, inner, error };
    });

    expect(outer.cancelled()).toBe(true);
    expect(inner.cancelled()).toBe(true);
    expect((error as Error).message).toBe('outer stopped');
  });

  it('hands the CancelledError the task raised to the first task that awaits it, a new one to gather results (as CPython)', async () => {
    const { raised, awaited, gathered, again } = await runVirtual(async () => {
      let raised: unknown;
      const sleeper = createTask(async () => {
        try {
          await sleep(60_000);
        } catch (error) {
          raised = error;
          throw error;
        }
      });
      await sleep(0);
      sleeper.cancel('stop');
      const awaited = await rejection(sleeper);
      const [gathered] = await gather([sleeper], { returnExceptions: true });
      const again = await rejection(sleeper);
      return { raised, awaited, gathered, again };
    });

    expect(raised).toBeInstanceOf(CancelledError);
    expect(awaited).toBe(raised); // CPython's Task._cancelled_exc, handed out once
    expect(gathered).toBeInstanceOf(CancelledError);
    expect(gathered).not.toBe(raised);
    expect((gathered as Error).message).toBe('stop');
    expect(again).not.toBe(raised);
    expect((again as Error).message).toBe('stop');
  });
  it('throws the first message in when cancel() is called twice before the task resumes (as CPython)', async () => {
    // CPython 3.13: t.cancel('first'); t.cancel('second') → the task sees CancelledError('first').
    const trace: string[] = [];

    const { task, outside } = await runVirtual(async () => {
      const task = createTask(async () => {
        try {
          await sleep(60_000);
        } catch (error) {
          trace.push(`inside: ${(error as Error).message}`);
          throw error;
        }
      });
      await sleep(0);
      task.cancel('first');
      task.cancel('second');
      const outside = await rejection(task);
      return { task, outside };
    });

    expect(task.cancelling()).toBe(2);
    expect(trace).toEqual(['inside: first']);
    expect((outside as Error).message).toBe('first');
  });

  it('throws the last message in when cancel() is called twice before the task starts (as CPython)', async () => {
    // CPython 3.13: a task cancelled 'one' then 'two' before it starts ends with CancelledError('two').
    const error = await runVirtual(async () => {
      const task = createTask(() => sleep(60_000));
      task.cancel('one');
      task.cancel('two');
      return await rejection(task);
    });

    expect((error as Error).message).toBe('two');
  });
});

describe('cancel() while the task awaits a foreign Promise', () => {
  it('lets the foreign await finish and throws CancelledError at the next coro await', async () => {
    const trace: string[] = [];

    const outcome = await runVirtual(async () => {
      let release!: () => void;
      const foreign = new Promise<void>((resolve) => {
        release = resolve;
      });
      const task = createTask(async () => {
        await foreign;
        trace.push('after the foreign await');
        try {
          await sleep(0);
          trace.push('not reached');
        } catch (error) {
          trace.push(`at the next coro await: ${(error as Error).message}`);
          throw error;
        }
      });
      await sleep(0);
      task.cancel('stop');
      release();
      const error = await rejection(task);
      return { task, error };
    });

    expect(trace).toEqual(['after the foreign await', 'at the next coro await: stop']);
    expect(outcome.task.cancelled()).toBe(true);
    expect((outcome.error as Error).message).toBe('stop');
  });

  it('ends the task cancelled when it returns while a cancellation is pending (asyncio _must_cancel)', async () => {
    const { task, error } = await runVirtual(async () => {
      let release!: () => void;
      const foreign = new Promise<void>((resolve) => {
        release = resolve;
      });
      const task = createTask(async () => {
        await foreign;
        return 'finished anyway';
      });
      await sleep(0);
      task.cancel('pending');
      release();
      const error = await rejection(task);
      return { task, error };
    });

    expect(task.cancelled()).toBe(true);
    expect((error as Error).message).toBe('pending');
  });

  it('ends a task cancelled when it cancels itself and returns without awaiting', async () => {
    // CPython 3.13: current_task().cancel('self'); return 'value' → the task is cancelled.
    const { task, error } = await runVirtual(async () => {
      const task = createTask(async () => {
        currentTask()?.cancel('self');
        return 'value';
      });
      const error = await rejection(task);
      return { task, error };
    });

    expect(task.cancelled()).toBe(true);
    expect((error as Error).message).toBe('self');
  });
});

describe('a task that catches CancelledError', () => {
  it('completes normally with what it returns', async () => {
    // CPython 3.13: swallow → result 'swallowed', cancelling() == 1, cancelled() False.
    const task = await runVirtual(async () => {
      const task = createTask(async () => {
        try {
          await sleep(60_000);
          return 'slept';
        } catch {
          return 'swallowed';
        }
      });
      await sleep(0);
      task.cancel();
      await task;
      return { task };
    });

    expect(task.task.result()).toBe('swallowed');
    expect(task.task.cancelled()).toBe(false);
    expect(task.task.cancelling()).toBe(1);
  });

  it('goes on awaiting normally after the CancelledError was delivered', async () => {
    const loop = new VirtualLoop({ autojump: true });

    const outcome = await run(
      async () => {
        const task = createTask(async () => {
          try {
            await sleep(60_000);
          } catch {
            currentTask()?.uncancel();
          }
          await sleep(10);
          return `continued at ${loop.time()}`;
        });
        await sleep(0);
        task.cancel();
        return { value: await task, task };
      },
      { loop },
    );

    expect(outcome.value).toBe('continued at 10');
    expect(outcome.task.cancelling()).toBe(0);
  });
});

describe('cancelling() and uncancel()', () => {
  it('count cancel() requests; uncancel() takes one back and returns how many remain', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });
    await loop.advance(0);

    const counts = [task.cancelling()];
    task.cancel();
    counts.push(task.cancelling());
    task.cancel();
    counts.push(task.cancelling());
    counts.push(task.uncancel(), task.uncancel(), task.uncancel());

    expect(counts).toEqual([0, 1, 2, 1, 0, 0]);
    await loop.advance(0);
  });

  it('withdraws a cancellation not yet thrown in when uncancel() brings the count to 0', async () => {
    const trace: string[] = [];

    const task = await runVirtual(async () => {
      const task = createTask(async () => {
        currentTask()?.cancel();
        currentTask()?.uncancel();
        await sleep(0);
        trace.push('not cancelled');
        return 'ok';
      });
      await task;
      return { task };
    });

    expect(trace).toEqual(['not cancelled']);
    expect(task.task.result()).toBe('ok');
  });

  it('returns false from cancel() on a done task and leaves the count alone', async () => {
    const task = await runVirtual(async () => {
      const task = createTask(async () => 'done');
      await task;
      return { task };
    });

    expect(task.task.cancel()).toBe(false);
    expect(task.task.cancelling()).toBe(0);
    expect(task.task.result()).toBe('done');
  });

  it('rejects a cancel message that is not a string with a TypeError naming message', async () => {
    const loop = new VirtualLoop();
    const task = createTask(async () => {}, { loop });

    expect(() => task.cancel(42 as unknown as string)).toThrow(TypeError);
    expect(() => task.cancel(42 as unknown as string)).toThrow(/^message must be a string; got 42/);
    await loop.advance(0);
  });
});

describe('task.signal', () => {
  it('is not aborted until the task is cancelled, then aborts with a CancelledError reason', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });
    await loop.advance(0);
    const { signal } = task;
    const events: string[] = [];
    signal.addEventListener('abort', () => events.push('abort'));

    const abortedBefore = signal.aborted;
    task.cancel('stop fetching');

    expect(abortedBefore).toBe(false);
    expect(events).toEqual(['abort']);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(CancelledError);
    expect((signal.reason as Error).message).toBe('stop fetching');
    await loop.advance(0);
  });

  it('is already aborted when first read after cancel()', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });

    task.cancel('early');

    expect(task.signal.aborted).toBe(true);
    expect((task.signal.reason as Error).message).toBe('early');
    await loop.advance(0);
  });

  it('stays aborted after uncancel()', async () => {
    const loop = new VirtualLoop();
    const task = createTask(() => new Future({ loop }), { loop });
    const { signal } = task;

    task.cancel();
    task.uncancel();

    expect(signal.aborted).toBe(true);
    task.cancel();
    await loop.advance(0);
  });

  it('stops an AbortSignal API the task hands it to, and the task ends cancelled', async () => {
    const trace: string[] = [];

    const { task, error } = await runVirtual(async () => {
      const task = createTask(async () => {
        const { signal } = currentTask() as Task;
        try {
          await new Promise((resolve, reject) => {
            const timer = setTimeout(resolve, 60_000);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(signal.reason);
            });
          });
          trace.push('timer fired');
        } catch (error) {
          trace.push(`aborted: ${(error as Error).name}`);
          throw error;
        }
      });
      await sleep(0);
      task.cancel('stop');
      const error = await rejection(task);
      return { task, error };
    });

    expect(trace).toEqual(['aborted: CancelledError']);
    expect(task.cancelled()).toBe(true);
    expect((error as Error).message).toBe('stop');
  });
});
