/*
 * task-context: which task is running, tracked across `await`.
 *
 * On Node.js this is an AsyncLocalStorage: a task's function runs inside
 * `storage.run(task, …)`, so every continuation of its awaits, even after an
 * await on a foreign Promise, sees the task. Loop ticks run outside any task
 * (`runOutsideTasks`), so plain callbacks never see one.
 *
 * Where AsyncLocalStorage is missing (a browser), the task whose step is running
 * is tracked by hand: correct inside steps, unknown after foreign awaits.
 *
 * Cost, measured in apps/bench: on Node 24 AsyncLocalStorage is nearly free
 * (AsyncContextFrame); on Node 20 it enables promise hooks, which slows every
 * promise in the process (see packages/futures/README.md).
 */

import { installRuntimeHooks } from '@coro/loop';
import type { Task } from './task.js';

interface Storage {
  getStore(): Task<unknown> | undefined;
  run<R, A extends unknown[]>(store: Task<unknown>, callback: (...args: A) => R, ...args: A): R;
  exit<R, A extends unknown[]>(callback: (...args: A) => R, ...args: A): R;
}

type StorageConstructor = (new () => Storage) & {
  /** A function that runs its argument in the context current when snapshot() was called. */
  snapshot?: () => <R>(callback: () => R) => R;
};

function findAsyncLocalStorage(): StorageConstructor | undefined {
  const host = globalThis as unknown as {
    AsyncLocalStorage?: StorageConstructor;
    process?: {
      getBuiltinModule?: (id: string) => { AsyncLocalStorage?: StorageConstructor } | undefined;
    };
  };
  if (typeof host.AsyncLocalStorage === 'function') return host.AsyncLocalStorage;
  try {
    return host.process?.getBuiltinModule?.('node:async_hooks')?.AsyncLocalStorage;
  } catch {
    return undefined;
  }
}

let steppingTask: Task<unknown> | undefined;

const fallbackStorage: Storage = {
  getStore: () => steppingTask,
  run(store, callback, ...args) {
    const previous = steppingTask;
    steppingTask = store;
    try {
      return callback(...args);
    } finally {
      steppingTask = previous;
    }
  },
  exit(callback, ...args) {
    const previous = steppingTask;
    steppingTask = undefined;
    try {
      return callback(...args);
    } finally {
      steppingTask = previous;
    }
  },
};

const AsyncLocalStorageClass = findAsyncLocalStorage();

/** @internal Whether the current task survives foreign awaits (AsyncLocalStorage is available). */
export const tracksAcrossForeignAwaits = AsyncLocalStorageClass !== undefined;

/** @internal */
export const taskStorage: Storage =
  AsyncLocalStorageClass === undefined ? fallbackStorage : new AsyncLocalStorageClass();

/** @internal Sets the stepping task for the fallback tracker (no-op with AsyncLocalStorage). */
export function noteSteppingTask(task: Task<unknown> | undefined): void {
  if (!tracksAcrossForeignAwaits) steppingTask = task;
}

/**
 * The task running the current code, or `undefined` outside tasks (at top
 * level, in plain loop callbacks).
 *
 * @example
 * ```ts
 * import { createTask, currentTask, run } from '@coro/futures';
 *
 * await run(async () => {
 *   const worker = createTask(async () => currentTask()?.getName(), { name: 'worker' });
 *   console.log(await worker); // worker
 * });
 * console.log(currentTask()); // undefined
 * ```
 */
export function currentTask(): Task<unknown> | undefined {
  return taskStorage.getStore();
}

/**
 * Runs a callback outside any task. Loop ticks go through it on every step, so
 * it must be cheap: a snapshot of the empty context, taken once, re-enters it
 * without allocating (`exit()` copies the context map on Node 24 each call).
 */
function makeRunOutsideTasks(): (callback: () => void) => void {
  const snapshot = AsyncLocalStorageClass?.snapshot;
  if (typeof snapshot !== 'function') return (callback) => taskStorage.exit(callback);
  const runInEmptyContext = taskStorage.exit(() => snapshot.call(AsyncLocalStorageClass));
  return (callback) => runInEmptyContext(callback);
}

installRuntimeHooks({
  currentLoop: () => taskStorage.getStore()?.getLoop(),
  runOutsideTasks: makeRunOutsideTasks(),
});
