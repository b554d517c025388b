import { NodeLoop } from '@coro/loop';
import { now, perSecond } from '../measure.js';
import type { Workload } from '../workload.js';

/**
 * A chain of `size` callbacks, each scheduling the next with callSoon: the cost of one
 * trip through the ready queue. Python twin: python/callbacks.py (loop.call_soon).
 */
export const callbacks: Workload = {
  name: 'callbacks',
  unit: 'ops/s',
  summary: 'a chain of callSoon callbacks, each scheduling the next',
  defaultSize: 1_000_000,
  targets: [{ kind: 'ratio', peer: 'uvloop', atLeast: 5 }],

  coro(size) {
    const loop = new NodeLoop();
    return new Promise((resolve) => {
      let remaining = size;
      const step = (): void => {
        if (--remaining === 0) resolve(perSecond(size, started));
        else loop.callSoon(step);
      };
      const started = now();
      loop.callSoon(step);
    });
  },

  // The floor: a bare ring buffer of functions drained in one macrotask.
  node(size) {
    return new Promise((resolve) => {
      const ring = new FunctionRing();
      let remaining = size;
      const step = (): void => {
        if (--remaining === 0) resolve(perSecond(size, started));
        else ring.push(step);
      };
      const started = now();
      ring.push(step);
      setImmediate(() => {
        for (let next = ring.shift(); next !== undefined; next = ring.shift()) next();
      });
    });
  },
};

/** The least a ready queue can be: a power-of-two ring of functions, no handles. */
class FunctionRing {
  #slots: ((() => void) | undefined)[] = new Array(16).fill(undefined);
  #mask = 15;
  #head = 0;
  #length = 0;

  push(callback: () => void): void {
    if (this.#length === this.#slots.length) this.#grow();
    this.#slots[(this.#head + this.#length) & this.#mask] = callback;
    this.#length++;
  }

  shift(): (() => void) | undefined {
    if (this.#length === 0) return undefined;
    const callback = this.#slots[this.#head];
    this.#slots[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return callback;
  }

  #grow(): void {
    const slots: ((() => void) | undefined)[] = new Array(this.#slots.length * 2).fill(undefined);
    for (let i = 0; i < this.#length; i++) slots[i] = this.#slots[(this.#head + i) & this.#mask];
    this.#slots = slots;
    this.#mask = slots.length - 1;
    this.#head = 0;
  }
}
