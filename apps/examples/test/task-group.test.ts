import { describe, expect, it } from 'vitest';
import * as taskGroup from '../src/examples/task-group.js';
import { runExample } from './run-example.js';

describe('task-group', () => {
  it("shows the failure cancelling the running siblings, each child's fate and the group's errors", async () => {
    const { lines } = await runExample(taskGroup);

    expect(lines).toEqual([
      'taskGroup(body) runs the children the body starts, and returns when all are done.',
      'The first failure cancels the other children; every failure comes back together.',
      'body: started alpha (0.1 s of work), bravo (1 s), charlie (fails), delta (2 s)',
      'alpha: finished its work at 0.1 s',
      "charlie: throws Error('disk full') at 0.3 s",
      'bravo: stopping on CancelledError() at 0.3 s',
      'delta: stopping on CancelledError() at 0.3 s',
      "taskGroup() threw ExceptionGroup('unhandled errors in a TaskGroup') at 0.3 s",
      "  its errors: [Error('disk full')]",
      "Each child's fate:",
      "  alpha: returned 'done'",
      '  bravo: cancelled',
      "  charlie: failed with Error('disk full')",
      '  delta: cancelled',
    ]);
  });

  it('returns as soon as the cancelled children are done, at the failure', async () => {
    const { elapsedMs } = await runExample(taskGroup);

    expect(elapsedMs).toBe(300);
  });
});
