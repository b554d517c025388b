/*
 * call-graph: who waits on whom, as Python 3.14's capture_call_graph, and a
 * diagnosis of a stuck program.
 *
 * JavaScript cannot walk the frames of a suspended async function, so a graph
 * node is a Future or Task and says what it waits for (`describe()`): a sleep
 * with the time left, a named Future, a lock and its holder. Edges come from
 * each task's waiter (what it awaits) and from futures' callbacks (who awaits
 * them: tasks, and gathers through their done callbacks).
 */

import { installRuntimeHooks, type Loop } from '@coro/loop';
import { Future } from './future.js';
import type { ParentLink } from './gather.js';
import { Awaiter } from './step.js';
import { allTasks, Task } from './task.js';
import { currentTask } from './task-context.js';

/**
 * One node of a call graph: a future or task, what it waits for, and the
 * graphs of those that await it (`awaitedBy`, as Python's FutureCallGraph).
 *
 * @example
 * ```ts
 * import { captureCallGraph, createTask, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const child = createTask(() => sleep(100), { name: 'child' });
 *   await sleep(0);
 *   console.log(captureCallGraph(child)?.description); // Task 'child' waiting for sleep(100 ms, 100 ms left)
 *   child.cancel();
 * });
 * ```
 */
export interface CallGraph {
  future: Future<unknown>;
  description: string;
  awaitedBy: CallGraph[];
}

function awaitersOf(future: Future<unknown>): Future<unknown>[] {
  const result: Future<unknown>[] = [];
  for (const handle of future.callbackHandles()) {
    if (handle instanceof Awaiter) {
      const task = handle.task;
      if (task instanceof Future && !result.includes(task)) result.push(task);
    } else {
      const parent = (handle.callback as ParentLink | null)?.parentFuture;
      if (parent !== undefined && !parent.done() && !result.includes(parent)) result.push(parent);
    }
  }
  return result;
}

function capture(future: Future<unknown>, seen: Set<Future<unknown>>): CallGraph {
  seen.add(future);
  const awaitedBy: CallGraph[] = [];
  for (const awaiter of awaitersOf(future))
    if (!seen.has(awaiter)) awaitedBy.push(capture(awaiter, seen));
  return { future, description: future.describe(), awaitedBy };
}

/**
 * The call graph of `future` (default: the current task): what it waits for,
 * and, recursively, who awaits it. `undefined` outside a task with no argument.
 *
 * @example
 * ```ts
 * import { captureCallGraph, run } from '@coro/futures';
 *
 * await run(async () => {
 *   console.log(captureCallGraph()?.awaitedBy.length); // 0: nobody awaits the main task
 * });
 * ```
 */
export function captureCallGraph(future?: Future<unknown>): CallGraph | undefined {
  const target = future ?? currentTask();
  if (target === undefined) return undefined;
  if (!(target instanceof Future)) throw new TypeError('future must be a Future or Task');
  return capture(target, new Set());
}

function formatAwaitedBy(graph: CallGraph, depth: number, lines: string[]): void {
  const indent = '  '.repeat(depth);
  lines.push(`${indent}* ${graph.description}`);
  for (const child of graph.awaitedBy) {
    lines.push(`${indent}  awaited by:`);
    formatAwaitedBy(child, depth + 1, lines);
  }
}

function formatWaitsFor(
  future: Future<unknown>,
  depth: number,
  lines: string[],
  seen: Set<Future<unknown>>,
): void {
  const indent = '  '.repeat(depth);
  if (seen.has(future)) {
    lines.push(`${indent}* ${future.describe()} (see above: a cycle)`);
    return;
  }
  seen.add(future);
  lines.push(`${indent}* ${future.describe()}`);
  for (const next of future.waitsOn()) {
    for (const inner of next instanceof Task ? [next] : next.waitsOn()) {
      if (inner instanceof Task && !inner.done()) formatWaitsFor(inner, depth + 1, lines, seen);
    }
  }
}

/**
 * A readable diagnosis. With a future or task: its graph, who awaits it, indented
 * (Python's format_call_graph). Without: every pending task of the loop (the
 * running one by default), each under the task that waits for it, with what it
 * waits for — read it when a program seems stuck.
 *
 * @example
 * ```ts
 * import { createTask, Future, formatCallGraph, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const reply = new Future<string>({ name: 'reply' });
 *   const waiter = createTask(() => reply, { name: 'waiter' });
 *   await sleep(0);
 *   console.log(formatCallGraph());
 *   // * Task 'Task-1' waiting for … (main, running)
 *   // * Task 'waiter' waiting for Future 'reply' pending
 *   waiter.cancel();
 * });
 * ```
 */
export function formatCallGraph(future?: Future<unknown>, options?: { loop?: Loop }): string {
  if (future !== undefined) {
    const graph = captureCallGraph(future);
    const lines: string[] = [];
    if (graph !== undefined) formatAwaitedBy(graph, 0, lines);
    return lines.join('\n');
  }
  const tasks = [...allTasks(options?.loop)];
  const waitedOn = new Set<Future<unknown>>();
  for (const task of tasks) {
    for (const next of task.waitsOn()) {
      if (next instanceof Task) waitedOn.add(next);
      else for (const inner of next.waitsOn()) waitedOn.add(inner);
    }
  }
  const lines: string[] = [`${tasks.length} pending task${tasks.length === 1 ? '' : 's'}:`];
  const seen = new Set<Future<unknown>>();
  for (const task of tasks) if (!waitedOn.has(task)) formatWaitsFor(task, 0, lines, seen);
  for (const task of tasks) if (!seen.has(task)) formatWaitsFor(task, 0, lines, seen); // cycles
  return lines.join('\n');
}

installRuntimeHooks({
  describePending: (loop) =>
    allTasks(loop).size === 0 ? null : formatCallGraph(undefined, { loop }),
});
