/*
 * gather: run awaitables concurrently and collect their results in argument order.
 *
 * Invariants
 *   1. Every awaitable becomes a Future on one loop (ensureFuture): Tasks and
 *      Futures as they are, promises and async functions wrapped.
 *   2. Without returnExceptions the outer future settles at the first failure or
 *      cancellation of a child; the other children go on (asyncio), and their
 *      exceptions stay unretrieved, so they are still reported (DESIGN §4).
 *   3. With returnExceptions the outer future settles once every child is done,
 *      each slot holding a value, an error or a CancelledError (typed `unknown`).
 *   4. Cancelling the outer future cancels every pending child and returns whether
 *      any was; it ends cancelled once the children are done (GatheringFuture).
 *
 * Tested by test/gather.test.ts, test/gather.property.test.ts, test/gather-types.test.ts.
 */

import { describeValue, type Loop } from '@coro/loop';
import { type AwaitableLike, ensureFuture } from './ensure-future.js';
import { deliveredCancelledError } from './errors.js';
import { asBaseLoop, Future } from './future.js';
import { REJECTED } from './future-state.js';

/**
 * The result type of one awaitable given to `gather`.
 *
 * @example
 * ```ts
 * import { type Future, gather, type ResultOf, run, sleep } from '@coro/futures';
 *
 * // What gather puts in each slot: the value its Future, Promise or async function settles with
 * type Slots = [ResultOf<Future<string>>, ResultOf<PromiseLike<number>>, ResultOf<() => Promise<boolean>>];
 * const results: Slots = await run(() => gather([sleep(10, 'a'), Promise.resolve(1), async () => true]));
 * console.log(results); // [ 'a', 1, true ]
 * ```
 */
export type ResultOf<A> =
  A extends Future<infer R>
    ? R
    : A extends PromiseLike<infer R>
      ? R
      : A extends () => infer R
        ? Awaited<R>
        : never;

/**
 * Options of `gather`.
 *
 * @example
 * ```ts
 * import { gather, run, sleep } from '@coro/futures';
 *
 * const failing = async () => {
 *   throw new Error('disk full');
 * };
 * // returnExceptions: the error becomes a result instead of failing the whole gather
 * const [saved, error] = await run(() => gather([sleep(10, 'saved'), failing], { returnExceptions: true }));
 * console.log(saved, error instanceof Error); // saved true
 * ```
 */
export interface GatherOptions {
  /** Put errors (and CancelledErrors) in the results instead of failing at the first. @defaultValue false */
  returnExceptions?: boolean;
  /** The loop of the returned future. @defaultValue the running loop */
  loop?: Loop;
}

/** @internal Marks a done callback with the future that waits through it (for call graphs). */
export interface ParentLink {
  parentFuture?: Future<unknown>;
}

/**
 * The Future `gather` returns: cancelling it cancels every child that is still
 * pending and returns whether any was.
 *
 * @example
 * ```ts
 * import { createTask, gather, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const all = gather([createTask(() => sleep(1_000)), createTask(() => sleep(2_000))]);
 *   await sleep(0);
 *   console.log(all.cancel()); // true: both children are cancelled
 * });
 * ```
 */
export class GatheringFuture<T> extends Future<T> {
  readonly #children: readonly Future<unknown>[];
  /** @internal */ cancelRequested = false;

  /** Not for direct use: call `gather`. */
  constructor(loop: Loop, children: readonly Future<unknown>[]) {
    super({ loop });
    this.#children = children;
  }

  override cancel(message?: string): boolean {
    if (this.done()) return false;
    let cancelledAny = false;
    for (const child of this.#children) if (child.cancel(message)) cancelledAny = true;
    // The children's callbacks complete this future (as CancelledError) once all are done.
    if (cancelledAny) this.cancelRequested = true;
    return cancelledAny;
  }

  override describe(): string {
    const pending = this.#children.filter((child) => !child.done()).length;
    return `gather(${this.#children.length} awaitables, ${pending} pending)`;
  }

  override waitsOn(): readonly Future<unknown>[] {
    return this.#children.filter((child) => !child.done());
  }
}

/**
 * Runs awaitables concurrently and resolves to their results in argument order
 * (a typed tuple). Promises are wrapped, async functions become tasks.
 * The first error (or cancelled child) fails the gather at once; the other
 * children keep running, and an exception of theirs nobody retrieves is still
 * reported. With `returnExceptions`, errors are results: each element is then typed
 * `unknown` (a value, or whatever its child threw; JavaScript can throw anything), so
 * narrow it (`typeof r === 'number'`, `r instanceof Error`) before use. Cancelling the
 * gather cancels its children.
 *
 * @throws TypeError if `awaitables` is not an array or holds a non-awaitable.
 * @example
 * ```ts
 * import { gather, run, sleep } from '@coro/futures';
 *
 * const [a, b] = await run(() =>
 *   gather([sleep(20, 'slow'), sleep(10, 'fast')]), // both sleep at once: ~20 ms
 * );
 * console.log(a, b); // slow fast
 * ```
 */
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  awaitables: A,
  options?: GatherOptions & { returnExceptions?: false },
): GatheringFuture<{ -readonly [K in keyof A]: ResultOf<A[K]> }>;
/**
 * With `returnExceptions: true` (or a boolean known only at run time), an element is its
 * child's value or what the child threw, so every element is `unknown` until narrowed.
 */
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  awaitables: A,
  options: GatherOptions,
): GatheringFuture<{ -readonly [K in keyof A]: unknown }>;
export function gather<const A extends readonly AwaitableLike<unknown>[]>(
  awaitables: A,
  options?: GatherOptions,
): GatheringFuture<unknown[]> {
  type Results = unknown[];
  if (!Array.isArray(awaitables)) {
    throw new TypeError(`awaitables must be an array; got ${describeValue(awaitables)}`);
  }
  const returnExceptions = options?.returnExceptions ?? false;
  if (typeof returnExceptions !== 'boolean') {
    throw new TypeError(
      `options.returnExceptions must be a boolean; got ${describeValue(returnExceptions)}`,
    );
  }
  const loop = asBaseLoop(options?.loop);
  const children = awaitables.map((awaitable) =>
    ensureFuture(awaitable as AwaitableLike<unknown>, { loop }),
  );
  const outer = new GatheringFuture<Results>(loop, children);
  const total = children.length;
  if (total === 0) {
    outer.resolveNow([] as unknown as Results);
    return outer;
  }
  let finished = 0;
  const onChildDone = (child: Future<unknown>): void => {
    finished++;
    // Outer already failed: the child's exception stays unretrieved, so it is
    // still reported if nobody looks at it (DESIGN §4; asyncio silences it).
    if (outer.done()) return;
    if (!returnExceptions) {
      if (child.cancelled()) {
        outer.rejectNow(child.takeCancelledError());
        return;
      }
      if (child.state === REJECTED) {
        outer.rejectNow(child.exception());
        return;
      }
    }
    if (finished < total) return;
    const results = children.map((each) => {
      // A fresh error per result, as CPython's gather: the task's own stays for
      // whoever awaits it (or for the cancelled gather below).
      if (each.cancelled()) return deliveredCancelledError(each.settled as string);
      return each.state === REJECTED ? each.exception() : each.settled;
    });
    if (outer.cancelRequested)
      outer.rejectNow(child.cancelled() ? child.takeCancelledError() : deliveredCancelledError(''));
    else outer.resolveNow(results as unknown as Results);
  };
  (onChildDone as ParentLink).parentFuture = outer as Future<unknown>;
  for (const child of children) child.addDoneCallback(onChildDone);
  return outer;
}
