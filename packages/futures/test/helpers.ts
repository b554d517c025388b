/*
 * Helpers the futures tests share.
 */
import { VirtualLoop } from '@coro/loop';
import { currentTask, run, type Task } from '../src/index.js';

/** Runs `main` as the main task on a fresh VirtualLoop with autojump. */
export function runVirtual<T>(main: () => Promise<T>): Promise<T> {
  return run(main, { loop: new VirtualLoop({ autojump: true }) });
}

export { rejection } from '@coro/test-support';

/** The task running the caller (fails the test outside a task). */
export function self(): Task<unknown> {
  const task = currentTask();
  if (task === undefined) throw new Error('not in a task');
  return task;
}
