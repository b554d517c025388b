import { describe, expect, it } from 'vitest';
import * as barrier from '../src/examples/barrier.js';
import { runExample } from './run-example.js';

describe('barrier', () => {
  it('lets no worker start phase 2 before all finished phase 1', async () => {
    const { lines, elapsedMs } = await runExample(barrier);

    expect(lines).toEqual([
      'worker 1 finished phase 1 at 0.1 s',
      'worker 3 finished phase 1 at 0.2 s',
      'worker 2 finished phase 1 at 0.3 s',
      '-- all 3 met after phase 1 --',
      'worker 1 finished phase 2 at 0.5 s',
      'worker 3 finished phase 2 at 0.7 s',
      'worker 2 finished phase 2 at 0.9 s',
      '-- all 3 met after phase 2 --',
      'done in 0.9 s: each phase lasts as long as its slowest worker',
    ]);
    expect(elapsedMs).toBe(900);
  });
});
