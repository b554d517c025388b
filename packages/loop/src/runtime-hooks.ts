import type { Loop } from './loop.js';
import { sharedState } from './shared-runtime.js';

/**
 * How a higher package (`@coro/futures`) plugs concepts the loop cannot know into it,
 * without the loop depending on it (DESIGN §11).
 *
 * @example
 * ```ts
 * import { installRuntimeHooks, type RuntimeHooks } from '@coro/loop';
 *
 * // A scheduler of your own (in place of @coro/futures) tells a stuck VirtualLoop what waits:
 * // the DeadlockError it raises then carries this text
 * const jobs: string[] = ['resize image'];
 * const hooks: Partial<RuntimeHooks> = {
 *   describePending: () => (jobs.length > 0 ? `jobs waiting: ${jobs.join(', ')}` : null),
 * };
 * installRuntimeHooks(hooks);
 * ```
 */
export interface RuntimeHooks {
  /** The loop of the current task, if code runs inside one. */
  currentLoop(): Loop | undefined;
  /** Turns what `runUntilComplete` was given into an awaitable bound to `loop` (a task for a function). */
  toAwaitable<T>(
    awaitableOrFn: PromiseLike<T> | (() => PromiseLike<T> | T),
    loop: Loop,
  ): PromiseLike<T>;
  /** Runs `callback` outside any task: loop ticks run through it, so plain callbacks see no current task. */
  runOutsideTasks(callback: () => void): void;
  /** A diagnosis of what is pending on `loop` (the call graph of its tasks), or `null` if nothing is. */
  describePending(loop: Loop): string | null;
  /** Called by `close()` just before `loop` closes: reports exceptions nobody retrieved. */
  loopClosing(loop: Loop): void;
}

/**
 * @internal The hooks in force; each has a default that needs no higher package.
 * One object per process, shared by every copy of coro (shared-runtime invariant 1):
 * the futures of either copy install into it, the loops of either copy read it.
 */
export const runtimeHooks: RuntimeHooks = sharedState<RuntimeHooks>('loop.runtimeHooks', () => ({
  currentLoop: () => undefined,
  toAwaitable: (awaitableOrFn) => {
    if (typeof awaitableOrFn !== 'function') return awaitableOrFn;
    try {
      return Promise.resolve(awaitableOrFn());
    } catch (error) {
      return Promise.reject(error);
    }
  },
  runOutsideTasks: (callback) => callback(),
  describePending: () => null,
  loopClosing: () => {},
}));

/**
 * Installs hooks; `@coro/futures` calls it when it loads. Only the given hooks change.
 * The hooks are process-wide: every copy of coro in the process sees them.
 *
 * @example
 * ```ts
 * import { installRuntimeHooks, VirtualLoop } from '@coro/loop';
 *
 * // Only the given hooks change: here, a note each time a loop closes
 * installRuntimeHooks({ loopClosing: (loop) => console.log(`loop closing at ${loop.time()} ms`) });
 * const loop = new VirtualLoop();
 * loop.close(); // prints: loop closing at 0 ms
 * ```
 */
export function installRuntimeHooks(hooks: Partial<RuntimeHooks>): void {
  Object.assign(runtimeHooks, hooks);
}
