/*
 * task-group: structured concurrency, as Python's `async with asyncio.TaskGroup()`.
 * The group returns only when every child is done; the first failure cancels
 * the other children, and all failures surface together in an ExceptionGroup.
 */
import { ExceptionGroup, sleep, type Task, taskGroup } from 'coro';
import { describeError, type Output, seconds, startClock } from '../example.js';

export const name = 'task-group';
export const title = 'A task group: one failure cancels the rest, errors come back as a group';

/** Works for `ms`, then returns; says so if cancelled before. */
export async function worker(label: string, ms: number, sayAt: Output): Promise<string> {
  try {
    await sleep(ms);
  } catch (error) {
    sayAt(`${label}: stopping on ${describeError(error)}`);
    throw error;
  }
  sayAt(`${label}: finished its work`);
  return 'done';
}

/** Works for `ms`, then fails. */
export async function failer(label: string, ms: number, sayAt: Output): Promise<never> {
  await sleep(ms);
  sayAt(`${label}: throws Error('disk full')`);
  throw new Error('disk full');
}

export async function main(out: Output = console.log): Promise<void> {
  out('taskGroup(body) runs the children the body starts, and returns when all are done.');
  out('The first failure cancels the other children; every failure comes back together.');
  const elapsed = startClock();
  const sayAt: Output = (line) => out(`${line} at ${seconds(elapsed())}`);
  const children: Task<unknown>[] = [];
  try {
    await taskGroup(async (group) => {
      const start = (label: string, body: () => Promise<unknown>) =>
        children.push(group.createTask(body, { name: label }));
      start('alpha', () => worker('alpha', 100, sayAt));
      start('bravo', () => worker('bravo', 1000, sayAt));
      start('charlie', () => failer('charlie', 300, sayAt));
      start('delta', () => worker('delta', 2000, sayAt));
      out('body: started alpha (0.1 s of work), bravo (1 s), charlie (fails), delta (2 s)');
    });
    out('taskGroup() returned (not expected)');
  } catch (error) {
    if (!(error instanceof ExceptionGroup)) throw error;
    sayAt(`taskGroup() threw ${describeError(error)}`);
    out(`  its errors: [${error.errors.map(describeError).join(', ')}]`);
  }
  out("Each child's fate:");
  for (const child of children) out(`  ${child.getName()}: ${fate(child)}`);
}

/** How a finished task ended, in words. */
function fate(task: Task<unknown>): string {
  if (task.cancelled()) return 'cancelled';
  const error = task.exception();
  if (error !== null) return `failed with ${describeError(error)}`;
  return `returned '${String(task.result())}'`;
}
