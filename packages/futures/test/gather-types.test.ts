/*
 * gather's result types (issue 11, case 7). With `returnExceptions: true` an element is
 * the child's value OR whatever it threw (any value can be thrown in JavaScript), so each
 * element is `unknown` and must be narrowed before use; without it, the typed tuple of
 * results. The `@ts-expect-error` lines are checked by the package's typecheck (tsc over
 * src/ and test/): they fail it if the mistake they show ever type-checks again.
 */

import { VirtualLoop } from '@coro/loop';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createTask, type GatheringFuture, gather, run, sleep } from '../src/index.js';

describe('gather types (issue 11, case 7)', () => {
  it('types the results as the tuple of values without returnExceptions', () => {
    const loop = new VirtualLoop();
    const all = gather([sleep(1, 2), createTask(async () => 'two', { loop })], { loop });

    expectTypeOf(all).toEqualTypeOf<GatheringFuture<[number, string]>>();
    all.cancel();
  });

  it('types every element as unknown with returnExceptions: true (a value or what was thrown)', async () => {
    const results = await run(
      () =>
        gather(
          [
            sleep(1, 1.25),
            createTask(async (): Promise<number> => {
              throw new Error('no number today');
            }),
          ],
          { returnExceptions: true },
        ),
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expectTypeOf(results).toEqualTypeOf<[unknown, unknown]>();
    // @ts-expect-error: an element may be an error, so it is not a number until narrowed
    expect(() => results.map((n) => n.toFixed(1))).toThrow(TypeError);
    const fixed = results.map((n) => (typeof n === 'number' ? n.toFixed(1) : 'failed'));
    expect(fixed).toEqual(['1.3', 'failed']);
  });

  it('types the elements as unknown when returnExceptions is only known at run time', () => {
    const loop = new VirtualLoop();
    const returnExceptions = Math.random() > 2; // a boolean the compiler cannot narrow
    const all = gather([sleep(1, 2)], { loop, returnExceptions });

    expectTypeOf(all).toEqualTypeOf<GatheringFuture<[unknown]>>();
    all.cancel();
  });
});
