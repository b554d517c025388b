import { createTask, Future, gather, run, sleep } from '@coro/futures';
import { heapUsedAfterGc } from '../measure.js';
import type { Workload } from '../workload.js';

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
  targets: [{ kind: 'atMost', value: 600 }],

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
};
