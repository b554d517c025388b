/*
 * cancel: a task cancelled in the middle of a sleep. cancel(msg) only asks;
 * the CancelledError (with msg) is thrown into the task at the await it is
 * suspended on, and whoever awaits the task sees the same error.
 */
import { CancelledError, createTask, sleep } from 'coro';
import { describeError, type Output, seconds, startClock } from '../example.js';

export const name = 'cancel';
export const title = 'Cancelling a task: CancelledError thrown in at its await';

/** Sleeps ten seconds, unless cancelled: then says so, cleans up and re-throws. */
export async function sleeper(out: Output, elapsed: () => number): Promise<string> {
  out('sleeper: going to sleep for 10 s');
  try {
    await sleep(10_000);
    return 'slept well';
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    out(`sleeper: my await sleep() threw ${describeError(error)} at ${seconds(elapsed())}`);
    out('sleeper: cleaning up, then re-throwing it (a task that swallows CancelledError');
    out('         and goes on must call uncancel(); letting it through is the rule)');
    throw error;
  }
}

export async function main(out: Output = console.log): Promise<void> {
  out('A task sleeps for 10 s; main cancels it after 0.5 s.');
  const elapsed = startClock();
  const task = createTask(() => sleeper(out, elapsed), { name: 'sleeper' });
  await sleep(500);

  const requested = task.cancel('stop, please');
  out(
    `main: task.cancel('stop, please') returned ${requested}: cancellation is requested, not done`,
  );
  out(`main: task.done() is ${task.done()}, task.signal.aborted is ${task.signal.aborted}`);
  out('main: awaiting the task...');
  try {
    await task;
    out('main: the task finished normally (not expected)');
  } catch (error) {
    out(`main: await task threw ${describeError(error)}: the same error the task saw`);
  }

  out(
    `main: task.cancelled() is ${task.cancelled()}, at ${seconds(elapsed())}: the 10 s sleep was cut short.`,
  );
}
