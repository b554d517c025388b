import { describe, expect, it } from 'vitest';
import * as timeout from '../src/examples/timeout.js';
import { runExample } from './run-example.js';

describe('timeout', () => {
  it("shows the TimeoutError, its CancelledError cause and the scope's expired() after the block", async () => {
    const { lines } = await runExample(timeout);

    expect(lines).toEqual([
      'timeout(500, body) gives body half a second; the slow operation needs 2 s.',
      'slow operation: started; it needs 2 s',
      'slow operation: CancelledError() thrown into its await at 0.5 s',
      "timeout() threw TimeoutError('the timeout expired'), at 0.5 s",
      '  its cause is the CancelledError() the scope threw into the body',
      'scope.expired() is true: asked after the block, it tells why it ended',
      'The same deadline around an operation that needs 0.1 s changes nothing:',
      "timeout() returned 'fast result' and scope.expired() is false",
      'took about 0.6 s in all: no one waited for the 2 s operation.',
    ]);
  });

  it('takes the 0.5 s deadline plus the 0.1 s operation, exactly', async () => {
    const { elapsedMs } = await runExample(timeout);

    expect(elapsedMs).toBe(600);
  });
});
