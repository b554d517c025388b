import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deque } from '../src/index.js';

type Operation =
  | { kind: 'push'; value: number }
  | { kind: 'unshift'; value: number }
  | { kind: 'shift' }
  | { kind: 'pop' }
  | { kind: 'at'; index: number }
  | { kind: 'peekFront' }
  | { kind: 'peekBack' }
  | { kind: 'clear' };

const anyOperation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), value: fc.integer() }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('unshift' as const), value: fc.integer() }),
  },
  { weight: 3, arbitrary: fc.constant({ kind: 'shift' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'pop' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('at' as const),
      index: fc.integer({ min: -80, max: 80 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'peekFront' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'peekBack' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/** Applies `operation` to the deque and to the array model; returns both results. */
function apply(deque: Deque<number>, model: number[], operation: Operation): [unknown, unknown] {
  switch (operation.kind) {
    case 'push':
      deque.push(operation.value);
      model.push(operation.value);
      return [undefined, undefined];
    case 'unshift':
      deque.unshift(operation.value);
      model.unshift(operation.value);
      return [undefined, undefined];
    case 'shift':
      return [deque.shift(), model.shift()];
    case 'pop':
      return [deque.pop(), model.pop()];
    case 'at':
      return [deque.at(operation.index), model.at(operation.index)];
    case 'peekFront':
      return [deque.peekFront(), model[0]];
    case 'peekBack':
      return [deque.peekBack(), model.at(-1)];
    case 'clear':
      deque.clear();
      model.length = 0;
      return [undefined, undefined];
  }
}

describe('Deque (property)', () => {
  it('behaves like an array under any sequence of push/unshift/shift/pop/at/clear', () => {
    fc.assert(
      fc.property(
        fc.array(anyOperation, { maxLength: 300 }),
        fc.array(fc.integer(), { maxLength: 40 }),
        (operations, initial) => {
          const deque = new Deque<number>(initial);
          const model = [...initial];
          for (const operation of operations) {
            const [actual, expected] = apply(deque, model, operation);
            expect(actual).toBe(expected);
            expect(deque.length).toBe(model.length);
          }
          expect([...deque]).toEqual(model);
          for (let i = -model.length - 1; i <= model.length; i++)
            expect(deque.at(i)).toBe(model.at(i));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
