import { createTask, gather, run, sleep } from '@coro/futures';
import { now, perSecond } from '../measure.js';
import type { Workload } from '../workload.js';

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
  targets: [{ kind: 'ratio', peer: 'uvloop', atLeast: 4 }],

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
};
