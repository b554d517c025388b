import { loopOfRunningCallback } from './base-loop.js';
import { BrowserLoop } from './browser-loop.js';
import type { Loop } from './loop.js';
import { NodeLoop } from './node-loop.js';
import { runtimeHooks } from './runtime-hooks.js';
import { sharedState } from './shared-runtime.js';

/** The event loop of the process, one for every copy of coro (see shared-runtime). */
const current = sharedState('loop.eventLoop', () => ({ loop: null as Loop | null }));

/**
 * A new loop of the host's default kind: a `NodeLoop` on Node.js, a `BrowserLoop` elsewhere.
 *
 * @example
 * ```ts
 * import { newEventLoop } from '@coro/loop';
 *
 * const loop = newEventLoop();
 * loop.callSoon(() => console.log('on a fresh loop'));
 * ```
 */
export function newEventLoop(): Loop {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  return isNode && typeof setImmediate === 'function' ? new NodeLoop() : new BrowserLoop();
}

/**
 * The loop set with `setEventLoop`, or the default loop (made on first use). One per
 * process: every copy of coro loaded (the ESM and the CJS build) returns the same loop.
 *
 * @example
 * ```ts
 * import { getEventLoop } from '@coro/loop';
 *
 * // Outside any task, plain callbacks go on the process's one default loop
 * const loop = getEventLoop();
 * console.log(getEventLoop() === loop); // true: made on first use, then the same
 * loop.callLater(10, () => console.log('ten ms later'));
 * await loop.runUntilComplete(() => new Promise<void>((resolve) => loop.callLater(20, resolve)));
 * ```
 */
export function getEventLoop(): Loop {
  current.loop ??= newEventLoop();
  return current.loop;
}

/**
 * Makes `loop` the one `getEventLoop()` returns (`null`: make a fresh default on next use).
 *
 * @example
 * ```ts
 * import { getEventLoop, setEventLoop, VirtualLoop } from '@coro/loop';
 *
 * const loop = new VirtualLoop({ autojump: true });
 * setEventLoop(loop);
 * console.log(getEventLoop() === loop); // true
 * setEventLoop(null);
 * ```
 */
export function setEventLoop(loop: Loop | null): void {
  if (loop !== null && (typeof loop !== 'object' || typeof loop.callSoon !== 'function')) {
    throw new TypeError(`loop must be a Loop or null; got ${String(loop)}`);
  }
  current.loop = loop;
}

/**
 * The loop of the running task; inside a loop's callback, that loop; else the
 * event loop (`getEventLoop()`). Futures and tasks bind to it by default.
 *
 * @example
 * ```ts
 * import { run, sleep } from '@coro/futures';
 * import { getRunningLoop } from '@coro/loop';
 *
 * await run(async () => {
 *   // Inside a task: the loop run() made, to schedule a plain callback on it
 *   getRunningLoop().callLater(10, () => console.log('ten ms later'));
 *   await sleep(20); // prints: ten ms later
 * });
 * ```
 */
export function getRunningLoop(): Loop {
  return runtimeHooks.currentLoop() ?? loopOfRunningCallback() ?? getEventLoop();
}
