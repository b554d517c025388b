import { BaseLoop, hostTimerDelay } from './base-loop.js';

/**
 * The default loop on Node.js. It runs whenever it has work, like Node's own
 * loop: ready callbacks run in a `setImmediate` macrotask (several iterations per
 * macrotask, within a 2 ms budget), the next timer is one Node `setTimeout`, and
 * the clock is `performance.now()`. No `run()` is needed for `await sleep(10)`.
 *
 * @example
 * ```ts
 * import { NodeLoop } from '@coro/loop';
 *
 * const loop = new NodeLoop();
 * loop.callLater(5, () => console.log('five ms later'));
 * ```
 */
export class NodeLoop extends BaseLoop {
  #timeout: ReturnType<typeof setTimeout> | undefined = undefined;

  time(): number {
    return performance.now();
  }

  protected requestTick(tickCallback: () => void): void {
    setImmediate(tickCallback);
  }

  protected armTimer(whenMs: number, tickCallback: () => void): void {
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    // Node timers have 1 ms granularity and may fire a little early on this
    // clock; a tick that finds nothing due simply re-arms.
    this.#timeout = setTimeout(tickCallback, hostTimerDelay(whenMs - this.time()));
  }

  protected disarmTimer(): void {
    if (this.#timeout === undefined) return;
    clearTimeout(this.#timeout);
    this.#timeout = undefined;
  }
}
