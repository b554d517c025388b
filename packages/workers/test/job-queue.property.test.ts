/*
 * The queue and waiting room alone (src/job-queue.ts), under random submits, takes and
 * give-ups: first come, first served; counts never drift; the queue never holds more
 * than maxQueue through add. No worker, no thread.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobFunctionInfo } from '../src/function-table.js';
import { Job, type JobOwner } from '../src/job.js';
import { JobQueue } from '../src/job-queue.js';
import { PROTOCOL } from '../src/protocol.js';

type Operation =
  | { kind: 'add' }
  | { kind: 'take' }
  | { kind: 'giveUp'; index: number }
  | { kind: 'admit' };

const anyOperation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'add' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'take' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('giveUp' as const), index: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'admit' as const }) },
);

const jobFunction: JobFunctionInfo = { id: 0, exportName: null, averageMs: 0.1, batch: 8 };

describe('JobQueue under random adds, takes and give-ups', () => {
  it('hands jobs out in submission order, counts the live ones, and holds at most maxQueue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.array(anyOperation, { maxLength: 40 }),
        (maxQueue, operations) => {
          const queue = new JobQueue(maxQueue);
          // The owner does what PoolExecutor.release does for a job that no worker has.
          const owner: JobOwner = {
            release: (job) => {
              if (queue.drop(job)) job.leave();
            },
          };
          let nextId = 1;
          const live: Job<unknown>[] = []; // submitted, not taken, not given up: in order
          const taken: number[] = [];
          const expectedTaken: number[] = [];
          for (const operation of operations) {
            if (operation.kind === 'add') {
              const job = new Job(owner, nextId++, PROTOCOL.KIND_CALL, jobFunction, [], undefined);
              queue.add(job);
              live.push(job);
            } else if (operation.kind === 'take') {
              queue.admitWaiting();
              const job = queue.take();
              if (job !== undefined) {
                taken.push(job.id);
                expectedTaken.push((live.shift() as Job<unknown>).id);
              } else {
                expect(live).toEqual([]);
              }
            } else if (operation.kind === 'giveUp') {
              if (live.length === 0) continue;
              const [job] = live.splice(operation.index % live.length, 1);
              job?.cancel();
            } else {
              queue.admitWaiting();
            }

            expect(queue.queued + queue.waiting).toBe(live.length);
            if (maxQueue > 0) expect(queue.queued).toBeLessThanOrEqual(maxQueue);
          }

          expect(taken).toEqual(expectedTaken);
          expect(queue.takeAll().map((job) => job.id)).toEqual(live.map((job) => job.id));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
