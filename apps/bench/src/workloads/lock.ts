import { createTask, gather, run, sleep } from '@coro/futures';
import { Lock } from '@coro/sync';
import { now, perSecond } from '../measure.js';
import type { Workload } from '../workload.js';

const TASKS = 100;

/** The raw-Node floor: a FIFO mutex whose hand-off resolves a promise; a microtask yield. */
class FloorMutex {
  #locked = false;
  readonly #waiters: (() => void)[] = [];
  #head = 0;
  acquire(): Promise<void> | undefined {
    if (!this.#locked) {
      this.#locked = true;
      return undefined;
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head] as () => void;
      this.#waiters[this.#head++] = undefined as never;
      if (this.#head > 1024) {
        this.#waiters.splice(0, this.#head);
        this.#head = 0;
      }
      next(); // stays locked: handed to the next waiter
    } else {
      this.#locked = false;
    }
  }
}

/**
 * 100 tasks share one Lock; each acquisition holds it across one `await sleep(0)`.
 * Python twin: python/lock.py.
 */
export const lock: Workload = {
  name: 'lock',
  unit: 'ops/s',
  summary: '100 tasks sharing one Lock, each holding it across one await sleep(0)',
  defaultSize: 1_000_000,
  targets: [{ kind: 'ratio', peer: 'uvloop', atLeast: 3 }],

  async coro(size) {
    const perTask = Math.floor(size / TASKS);
    const started = now();
    await run(async () => {
      const shared = new Lock();
      await gather(
        Array.from({ length: TASKS }, () =>
          createTask(async () => {
            for (let i = 0; i < perTask; i++) {
              await shared.acquire();
              try {
                await sleep(0);
              } finally {
                shared.release();
              }
            }
          }),
        ),
      );
    });
    return perSecond(perTask * TASKS, started);
  },

  async node(size) {
    const perTask = Math.floor(size / TASKS);
    const yieldOnce = Promise.resolve();
    const started = now();
    const mutex = new FloorMutex();
    await Promise.all(
      Array.from({ length: TASKS }, async () => {
        for (let i = 0; i < perTask; i++) {
          await mutex.acquire();
          try {
            await yieldOnce;
          } finally {
            mutex.release();
          }
        }
      }),
    );
    return perSecond(perTask * TASKS, started);
  },
};
