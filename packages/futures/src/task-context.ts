/*
 * task-context: which task is running, tracked across `await`.
 *
 * On Node.js this is an AsyncLocalStorage: a task's function runs inside
 * `storage.run(task, …)`, so every continuation of its awaits, even after an
 * await on a foreign Promise, sees the task. Loop ticks run outside any task
 * (`runOutsideTasks`), so plain callbacks never see one.
 *
 * Where AsyncLocalStorage is missing (a browser), the task whose step is running
 * is tracked by hand (`steppingTask`): correct inside steps, unknown after foreign
 * awaits. A step that resumes in a loop tick is set by the resuming Awaiter
 * (`noteSteppingTask`) and runs in the microtasks after the tick pauses, so leaving
 * the tick (`exit`) must keep it, not restore the task from before the tick:
 * restoring it hid the task from its own awaits, and cancel() never reached them
 * (tested by test/task-context-fallback.test.ts).
 *
 * One per process: the storage is a slot of @coro/loop's shared runtime, so every
 * copy of coro (the ESM and the CJS build) sees the same current task, and a coro
 * awaitable of one copy awaited in a task of the other becomes its waiter.
 *
 * Cost, measured in apps/bench: on Node 24 AsyncLocalStorage is nearly free
 * (AsyncContextFrame); on Node 20 it enables promise hooks, which slows every
 * promise in the process (see packages/futures/README.md).
 */

import { installRuntimeHooks, sharedState } from '@coro/loop';
import type { Task } from './task.js';

interface Storage {
  getStore(): Task<unknown> | undefined;
  run<R, A extends unknown[]>(store: Task<unknown>, callback: (...args: A) => R, ...args: A): R;
  exit<R, A extends unknown[]>(callback: (...args: A) => R, ...args: A): R;
  enterWith?(store: Task<unknown> | undefined): void;
}

interface AsyncHooksModule {
  AsyncLocalStorage?: new () => Storage;
  AsyncResource?: new (type: string) => { runInAsyncScope(callback: () => void): void };
}

function findAsyncHooks(): AsyncHooksModule | undefined {
  const host = globalThis as unknown as {
    AsyncLocalStorage?: new () => Storage;
    process?: { getBuiltinModule?: (id: string) => AsyncHooksModule | undefined };
  };
  if (typeof host.AsyncLocalStorage === 'function') {
    return { AsyncLocalStorage: host.AsyncLocalStorage };
  }
  try {
    return host.process?.getBuiltinModule?.('node:async_hooks');
  } catch {
    return undefined;
  }
}

/**
 * The current-task machinery, one per process: every copy of coro (the ESM and the
 * CJS build, two compatible versions) tracks tasks in the same storage, so
 * `currentTask()` of one copy sees the tasks of the other and a future of one copy
 * awaited in a task of the other becomes that task's waiter (see @coro/loop's
 * shared-runtime). Made by the first copy to load.
 */
interface TaskContext {
  /** An AsyncLocalStorage, or the fallback tracker below. */
  readonly storage: Storage;
  /** Whether the current task survives foreign awaits (AsyncLocalStorage is available). */
  readonly acrossForeignAwaits: boolean;
  /** Whether a scheduled task start may `enterWith` its context (see usesContextFrames). */
  readonly enterAtScheduledStart: boolean;
  /** The fallback tracker's task: the one whose step is running. */
  steppingTask: Task<unknown> | undefined;
  /** Runs a callback outside any task (see makeRunOutsideTasks). */
  readonly runOutsideTasks: (callback: () => void) => void;
}

function fallbackStorage(context: { steppingTask: Task<unknown> | undefined }): Storage {
  return {
    getStore: () => context.steppingTask,
    run(store, callback, ...args) {
      const previous = context.steppingTask;
      context.steppingTask = store;
      try {
        return callback(...args);
      } finally {
        context.steppingTask = previous;
      }
    },
    exit(callback, ...args) {
      const previous = context.steppingTask;
      context.steppingTask = undefined;
      try {
        return callback(...args);
      } finally {
        // A step the callback resumed goes on in the microtasks that follow: keep it.
        if (context.steppingTask === undefined) context.steppingTask = previous;
      }
    },
  };
}

/**
 * Runs a callback outside any task. Loop ticks go through it on every step, so
 * it must be cheap: an AsyncResource made once re-enters the context it was made
 * in with one call (`exit()` copies the context map on Node 24 each call, and a
 * `snapshot()` wrapper adds argument arrays on top of the same call). It is made
 * when the storage is new, so no task is in that context; and it is made as it is,
 * not inside `exit()`, which would add an entry (this storage → undefined) that
 * every task's context would then copy on Node 24 and later (a Map built from an
 * iterable: about half a microsecond per task).
 */
function makeRunOutsideTasks(
  storage: Storage,
  hooks: AsyncHooksModule | undefined,
): (callback: () => void) => void {
  const AsyncResourceClass = hooks?.AsyncResource;
  if (typeof AsyncResourceClass !== 'function') return (callback) => storage.exit(callback);
  const outside = new AsyncResourceClass('coro.loop');
  return (callback) => outside.runInAsyncScope(callback);
}

/**
 * Whether AsyncLocalStorage keeps its context in V8's continuation data
 * (AsyncContextFrame: Node 24 and later by default) rather than on async resources.
 * There `enterWith()` inside a scope that restores the context afterwards (a loop
 * tick) is safe, and builds one context map where `run()` builds two.
 */
function usesContextFrames(storage: Storage): boolean {
  const enterWith = storage.enterWith;
  return typeof enterWith === 'function' && enterWith.toString().includes('AsyncContextFrame');
}

function createTaskContext(): TaskContext {
  const hooks = findAsyncHooks();
  const AsyncLocalStorageClass = hooks?.AsyncLocalStorage;
  const state = { steppingTask: undefined as Task<unknown> | undefined };
  const storage =
    AsyncLocalStorageClass === undefined ? fallbackStorage(state) : new AsyncLocalStorageClass();
  return Object.assign(state, {
    storage,
    acrossForeignAwaits: AsyncLocalStorageClass !== undefined,
    enterAtScheduledStart: AsyncLocalStorageClass !== undefined && usesContextFrames(storage),
    runOutsideTasks: makeRunOutsideTasks(storage, hooks),
  });
}

const context = sharedState('futures.taskContext', createTaskContext);

/** @internal Whether the current task survives foreign awaits (AsyncLocalStorage is available). */
export const tracksAcrossForeignAwaits = context.acrossForeignAwaits;

/** @internal */
export const taskStorage: Storage = context.storage;

/**
 * @internal Whether a task started by a loop tick enters its context with `enterWith`
 * (the tick's scope restores the empty context when it returns) instead of `run`.
 */
export const entersAtScheduledStart = context.enterAtScheduledStart;

/** @internal Sets the stepping task for the fallback tracker (no-op with AsyncLocalStorage). */
export function noteSteppingTask(task: Task<unknown> | undefined): void {
  if (!tracksAcrossForeignAwaits) context.steppingTask = task;
}

/**
 * The task running the current code, or `undefined` outside tasks (at top
 * level, in plain loop callbacks). Every copy of coro in the process (the ESM and
 * the CJS build) returns the same task.
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

installRuntimeHooks({
  currentLoop: () => taskStorage.getStore()?.getLoop(),
  runOutsideTasks: context.runOutsideTasks,
});
