/*
 * Random acquire/hold/release/cancel/abort across several tasks on a VirtualLoop:
 * the permits are never exceeded, nothing deadlocks while a permit is free, no
 * permit or wake-up is lost (DESIGN §4). fast-check prints the seed on failure.
 */
import { createTask, gather, sleep, type Task, timeout } from '@coro/futures';
import type { VirtualLoop } from '@coro/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedSemaphore, Condition, Lock, Semaphore } from '../src/index.js';
import { runVirtual } from './helpers.js';

type Kind = 'lock' | 'semaphore' | 'bounded' | 'condition';

const scenario = fc.record({
  kind: fc.constantFrom<Kind>('lock', 'semaphore', 'bounded', 'condition'),
  permits: fc.integer({ min: 1, max: 3 }),
  workers: fc.array(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }), {
    minLength: 1,
    maxLength: 6,
  }),
  cancels: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 12 }), worker: fc.nat(5) }), {
    maxLength: 4,
  }),
  aborts: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 12 }), worker: fc.nat(5) }), {
    maxLength: 2,
  }),
  // Right after its first release, worker `by` cancels `target`: the grant-then-cancel race.
  kills: fc.array(fc.record({ by: fc.nat(5), target: fc.nat(5) }), { maxLength: 2 }),
});

function makePrimitive(kind: Kind, permits: number) {
  switch (kind) {
    case 'lock':
      return { primitive: new Lock(), permits: 1 };
    case 'condition':
      return { primitive: new Condition(), permits: 1 };
    case 'semaphore':
      return { primitive: new Semaphore(permits), permits };
    default:
      return { primitive: new BoundedSemaphore(permits), permits };
  }
}

describe('Lock, Semaphore, BoundedSemaphore and Condition under random cancellation', () => {
  it('never exceed their permits, never deadlock, and never lose a permit', async () => {
    await fc.assert(
      fc.asyncProperty(
        scenario,
        async ({ kind, permits: wanted, workers, cancels, aborts, kills }) => {
          const { primitive, permits } = makePrimitive(kind, wanted);
          let holders = 0;
          let peak = 0;
          const controllers = workers.map(() => new AbortController());
          await runVirtual(async () => {
            const tasks: Task<void>[] = [];
            for (const [index, holds] of workers.entries())
              tasks.push(
                createTask(async () => {
                  for (const holdMs of holds) {
                    await primitive.acquire({ signal: controllers[index]?.signal });
                    holders++;
                    peak = Math.max(peak, holders);
                    try {
                      await sleep(holdMs);
                    } finally {
                      holders--;
                      primitive.release();
                    }
                    for (const kill of kills)
                      if (kill.by % workers.length === index)
                        tasks[kill.target % workers.length]?.cancel();
                  }
                }),
              );
            const loop = tasks[0]?.getLoop() as VirtualLoop;
            for (const { atMs, worker } of cancels)
              loop.callLater(atMs, () => tasks[worker % tasks.length]?.cancel());
            for (const { atMs, worker } of aborts)
              loop.callLater(atMs, () => controllers[worker % tasks.length]?.abort(new Error('x')));

            // No deadlock: every task ends (well inside a virtual minute).
            await timeout(60_000, () => gather(tasks, { returnExceptions: true }));
          });

          expect(peak).toBeLessThanOrEqual(permits);
          expect(holders).toBe(0);
          // No lost permit: all of them can be taken again at once, without waiting.
          for (let i = 0; i < permits; i++) {
            expect(primitive.locked()).toBe(false);
            await primitive.acquire();
          }
          expect(primitive.locked()).toBe(true);
        },
      ),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('Condition never loses a notify(), whatever consumers are cancelled', async () => {
    const plan = fc.record({
      consumers: fc.integer({ min: 1, max: 5 }),
      produce: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }),
      cancels: fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 12 }), consumer: fc.nat(4) }), {
        maxLength: 3,
      }),
    });
    await fc.assert(
      fc.asyncProperty(plan, async ({ consumers, produce, cancels }) => {
        const condition = new Condition();
        let items = 0;
        const tasks: Task<unknown>[] = [];
        await runVirtual(async () => {
          for (let i = 0; i < consumers; i++) {
            tasks.push(
              createTask(() =>
                condition.runExclusive(async () => {
                  await condition.waitFor(() => items > 0);
                  items--;
                }),
              ),
            );
          }
          const loop = tasks[0]?.getLoop() as VirtualLoop;
          for (const { atMs, consumer } of cancels)
            loop.callLater(atMs, () => tasks[consumer % consumers]?.cancel());
          for (const delayMs of produce) {
            await sleep(delayMs);
            await condition.runExclusive(() => {
              items++;
              condition.notify(1);
            });
          }
          await sleep(100); // let every woken consumer run
          // A lost wake-up leaves an item on the table and a consumer asleep.
          const asleep = tasks.filter((task) => !task.done()).length;
          expect(items > 0 && asleep > 0).toBe(false);
          for (const task of tasks) task.cancel();
        });
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);
});
