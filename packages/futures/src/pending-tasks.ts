/*
 * pending-tasks: every pending task of every loop, in creation order, as an
 * intrusive doubly linked list (the links are fields of the tasks).
 *
 * Invariants
 *   1. A task is listed from createTask until it completes (task.ts invariant 2):
 *      the list holds it strongly, so a task nobody references is never collected
 *      mid-flight (DESIGN §4).
 *   2. Adding and removing are O(1) and allocate nothing; removing a task that is
 *      not listed does nothing (a task ends once, but two paths may say so).
 *   3. One list per process (a slot of @coro/loop's shared runtime): `run()` of one
 *      copy of coro sees and cancels the tasks the other created. Tasks of every
 *      copy carry the same link fields (the runtime version covers them).
 *
 * Why a list and not a Set: a Set's table costs ~32 bytes a task and a hash on
 * every add and delete; two link fields cost 16 bytes and two writes.
 *
 * Tested through test/task.test.ts (allTasks), test/runner.test.ts and
 * test/two-copies.test.ts.
 */

import { sharedState } from '@coro/loop';
import type { Task } from './task.js';

const list = sharedState('futures.pendingTaskList', () => ({
  first: null as Task<unknown> | null,
  last: null as Task<unknown> | null,
}));

/** @internal Lists `task` (invariant 1). */
export function addPendingTask(task: Task<unknown>): void {
  const last = list.last;
  task.previousPending = last;
  task.nextPending = null;
  if (last === null) list.first = task;
  else last.nextPending = task;
  list.last = task;
}

/** @internal Unlists `task`; does nothing if it is not listed (invariant 2). */
export function removePendingTask(task: Task<unknown>): void {
  const previous = task.previousPending;
  const next = task.nextPending;
  if (previous === null && list.first !== task) return;
  if (previous === null) list.first = next;
  else previous.nextPending = next;
  if (next === null) list.last = previous;
  else next.previousPending = previous;
  task.previousPending = null;
  task.nextPending = null;
}

/** @internal The pending tasks, in creation order (a copy: callers may cancel as they go). */
export function pendingTaskList(): Task<unknown>[] {
  const tasks: Task<unknown>[] = [];
  for (let task = list.first; task !== null; task = task.nextPending) tasks.push(task);
  return tasks;
}
