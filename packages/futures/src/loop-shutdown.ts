/*
 * loop-shutdown: callbacks that `run()` (a Runner's close) awaits once the leftover tasks
 * are cancelled, before the loop is closed: the hook behind asyncio.run's
 * shutdown_default_executor, for packages above this one (@coro/workers registers its
 * default thread pool here; futures must not import it, DESIGN §11).
 *
 * Invariants
 *   1. Callbacks are kept per loop, in registration order, and run in that order, each
 *      awaited before the next; each runs at most once.
 *   2. A callback that throws or rejects is reported through the loop's exception
 *      handler; the ones after it still run.
 *
 * Tested by test/loop-shutdown.test.ts.
 */

import { describeValue, type Loop, requireFunction, sharedState } from '@coro/loop';

/** Shared by every copy of coro: a pool registered by one is shut down by the other's run(). */
const callbacksByLoop = sharedState(
  'futures.loopShutdownCallbacks',
  () => new WeakMap<Loop, Array<() => unknown>>(),
);

/**
 * Registers `callback` to run when a `Runner` on `loop` closes (at the end of `run()`),
 * after the leftover tasks were cancelled and before the loop is closed; the Runner
 * awaits what it returns. Returns a function that unregisters it. This is how a package
 * shuts down what it created for a loop, as asyncio.run shuts down the default executor.
 *
 * @throws TypeError if `loop` is not an object or `callback` not a function.
 * @example
 * ```ts
 * import { addLoopShutdownCallback, run } from '@coro/futures';
 * import { getRunningLoop } from '@coro/loop';
 *
 * await run(async () => {
 *   addLoopShutdownCallback(getRunningLoop(), async () => console.log('pool closed'));
 *   console.log('main done');
 * });
 * // main done
 * // pool closed
 * ```
 */
export function addLoopShutdownCallback(loop: Loop, callback: () => unknown): () => void {
  if (typeof loop !== 'object' || loop === null) {
    throw new TypeError(`loop must be a Loop; got ${describeValue(loop)}`);
  }
  requireFunction(callback, 'callback');
  let callbacks = callbacksByLoop.get(loop);
  if (callbacks === undefined) {
    callbacks = [];
    callbacksByLoop.set(loop, callbacks);
  }
  callbacks.push(callback);
  return () => {
    const list = callbacksByLoop.get(loop);
    const index = list?.indexOf(callback) ?? -1;
    if (index >= 0) list?.splice(index, 1);
  };
}

/** @internal Runs and forgets the callbacks registered for `loop` (invariants 1, 2). */
export async function runLoopShutdownCallbacks(loop: Loop): Promise<void> {
  for (;;) {
    const callback = callbacksByLoop.get(loop)?.shift();
    if (callback === undefined) break;
    try {
      await callback();
    } catch (error) {
      loop.callExceptionHandler({ message: 'a loop shutdown callback failed', exception: error });
    }
  }
  callbacksByLoop.delete(loop);
}
