/*
 * Runner and run(): asyncio.run for coro. Run a main task on a loop, then clean up.
 *
 * Invariants
 *   1. `run()` is never called from inside a task (await the function instead).
 *   2. The main task runs on the runner's loop (a new one, closed afterwards, unless
 *      `loop` was given); while it runs, the first SIGINT/SIGTERM cancels it
 *      (interrupt.ts), and run() then rejects with KeyboardInterrupt.
 *   3. `close()` cancels and awaits the leftover tasks, runs the loop's shutdown
 *      callbacks (the default executor), reports every exception nobody retrieved
 *      (unretrieved.ts), then closes the loop if the runner made it. run() closes
 *      its runner whatever main did, so nothing it started outlives it.
 *
 * Tested by test/runner.test.ts, test/run-signals.test.ts, test/unretrieved.test.ts.
 */

import { describeValue, type Loop, newEventLoop } from '@coro/loop';
import { CancelledError } from './errors.js';
import { asBaseLoop } from './future.js';
import { gather } from './gather.js';
import { KeyboardInterrupt, SignalWatch } from './interrupt.js';
import { runLoopShutdownCallbacks } from './loop-shutdown.js';
import { allTasks, createTask, type Task } from './task.js';
import { currentTask } from './task-context.js';
import { reportUnretrieved } from './unretrieved.js';

/**
 * Options of `run()` and `new Runner()`.
 *
 * @example
 * ```ts
 * import { run, type RunOptions } from '@coro/futures';
 * import { VirtualLoop } from '@coro/loop';
 *
 * const options: RunOptions = { loop: new VirtualLoop({ autojump: true }), debug: true };
 * await run(async () => {}, options);
 * ```
 */
export interface RunOptions {
  /** Turn the loop's debug mode on. @defaultValue false */
  debug?: boolean;
  /** The loop to run on; it is not closed afterwards. @defaultValue a new loop, closed afterwards */
  loop?: Loop;
  /**
   * Turn the first SIGINT (Ctrl-C) or SIGTERM into a cancellation of the main task:
   * its `finally` blocks and run()'s cleanup run, then run() rejects with
   * {@link KeyboardInterrupt} (uncaught, it ends the process by that signal). A
   * second signal ends the process at once. Only on the main thread, and only for
   * a signal the program does not listen to (a listener it adds inside main takes
   * the signal over). `false`: Node's default (the
   * process ends at once, nothing cleaned up). @defaultValue true
   */
  handleSignals?: boolean;
}

/**
 * Something `run` can run: an async function (run as the main task) or any awaitable.
 *
 * @example
 * ```ts
 * import { type Main, run, sleep } from '@coro/futures';
 *
 * // An async function: run() runs it as the main task and resolves to what it returns
 * const main: Main<string> = async () => {
 *   await sleep(10);
 *   return 'done';
 * };
 * console.log(await run(main)); // done
 * ```
 */
export type Main<T> = (() => T | PromiseLike<T>) | PromiseLike<T>;

/**
 * Runs several top-level calls on one loop, then cleans up: asyncio's Runner.
 * `run(main)` runs `main` as a task and resolves to its result; `close()` cancels
 * and awaits the tasks left over, and closes the loop if the runner made it.
 *
 * @example
 * ```ts
 * import { Runner, sleep } from '@coro/futures';
 *
 * const runner = new Runner();
 * console.log(await runner.run(async () => { await sleep(10); return 'first'; })); // first
 * console.log(await runner.run(async () => 'second')); // second, on the same loop
 * await runner.close();
 * ```
 */
export class Runner {
  readonly #givenLoop: Loop | undefined;
  readonly #debug: boolean | undefined;
  readonly #handleSignals: boolean;
  #loop: Loop | null = null;
  #closed = false;

  constructor(options: RunOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    if (options.loop !== undefined) asBaseLoop(options.loop);
    if (options.debug !== undefined && typeof options.debug !== 'boolean') {
      throw new TypeError(`options.debug must be a boolean; got ${describeValue(options.debug)}`);
    }
    if (options.handleSignals !== undefined && typeof options.handleSignals !== 'boolean') {
      throw new TypeError(
        `options.handleSignals must be a boolean; got ${describeValue(options.handleSignals)}`,
      );
    }
    this.#givenLoop = options.loop;
    this.#debug = options.debug;
    this.#handleSignals = options.handleSignals ?? true;
  }

