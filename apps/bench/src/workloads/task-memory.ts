import { createTask, Future, gather, run, sleep } from '@coro/futures';
import type { Fiber as EffectFiber } from 'effect/Fiber';
import { heapUsedAfterGc } from '../measure.js';
import { PEERS_WITH_EFFECT, type Workload } from '../workload.js';

/**
 * Bytes of V8 heap per pending task: `size` tasks blocked on one Future. heapUsed after
 * a full GC is read just before the tasks are created and again once every one of them
 * is suspended on the Future; the difference over `size` is the figure (the array that
 * holds the tasks, 8 bytes each, included, as the floor's array of promises is).
 * Python twin: python/task-memory.py (tracemalloc).
 */
export const taskMemory: Workload = {
  name: 'task-memory',
  unit: 'bytes',
  summary: 'heap bytes per task blocked on one Future (after GC)',
  defaultSize: 100_000,
  nodeFlags: ['--expose-gc'],
  peers: PEERS_WITH_EFFECT,
  // Issue 12: at most 1,100 bytes (V8 alone holds ~600 for an async function blocked
  // on any thenable, ~400 on a native promise; the rest is coro's and AsyncLocalStorage's).
  targets: [{ kind: 'atMost', value: 1_100 }],

  coro(size) {
    return run(async () => {
      const gate = new Future<void>();
      let blocked = 0;
      const blockOnGate = async (): Promise<void> => {
        blocked++;
        await gate;
      };
      const before = heapUsedAfterGc();
      const pending = Array.from({ length: size }, () => createTask(blockOnGate));
      // Tasks start on the next iteration; wait until each one sits on the gate.
      while (blocked < size) await sleep(0);
      const after = heapUsedAfterGc();
      gate.setResult();
      await gather(pending);
      return (after - before) / size;
    });
  },

  // The floor: async functions blocked on one promise.
  async node(size) {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const blockOnGate = async (): Promise<void> => {
      await gate;
    };
    const before = heapUsedAfterGc();
    // An async function runs up to its first await at once: all are blocked on return.
    const pending = Array.from({ length: size }, blockOnGate);
    const after = heapUsedAfterGc();
    open();
    await Promise.all(pending);
    return (after - before) / size;
  },

  // Effect 4: fibers blocked on one Deferred (Effect's one-shot Future). Each body is a
  // generator, Effect's counterpart of the async function coro's task runs, that bumps
  // the counter and awaits the Deferred. The fibers (forkChild) start on the scheduler's
  // next pass, as coro's tasks start on the loop's next iteration: the parent yields
  // until every one is suspended. The array of fibers is counted, as the others' are.
  async effect(size) {
    const { Deferred, Effect, Fiber } = await import('effect');
    return Effect.runPromise(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>();
        let blocked = 0;
        const blockOnGate = Effect.gen(function* () {
          blocked++;
          yield* Deferred.await(gate);
        });
        const before = heapUsedAfterGc();
        const fibers = new Array<EffectFiber<void>>(size);
        for (let i = 0; i < size; i++) fibers[i] = yield* Effect.forkChild(blockOnGate);
        while (blocked < size) yield* Effect.yieldNow;
        const after = heapUsedAfterGc();
        yield* Deferred.succeed(gate, undefined);
        yield* Fiber.joinAll(fibers);
        return (after - before) / size;
      }),
    );
  },
};
