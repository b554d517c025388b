/*
 * Helpers the futures tests share.
 */
import { VirtualLoop } from '@coro/loop';
import { currentTask, run, type Task } from '../src/index.js';

/** Runs `main` as the main task on a fresh VirtualLoop with autojump. */
export function runVirtual<T>(main: () => Promise<T>): Promise<T> {
  return run(main, { loop: new VirtualLoop({ autojump: true }) });
}

/** The error `promise` rejects with (fails the test if it fulfils). */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

/** The task running the caller (fails the test outside a task). */
export function self(): Task<unknown> {
  const task = currentTask();
  if (task === undefined) throw new Error('not in a task');
  return task;
}