  /** The runner's loop (made on first use). */
  getLoop(): Loop {
    if (this.#closed) throw new Error('Runner is closed');
    if (this.#loop === null) {
      this.#loop = this.#givenLoop ?? newEventLoop();
      if (this.#debug !== undefined) this.#loop.setDebug(this.#debug);
    }
    return this.#loop;
  }

  /**
   * Runs `main` as a task on the runner's loop and resolves to its result. While
   * it waits, the first SIGINT or SIGTERM cancels the main task (see
   * `handleSignals`); once the task has ended, this rejects with
   * {@link KeyboardInterrupt}.
   * @throws Error if called from inside a task (await the function instead).
   */
  async run<T>(main: Main<T>): Promise<Awaited<T>> {
    if (
      typeof main !== 'function' &&
      (main === null || typeof (main as PromiseLike<T>)?.then !== 'function')
    ) {
      throw new TypeError(
        `main must be an async function or an awaitable; got ${describeValue(main)}`,
      );
    }
    if (currentTask() !== undefined) {
      throw new Error(
        'run() cannot be called from a running task; await the function (or a task) directly',
      );
    }
    const loop = this.getLoop();
    const body = typeof main === 'function' ? main : () => main;
    const task = createTask(body, { loop });
    const signals = this.#handleSignals ? SignalWatch.start(task as Task<unknown>) : null;
    if (signals === null) return loop.runUntilComplete(task) as Promise<Awaited<T>>;
    try {
      return (await loop.runUntilComplete(task)) as Awaited<T>;
    } catch (error) {
      // asyncio.Runner.run: the task ended cancelled by the interrupt, and nobody
      // else asked for that cancellation: it is the interrupt that surfaces.
      if (signals.received !== null && error instanceof CancelledError && task.uncancel() === 0) {
        throw new KeyboardInterrupt(signals.received);
      }
      throw error;
    } finally {
      signals.remove();
    }
  }

  /**
   * Cancels and awaits leftover tasks, runs the loop's shutdown callbacks
   * (`addLoopShutdownCallback`: the default executor), reports through the loop's
   * exception handler every task or future exception nobody retrieved ("exception was
   * never retrieved"), then closes the loop if the runner made it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const loop = this.#loop;
    this.#closed = true;
    if (loop === null) return;
    try {
      await cancelLeftoverTasks(loop);
      await runLoopShutdownCallbacks(loop);
    } finally {
      // Every failure nobody retrieved is reported now, not at some later garbage
      // collection (DESIGN §2); a loop the runner made would report on close() too.
      reportUnretrieved(asBaseLoop(loop));
      if (this.#givenLoop === undefined) loop.close();
    }
  }

  /** `await using runner = new Runner()` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function cancelLeftoverTasks(loop: Loop): Promise<void> {
  const tasks = [...allTasks(loop)];
  if (tasks.length === 0) return;
  for (const task of tasks) task.cancel();
  try {
    // Through runUntilComplete, so a VirtualLoop reports a task that cannot end
    // (stuck on a foreign promise) as a deadlock instead of hanging here.
    await loop.runUntilComplete(gather(tasks, { returnExceptions: true, loop }));
  } catch (error) {
    loop.callExceptionHandler({
      message: 'leftover tasks did not end when cancelled at run() shutdown',
      exception: error,
    });
    return;
  }
  for (const task of tasks) {
    if (task.cancelled()) continue;
    const error = task.exception();
    if (error !== null) {
      loop.callExceptionHandler({
        message: 'unhandled exception during run() shutdown',
        exception: error,
        task,
      });
    }
  }
}

/**
 * Runs `main` (an async function, or any awaitable) as the main task on a new
 * loop, then cancels and awaits the tasks left over, runs the loop's shutdown
 * callbacks (`addLoopShutdownCallback`; @coro/workers shuts down the default executor
 * there), closes that loop, and resolves to main's result: asyncio.run. Pass `{ loop }` to run on a loop of
 * your own (a `VirtualLoop` in tests); it is left open. Exceptions of tasks and
 * futures nobody retrieved are reported through the loop's exception handler then.
 *
 * Ctrl-C (SIGINT) and SIGTERM cancel the main task instead of killing the process:
 * its `finally` blocks run, then the cleanup above, then `run()` rejects with
 * {@link KeyboardInterrupt}, which, uncaught, ends the process by that signal
 * (exit status 130 or 143); a second signal ends it at once. Opt out with
 * `{ handleSignals: false }`; a program that listens to a signal itself keeps it.
 *
 * @throws Error if called from inside a task.
 * @throws {@link KeyboardInterrupt} after the cleanup, if SIGINT or SIGTERM interrupted it.
 * @example
 * ```ts
 * import { run, sleep } from '@coro/futures';
 *
 * const answer = await run(async () => {
 *   await sleep(10);
 *   return 42;
 * });
 * console.log(answer); // 42
 * ```
 */
export async function run<T>(main: Main<T>, options?: RunOptions): Promise<Awaited<T>> {
  const runner = new Runner(options);
  try {
    return await runner.run(main);
  } finally {
    await runner.close();
  }
}
