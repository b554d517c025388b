import type { Handle, TimerHandle } from './handle.js';
import type { ReadyHandle } from './loop-runtime.js';

/**
 * What the loop knows about an error it could not deliver: an exception from a
 * callback, a future whose exception nobody retrieved, a slow callback in debug
 * mode, a deadlock found by a `VirtualLoop`. `message` is always set.
 *
 * @example
 * ```ts
 * import { getEventLoop, type ExceptionContext } from '@coro/loop';
 *
 * const seen: ExceptionContext[] = [];
 * getEventLoop().setExceptionHandler((_loop, context) => seen.push(context));
 * ```
 */
export interface ExceptionContext {
  /** What happened, in one sentence. */
  message: string;
  /** The error, when there is one. */
  exception?: unknown;
  /** The future (or task) whose exception was never retrieved. */
  future?: unknown;
  /** The task concerned. */
  task?: unknown;
  /**
   * The callback's handle, when a callback threw or was slow: a Handle, or one of the
   * task layer's wake-ups (a `ReadyHandle`: only `callback` and `run()`).
   */
  handle?: Handle | ReadyHandle;
  /** Anything else worth logging (for example `callGraph`, `createdAt`). */
  [key: string]: unknown;
}

/**
 * Receives what the loop could not deliver; set with `loop.setExceptionHandler`.
 *
 * @example
 * ```ts
 * import { type ExceptionHandler, VirtualLoop } from '@coro/loop';
 *
 * // Send what the loop could not deliver (here, a callback that threw) to your own log
 * const logToStderr: ExceptionHandler = (_loop, context) => console.error(`[loop] ${context.message}`);
 * const loop = new VirtualLoop();
 * loop.setExceptionHandler(logToStderr);
 * loop.callSoon(function flush() {
 *   throw new Error('disk full');
 * });
 * await loop.runUntilComplete(() => new Promise<void>((resolve) => loop.callSoon(resolve)));
 * // prints: [loop] Exception in callback flush
 * ```
 */
export type ExceptionHandler = (loop: Loop, context: ExceptionContext) => void;

/**
 * Something `runUntilComplete` can run: an awaitable, or a function returning one.
 *
 * @example
 * ```ts
 * import { type Runnable, VirtualLoop } from '@coro/loop';
 *
 * const loop = new VirtualLoop({ autojump: true });
 * // A function: runUntilComplete calls it on the loop and waits for what it returns
 * const main: Runnable<number> = () =>
 *   new Promise((resolve) => loop.callLater(1_000, () => resolve(42)));
 * console.log(await loop.runUntilComplete(main)); // 42, at once: autojump skips the idle second
 * loop.close();
 * ```
 */
export type Runnable<T> = PromiseLike<T> | (() => PromiseLike<T> | T);

/**
 * The event loop: a ready queue of callbacks, a heap of timers, an exception
 * handler and a clock in milliseconds. `NodeLoop` is the default; `VirtualLoop`
 * runs tests on a virtual clock; `BrowserLoop` runs without Node built-ins.
 *
 * @example
 * ```ts
 * import { getEventLoop } from '@coro/loop';
 *
 * const loop = getEventLoop();
 * loop.callLater(10, () => console.log('ten ms later'));
 * loop.callSoon(() => console.log('first'));
 * ```
 */
export interface Loop {
  /** The loop's monotonic clock, in milliseconds. */
  time(): number;
  /** Runs `callback(...args)` on the next iteration, after those already scheduled (FIFO). */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle;
  /**
   * Runs `callback(...args)` once `delayMs` ms have passed on the loop's clock. A delay
   * of 0 or less (a deadline already past) runs it on the next iteration, as asyncio's
   * `call_later` and `setTimeout` do; `when()` is `time() + delayMs` exactly.
   * Throws TypeError for a non-number, RangeError for NaN or an infinite delay.
   */
  callLater<A extends unknown[]>(
    delayMs: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle;
  /** Runs `callback(...args)` when the loop's clock reaches `whenMs` (a time already past: on the next iteration). */
  callAt<A extends unknown[]>(
    whenMs: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle;
  /** Runs the awaitable (or the async function, as a task) and resolves to its result. */
  runUntilComplete<T>(awaitableOrFn: Runnable<T>): Promise<T>;
  /** Marks the loop running until `stop()` is called. */
  runForever(): Promise<void>;
  /** Ends `runForever()` after the current iteration. */
  stop(): void;
  /** Whether `runUntilComplete` or `runForever` is in progress. */
  isRunning(): boolean;
  /** Drops every pending callback and timer; the loop refuses new ones. */
  close(): void;
  /** Whether `close()` was called. */
  isClosed(): boolean;
  /** Sets (or with `null`, resets) the handler of undeliverable errors. */
  setExceptionHandler(handler: ExceptionHandler | null): void;
  /** The handler set with `setExceptionHandler`, or `null`. */
  getExceptionHandler(): ExceptionHandler | null;
  /** Passes `context` to the exception handler (or the default one). */
  callExceptionHandler(context: ExceptionContext): void;
  /** The default handler: writes the context to `console.error`. */
  defaultExceptionHandler(context: ExceptionContext): void;
  /** Turns debug mode on or off (slow-callback reports, creation stacks). */
  setDebug(enabled: boolean): void;
  /** Whether debug mode is on. */
  getDebug(): boolean;
  /** In debug mode, callbacks slower than this many ms are reported. Default 100. */
  slowCallbackDuration: number;
}
