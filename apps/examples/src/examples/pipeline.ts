/*
 * pipeline: producers and consumers joined by a bounded Queue. The producers
 * wait while the queue is full (back-pressure); join() returns once every job
 * was marked done; shutdown() then ends the consumers' `for await` loops.
 */
import { createTask, gather, Queue, sleep } from 'coro';
import { type Output, seconds, startClock } from '../example.js';

export const name = 'pipeline';
export const title = 'Producers and consumers on a bounded queue, with join()';

export async function main(out: Output = console.log): Promise<void> {
  const elapsed = startClock();
  const queue = new Queue<string>({ maxsize: 2 });
  let peak = 0;

  const producer = (who: string, count: number) => async () => {
    for (let i = 1; i <= count; i++) {
      await queue.put(`${who}-${i}`); // waits while 2 jobs are queued
      peak = Math.max(peak, queue.qsize());
    }
  };
  const consumer = (who: string) => async () => {
    for await (const job of queue) {
      await sleep(100); // the work
      out(`${who} finished ${job} at ${seconds(elapsed())}`);
      queue.taskDone();
    }
  };

  const consumers = [createTask(consumer('worker-1')), createTask(consumer('worker-2'))];
  await gather([createTask(producer('a', 3)), createTask(producer('b', 3))]);
  out('all jobs queued; waiting for join()');
  await queue.join();
  out(`join() returned: 6 jobs done in ${seconds(elapsed())}, at most ${peak} queued`);
  queue.shutdown();
  await gather(consumers);
  out('shutdown() ended the consumers');
}
