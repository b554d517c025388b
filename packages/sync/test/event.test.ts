import { CancelledError, createTask, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { Event } from '../src/index.js';
import { runVirtual } from './helpers.js';

describe('Event', () => {
  it('wakes every waiter on set(), in the order they began waiting (test_wait)', async () => {
    await runVirtual(async () => {
      const event = new Event();
      expect(event.isSet()).toBe(false);
      const result: number[] = [];
      const waiter = (n: number) => async () => {
        if (await event.wait()) result.push(n);
      };
      const tasks = [createTask(waiter(1)), createTask(waiter(2))];
      await sleep(0);
      expect(result).toEqual([]);
      const t3 = createTask(waiter(3));

      event.set();
      await sleep(0);

      expect(result).toEqual([3, 1, 2]); // t3 started after the set(): fast path first
      for (const task of [...tasks, t3]) expect(task.done()).toBe(true);
    });
  });

  it('returns at once from wait() once set (test_wait_on_set)', async () => {
    const event = new Event();
    event.set();
    await expect(event.wait()).resolves.toBe(true);
  });

  it('drops a cancelled waiter (test_wait_cancel)', async () => {
    await runVirtual(async () => {
      const event = new Event();
      const waiting = createTask(() => event.wait());
      await sleep(0);
      waiting.cancel();
      await expect(waiting).rejects.toBeInstanceOf(CancelledError);
      expect(event.isSet()).toBe(false);
    });
  });

  it('clears the flag; waiters woken before clear() still return (test_clear_with_waiters)', async () => {
    await runVirtual(async () => {
      const event = new Event();
      const result: number[] = [];
      const waiting = createTask(async () => {
        if (await event.wait()) result.push(1);
      });
      await sleep(0);

      event.set();
      event.clear();
      expect(event.isSet()).toBe(false);
      event.set();
      event.set();
      await waiting;

      expect(result).toEqual([1]);
    });
  });

  it('rejects wait() with the signal reason when aborted', async () => {
    const event = new Event();
    const error = await event.wait({ signal: AbortSignal.timeout(5) }).catch((e) => e);
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('describes a waiter for the call graph', async () => {
    await runVirtual(async () => {
      const event = new Event();
      const waiting = createTask(() => event.wait(), { name: 'w' });
      await sleep(0);
      expect(waiting.describe()).toBe("Task 'w' waiting for Event.wait: not set");
      event.set();
    });
  });
});
