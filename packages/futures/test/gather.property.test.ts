/*
 * gather with returnExceptions over random children (tasks, async functions and
 * Promises that succeed or fail after random sleeps, tasks cancelled from outside):
 * the result at each index is that child's own outcome.
 */
import { VirtualLoop } from '@coro/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allTasks, CancelledError, createTask, gather, run, sleep } from '../src/index.js';

type Child =
  | { kind: 'value' | 'error'; form: 'task' | 'function' | 'promise'; delayMs: number }
  | { kind: 'cancelled'; cancelAtMs: number };

class ChildError extends Error {}

const anyChild: fc.Arbitrary<Child> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('value' as const, 'error' as const),
    form: fc.constantFrom('task' as const, 'function' as const, 'promise' as const),
    delayMs: fc.integer({ min: 0, max: 50 }),
  }),
  fc.record({
    kind: fc.constant('cancelled' as const),
    cancelAtMs: fc.integer({ min: 0, max: 50 }),
  }),
);

/** What the result at `index` must be. */
function expectedAt(child: Child, index: number): unknown {
  if (child.kind === 'value') return `value ${index}`;
  if (child.kind === 'error') return new ChildError(`error ${index}`);
  return new CancelledError(`cancel ${index}`);
}

describe('gather with returnExceptions (property)', () => {
  it("puts each child's own outcome at its index", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyChild, { maxLength: 8 }), async (children) => {
        const loop = new VirtualLoop({ autojump: true });

        const results = await run(
          async () => {
            const awaitables = children.map((child, index) => {
              if (child.kind === 'cancelled') {
                const task = createTask(() => sleep(1_000));
                loop.callAt(child.cancelAtMs, () => task.cancel(`cancel ${index}`));
                return task;
              }
              const settle = async (): Promise<string> => {
                await sleep(child.delayMs);
                if (child.kind === 'error') throw new ChildError(`error ${index}`);
                return `value ${index}`;
              };
              if (child.form === 'task') return createTask(settle);
              if (child.form === 'function') return settle;
              return new Promise<string>((resolve, reject) =>
                loop.callAt(child.delayMs, () =>
                  child.kind === 'error'
                    ? reject(new ChildError(`error ${index}`))
                    : resolve(`value ${index}`),
                ),
              );
            });
            return await gather(awaitables, { returnExceptions: true });
          },
          { loop },
        );

        expect(results).toHaveLength(children.length);
        children.forEach((child, index) => {
          const result: unknown = results[index];
          const expected = expectedAt(child, index);
          if (expected instanceof Error) {
            expect(result).toBeInstanceOf(expected.constructor);
            expect((result as Error).message).toBe(expected.message);
          } else expect(result).toBe(expected);
        });
        expect(allTasks(loop).size).toBe(0);
      }),
      { numRuns: 1_000 },
    );
  });
});
