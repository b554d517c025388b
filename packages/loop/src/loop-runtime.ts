/*
 * loop-runtime: what coro's task layer (@coro/futures) needs from a loop beyond the
 * public `Loop`, as one named interface. `BaseLoop` implements it; the protocol it
 * serves is written down in @coro/futures' step.ts.
 *
 * Invariants
 *   1. `beginStep(task)` and `endStep(task)` come in pairs, called by the task whose
 *      step it is: begin when a handle resumes it (its code runs in the microtasks
 *      that follow), end when it suspends on a coro awaitable or finishes. Between
 *      the two the loop's tick is paused (BaseLoop invariant 5).
 *   2. `endStep` for a step that is not the current one does nothing: a step the
 *      loop's watchdog already ended (the task awaited a foreign promise) ends once.
 *   3. `enqueueHandle` is `callSoon` for a prebuilt handle: same order, same
 *      LoopClosedError, no allocation of its own. The handle needs only the two
 *      members the loop reads (`ReadyHandle`): a Handle is one, and so are objects
 *      of the task layer that are not Handles (an await's wake-up, a task's start).
 */

/**
 * What `enqueueHandle` queues: the two members of a Handle the loop uses. The loop
 * skips it when `callback` is `null` (cancelled) and otherwise calls `run()`; a
 * `Handle` is one. The task layer queues its own objects this way (one per await),
 * without allocating a Handle for each.
 *
 * @example
 * ```ts
 * import { type ReadyHandle, VirtualLoop } from '@coro/loop';
 *
 * const loop = new VirtualLoop();
 * const wakeUp: ReadyHandle = { callback: () => {}, run: () => console.log('woken') };
 * loop.enqueueHandle(wakeUp);
 * await loop.advance(0); // prints: woken
 * ```
 */
export interface ReadyHandle {
  /** `null` once cancelled: the loop skips the handle. */
  readonly callback: ((...args: any[]) => unknown) | null;
  /** Called by the loop, once, in turn. */
  run(): void;
}

/**
 * The loop's side of the task step protocol: the calls a task layer makes to tie
 * its steps to the loop's iterations. `BaseLoop` implements it; `@coro/futures`
 * is its user (its step.ts states the whole protocol). Application code never
 * calls it; a scheduler of your own on top of `@coro/loop` may.
 *
 * @example
 * ```ts
 * import { Handle, type LoopRuntime, VirtualLoop } from '@coro/loop';
 *
 * // A hand-made "task" whose step runs in microtasks, as @coro/futures' tasks do
 * const loop = new VirtualLoop();
 * const runtime: LoopRuntime = loop;
 * const step = { name: 'worker' };
 * runtime.enqueueHandle(
 *   new Handle(() => {
 *     runtime.beginStep(step); // the tick now waits for this step
 *     queueMicrotask(() => {
 *       console.log('step runs before the next callback');
 *       runtime.endStep(step); // the tick goes on from here
 *     });
 *   }, null),
 * );
 * loop.callSoon(() => console.log('next callback'));
 * await loop.advance(0);
 * ```
 */
export interface LoopRuntime {
  /** Queues a prebuilt handle like `callSoon` (same order, no allocation of its own). */
  enqueueHandle(handle: ReadyHandle): void;
  /** A step of `owner` begins: the tick waits until `endStep(owner)` (or a foreign await). */
  beginStep(owner: object): void;
  /** The step of `owner` ended; the tick goes on, outside any task. No-op for another owner. */
  endStep(owner: object): void;
  /** The owner of the step running now, or `null`. */
  readonly stepOwner: object | null;
}
