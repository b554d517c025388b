/*
 * gathered: the tutorial's "step by step": the same hola as three tasks that
 * run concurrently, collected with gather(). About one second, not three.
 */
import { createTask, gather, sleep } from 'coro';
import { type Output, seconds, startClock } from '../example.js';

export const name = 'gathered';
export const title = 'Three tasks at once, collected with gather()';

/** One hola: sleep one second, say it, and return `i` as the task's result. */
export async function hola(i: number, out: Output): Promise<number> {
  await sleep(1000);
  out(`Hola ${i}`);
  return i;
}

export async function main(out: Output = console.log): Promise<void> {
  out('The same hola, three times at once. Step by step:');
  const elapsed = startClock();

  const tasks = [0, 1, 2].map((i) => createTask(() => hola(i, out), { name: `hola-${i}` }));
  const names = tasks.map((task) => task.getName()).join(', ');
  out(`1. createTask() wraps each coroutine in a task: ${names}.`);
  out('   They are scheduled, not started: they start on the next loop iteration.');
  const gathered = gather(tasks);
  out('2. gather(tasks) is one future that is done when all three tasks are.');
  out('3. Awaiting it lets the loop run the tasks; their sleeps overlap:');
  const results = await gathered;

  out(`gather() resolved to [${results.join(', ')}]: each task's result, in the order given.`);
  out(`took about ${seconds(elapsed())}, not 3 s: the three one-second sleeps ran side by side.`);
}
