import { BaseLoop, hostTimerDelay } from './base-loop.js';

/** The part of a host's MessagePort the loop uses (typed here: no DOM or Node types needed). */
interface PortLike {
  onmessage: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
  unref?(): void;
}
type ChannelConstructor = new () => { port1: PortLike; port2: PortLike };

/**
 * A loop for browsers and other hosts without Node built-ins: ready callbacks run
 * in a `MessageChannel` macrotask (a `setTimeout(0)` where there is none), timers
 * use `setTimeout`, and the clock is `performance.now()`.
 *
 * @example
 * ```ts
 * import { run, sleep } from '@coro/futures';
 * import { BrowserLoop } from '@coro/loop';
 *
 * // In a browser (or any host without Node built-ins), run the program on a BrowserLoop
 * const answer = await run(
 *   async () => {
 *     await sleep(10); // a setTimeout timer
 *     return 42;
 *   },
 *   { loop: new BrowserLoop() },
 * );
 * console.log(answer); // 42
 * ```
 */
export class BrowserLoop extends BaseLoop {
  #channel: { port1: PortLike; port2: PortLike } | null = null;
  #pendingTick: (() => void) | null = null;
  #timeout: ReturnType<typeof setTimeout> | undefined = undefined;

  time(): number {
    return performance.now();
  }

  protected requestTick(tickCallback: () => void): void {
    const Channel = (globalThis as unknown as { MessageChannel?: ChannelConstructor })
      .MessageChannel;
    if (Channel === undefined) {
      setTimeout(tickCallback, 0);
      return;
    }
    if (this.#channel === null) {
      const channel = new Channel();
      channel.port1.onmessage = () => {
        const tick = this.#pendingTick;
        this.#pendingTick = null;
        tick?.();
      };
      // Where ports keep a process alive (Node), the loop's pending work should not.
      channel.port1.unref?.();
      this.#channel = channel;
    }
    this.#pendingTick = tickCallback;
    this.#channel.port2.postMessage(null);
  }

  protected armTimer(whenMs: number, tickCallback: () => void): void {
    if (this.#timeout !== undefined) clearTimeout(this.#timeout);
    this.#timeout = setTimeout(tickCallback, hostTimerDelay(whenMs - this.time()));
  }

  protected disarmTimer(): void {
    if (this.#timeout === undefined) return;
    clearTimeout(this.#timeout);
    this.#timeout = undefined;
  }

  override close(): void {
    super.close();
    this.#channel?.port1.close();
    this.#channel?.port2.close();
    this.#channel = null;
  }
}
