/*
 * Random put/get/putNowait/getNowait/cancel/shutdown across several tasks on a
 * VirtualLoop, checked against a model of the queue's contents: every item is
 * delivered exactly once, in the order the queue type promises, and no getter
 * or putter sleeps while it could go on. fast-check prints the seed on failure.
 */
import { createTask, sleep, type Task } from '@coro/futures';
import type { VirtualLoop } from '@coro/loop';
import fc from 'fast-check';
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

type Kind = 'fifo' | 'lifo' | 'priority';
type Operation =
  | { kind: 'put' | 'putNowait'; value: number }
  | { kind: 'get' | 'getNowait' }
  | { kind: 'sleep'; ms: number }
  | { kind: 'cancel'; task: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('put' as const, 'putNowait' as const), value: fc.nat(20) }),
  fc.record({ kind: fc.constantFrom('get' as const, 'getNowait' as const) }),
  fc.record({ kind: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 2 }) }),
  // Cancels another task in this very step: a getter or putter just woken by the
  // put or get before it is cancelled before it runs (DESIGN §4).
  fc.record({ kind: fc.constant('cancel' as const), task: fc.nat(3) }),
);

const scenario = fc.record({
  kind: fc.constantFrom<Kind>('fifo', 'lifo', 'priority'),
  maxsize: fc.integer({ min: 0, max: 3 }),
  tasks: fc.array(fc.array(operation, { maxLength: 8 }), { minLength: 1, maxLength: 4 }),
  cancels: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 8 }), task: fc.nat(3) }), {
    maxLength: 3,
  }),
  shutdown: fc.option(
    fc.record({ atMs: fc.integer({ min: 0, max: 10 }), immediate: fc.boolean() }),
  ),
});

function makeQueue(kind: Kind, maxsize: number): Queue<number> {
  if (kind === 'lifo') return new LifoQueue<number>({ maxsize });
  if (kind === 'priority') return new PriorityQueue<number>({ maxsize });
  return new Queue<number>({ maxsize });
}

/** Removes and returns the item the model says comes out next. */
function takeExpected(kind: Kind, model: number[]): number | undefined {
  if (model.length === 0) return undefined;
  let index = 0;
  if (kind === 'lifo') index = model.length - 1;
  if (kind === 'priority') index = model.indexOf(Math.min(...model));
  return model.splice(index, 1)[0];
}

describe('Queue, LifoQueue and PriorityQueue under random operations', () => {
  it('deliver every item exactly once, in order, and never sleep while they could go on', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ kind, maxsize, tasks: plans, cancels, shutdown }) => {
        const queue = makeQueue(kind, maxsize);
        const model: number[] = [];
        let nextId = 0;
        const blocked = { get: 0, put: 0 };
        const errors: unknown[] = [];
        // A unique value whose priority order is random: value * 1000 + id.
        const fresh = (value: number) => value * 1000 + nextId++;
        const check = (item: number) => {
          const expected = takeExpected(kind, model);
          if (item !== expected) errors.push(`got ${item}, expected ${expected}`);
        };

        await runVirtual(async () => {
          const tasks: Task<void>[] = [];
          for (const plan of plans)
            tasks.push(
              createTask(async () => {
                for (const step of plan) {
                  try {
                    if (step.kind === 'sleep') await sleep(step.ms);
                    else if (step.kind === 'cancel') tasks[step.task % tasks.length]?.cancel();
                    else if (step.kind === 'putNowait') {
                      const item = fresh(step.value);
                      queue.putNowait(item);
                      model.push(item);
                    } else if (step.kind === 'put') {
                      const item = fresh(step.value);
                      blocked.put++;
                      try {
                        await queue.put(item);
                      } finally {
                        blocked.put--;
                      }
                      model.push(item);
                    } else if (step.kind === 'getNowait') {
                      check(queue.getNowait());
                    } else {
                      blocked.get++;
                      let item: number;
                      try {
                        item = await queue.get();
                      } finally {
                        blocked.get--;
                      }
                      check(item);
                    }
                  } catch (error) {
                    if (error instanceof QueueShutDown) return;
                    if (!(error instanceof QueueEmpty || error instanceof QueueFull)) throw error;
                  }
                }
              }),
            );
          const loop = tasks[0]?.getLoop() as VirtualLoop;
          for (const { atMs, task } of cancels)
            loop.callLater(atMs, () => tasks[task % tasks.length]?.cancel());
          if (shutdown !== null) {
            loop.callLater(shutdown.atMs, () => {
              queue.shutdown(shutdown.immediate);
              if (shutdown.immediate) model.length = 0;
            });
          }
          await sleep(100);
          // Nobody sleeps in get() while an item waits, nor in put() while there is room.
          if (queue.qsize() > 0 && blocked.get > 0) errors.push('a getter sleeps beside an item');
          if (!queue.full() && blocked.put > 0) errors.push('a putter sleeps beside free room');
          for (const task of tasks) task.cancel();
        });

        while (!queue.empty()) check(queue.getNowait());
        expect(errors).toEqual([]);
        expect(model).toEqual([]);
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);
});
