import { setTimeout as sleepFor } from 'node:timers/promises';
import { createTask, gather, run, sleep, type Task } from '@coro/futures';
import type { Fiber as EffectFiber } from 'effect/Fiber';
import { now, perSecond } from '../measure.js';
import { PEERS_WITH_EFFECT, type Workload } from '../workload.js';

/** How long each task would sleep if nothing cancelled it: far past the run's end. */
const HOUR_MS = 3_600_000;

/**
 * `size` tasks that each sleep an hour on the real loop; once every one of them is
 * suspended in its sleep, all are cancelled one by one and awaited. Measured from the
 * first cancel until the last task is done: cancels/s = size / seconds (so 10,000 tasks
 * in 200 ms read 50 k/s). What differs between peers is delivering a cancellation into a
 * sleeping task (its timer cleared, the error thrown at its await), unwinding it, and
 * collecting its end. Python twin: python/cancel.py (task.cancel() + gather).
 */
export const cancel: Workload = {
  name: 'cancel',
  unit: 'ops/s',
  unitLabel: 'cancels/s',
  summary:
    'tasks sleeping an hour, all cancelled and awaited; from the first cancel to the last done',
  defaultSize: 10_000,
  peers: PEERS_WITH_EFFECT,
  // Issue 12: faster than Effect 4 (which took 137–181 ms to coro's 199–327 ms).
  targets: [{ kind: 'ratio', peer: 'effect', atLeast: 1 }],

  // The public path, as in asyncio: createTask, then task.cancel() on each, then
  // gather({ returnExceptions: true }) to wait for them all (each slot a CancelledError).
  coro(size) {
    return run(async () => {
      let sleeping = 0;
      const sleepAnHour = async (): Promise<void> => {
        sleeping++;
        await sleep(HOUR_MS);
      };
      const tasks: Task<void>[] = Array.from({ length: size }, () => createTask(sleepAnHour));
      // Tasks start on the next iteration; wait until each one sits in its sleep.
      while (sleeping < size) await sleep(0);
      const started = now();
      for (const task of tasks) task.cancel();
      await gather(tasks, { returnExceptions: true });
      return perSecond(size, started);
    });
  },

  // The floor: async functions in node:timers/promises' setTimeout, each with an
  // AbortController of its own (aborting clears the timer and rejects the sleep with an
  // AbortError); Promise.allSettled waits for every one.
  async node(size) {
    const controllers = Array.from({ length: size }, () => new AbortController());
    const sleepAnHour = async (controller: AbortController): Promise<void> => {
      await sleepFor(HOUR_MS, undefined, { signal: controller.signal });
    };
    // An async function runs up to its first await at once: all are asleep on return.
    const pending = controllers.map(sleepAnHour);
    const started = now();
    for (const controller of controllers) controller.abort();
    await Promise.allSettled(pending);
    return perSecond(size, started);
  },

  // Effect 4: fibers (forkChild) asleep in Effect.sleep('1 hour'), interrupted with
  // Fiber.interruptAll, which returns once every fiber is done.
  async effect(size) {
    const { Effect, Fiber } = await import('effect');
    return Effect.runPromise(
      Effect.gen(function* () {
        let sleeping = 0;
        const sleepAnHour = Effect.gen(function* () {
          sleeping++;
          yield* Effect.sleep(HOUR_MS);
        });
        const fibers = new Array<EffectFiber<void>>(size);
        for (let i = 0; i < size; i++) fibers[i] = yield* Effect.forkChild(sleepAnHour);
        // Forked fibers start on the scheduler's next pass; wait until each one sleeps.
        while (sleeping < size) yield* Effect.yieldNow;
        const started = now();
        yield* Fiber.interruptAll(fibers);
        return perSecond(size, started);
      }),
    );
  },
};
