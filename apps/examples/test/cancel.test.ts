import { describe, expect, it } from 'vitest';
import * as cancel from '../src/examples/cancel.js';
import { runExample } from './run-example.js';

describe('cancel', () => {
  it('shows the CancelledError with its message inside the task and to its awaiter', async () => {
    const { lines } = await runExample(cancel);

    expect(lines).toEqual([
      'A task sleeps for 10 s; main cancels it after 0.5 s.',
      'sleeper: going to sleep for 10 s',
      "main: task.cancel('stop, please') returned true: cancellation is requested, not done",
      'main: task.done() is false, task.signal.aborted is true',
      'main: awaiting the task...',
      "sleeper: my await sleep() threw CancelledError('stop, please') at 0.5 s",
      'sleeper: cleaning up, then re-throwing it (a task that swallows CancelledError',
      '         and goes on must call uncancel(); letting it through is the rule)',
      "main: await task threw CancelledError('stop, please'): the same error the task saw",
      'main: task.cancelled() is true, at 0.5 s: the 10 s sleep was cut short.',
    ]);
  });

  it('ends when the task is cancelled, half a second in, not after its 10 s sleep', async () => {
    const { elapsedMs } = await runExample(cancel);

    expect(elapsedMs).toBe(500);
  });
});
