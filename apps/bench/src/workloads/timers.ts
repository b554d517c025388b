import { NodeLoop, type TimerHandle } from '@coro/loop';
import { now, perSecond } from '../measure.js';
import type { Workload } from '../workload.js';

/**
 * `size` timers with delays spread over 0–100 ms, every second one cancelled right
 * after all are scheduled, on the real clock. Measured from the first scheduling until
 * the last live timer fired; ops/s = size / seconds, so the ~100 ms of waiting is part
 * of it and what differs between peers is scheduling, cancelling and firing late.
 * Python twin: python/timers.py (call_later + cancel).
 */
export const timers: Workload = {
  name: 'timers',
  unit: 'ops/s',
  summary: 'callLater with delays over 0–100 ms, half cancelled; until the last live one fires',
  defaultSize: 100_000,

  coro(size) {
    const loop = new NodeLoop();
    return new Promise((resolve) => {
      let live = liveCount(size);
      const fire = (): void => {
        if (--live === 0) resolve(perSecond(size, started));
      };
      const started = now();
      const handles: TimerHandle[] = new Array(size);
      for (let i = 0; i < size; i++) handles[i] = loop.callLater(timerDelayMs(i), fire);
      for (let i = 1; i < size; i += 2) handles[i]!.cancel();
    });
  },

  node(size) {
    return new Promise((resolve) => {
      let live = liveCount(size);
      const fire = (): void => {
        if (--live === 0) resolve(perSecond(size, started));
      };
      const started = now();
      const handles: ReturnType<typeof setTimeout>[] = new Array(size);
      for (let i = 0; i < size; i++) handles[i] = setTimeout(fire, timerDelayMs(i));
      for (let i = 1; i < size; i += 2) clearTimeout(handles[i]);
    });
  },
};

/** Timers left after cancelling every odd index. */
function liveCount(size: number): number {
  return Math.ceil(size / 2);
}

/**
 * The delay of timer `index`: whole milliseconds in 0–100 from Knuth's multiplicative
 * hash, the same sequence python/timers.py computes, so every peer gets the same timers.
 * Whole milliseconds because Node keeps one timer list per distinct delay.
 */
export function timerDelayMs(index: number): number {
  return Math.floor((((index * 2654435761) % 4294967296) * 101) / 4294967296);
}
