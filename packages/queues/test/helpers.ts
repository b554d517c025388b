import { type Main, run } from '@coro/futures';
import { VirtualLoop } from '@coro/loop';

/** Runs `main` as a task on a fresh VirtualLoop that jumps straight to the next timer. */
export function runVirtual<T>(main: Main<T>): Promise<T> {
  return run(main, { loop: new VirtualLoop({ autojump: true }) });
}
