import { createTask, gather, run, sleep } from '@coro/futures';
import type { Fiber as EffectFiber } from 'effect/Fiber';
import { now, perSecond } from '../measure.js';
import { PEERS_WITH_EFFECT, type Workload } from '../workload.js';

/**
 * `size` tasks that each `await sleep(0)` twice, gathered, under `run()` on the default
 * NodeLoop: creating, scheduling, suspending, resuming and collecting a task.
 * Python twin: python/tasks.py (create_task + gather).
 */
export const tasks: Workload = {
  name: 'tasks',
  unit: 'ops/s',
  summary: 'tasks that each await sleep(0) twice, gathered, under run()',
  defaultSize: 100_000,
  peers: PEERS_WITH_EFFECT,
  // Issue 12: at least 0.4x raw async functions and 2x uvloop, on Node 24 and 26.
  targets: [
    { kind: 'ratio', peer: 'node', atLeast: 0.4 },
    { kind: 'ratio', peer: 'uvloop', atLeast: 2 },
  ],

  async coro(size) {
    const started = now();
    await run(async () => {
      await gather(
        Array.from({ length: size }, () =>
          createTask(async () => {
            await sleep(0);
            await sleep(0);
          }),
        ),
      );
    });
    return perSecond(size, started);
  },

  // The floor: async functions awaiting an already resolved promise twice, Promise.all.
  async node(size) {
    const resolved = Promise.resolve();
    const started = now();
    await Promise.all(
      Array.from({ length: size }, async () => {
        await resolved;
        await resolved;
      }),
    );
    return perSecond(size, started);
  },

  // Effect 4: a fiber per task (forkChild, then Fiber.joinAll: createTask, then gather),
  // its body a generator (Effect's counterpart of an async function) that yields twice
  // with Effect.yieldNow. That is what asyncio.sleep(0) and coro's sleep(0) are: no timer,
  // a bare turn through the scheduler's ready queue, resumed on its next pass. Effect's
  // own sleep(0) is the same yieldNow reached through a Clock service lookup
  // (Clock.sleepMillis returns yieldNow for 0 ms), so yieldNow is the nearest and the
  // cheapest. Timed around Effect.runPromise, as coro is around run().
  async effect(size) {
    const { Effect, Fiber } = await import('effect');
    const yieldTwice = Effect.gen(function* () {
      yield* Effect.yieldNow;
      yield* Effect.yieldNow;
    });
    const started = now();
    await Effect.runPromise(
      Effect.gen(function* () {
        const fibers = new Array<EffectFiber<void>>(size);
        for (let i = 0; i < size; i++) fibers[i] = yield* Effect.forkChild(yieldTwice);
        yield* Fiber.joinAll(fibers);
      }),
    );
    return perSecond(size, started);
  },
};
