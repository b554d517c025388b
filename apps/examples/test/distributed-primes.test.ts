import { describe, expect, it } from 'vitest';
import { segmentsOf } from '../src/examples/distributed-primes/index.js';
import { ExampleProcess } from './example-process.js';

describe('distributed-primes', () => {
  it('cuts the range into segments that cover it once', () => {
    expect(segmentsOf(100, 3)).toEqual([
      [0, 34],
      [34, 68],
      [68, 100],
    ]);
  });

  it('counts the primes on coro-worker processes through its own redis-server', async () => {
    const example = new ExampleProcess('distributed-primes', [
      '--below',
      '1000000',
      '--segments',
      '8',
    ]);
    await example.waitForLine(/^redis-server is ready on port \d+$/, 30_000);
    await example.waitForLine(/^2 coro-worker processes are serving the queue 'primes'$/, 60_000);
    await example.waitForLine(/^78498 primes below 1000000, in 8 jobs$/, 60_000);
    const split = await example.waitForLine(/^jobs per worker: /, 10_000);
    expect(split).toMatch(/^jobs per worker: \d+( \+ \d+)?$/);
    expect((await example.exited).code).toBe(0);
  }, 120_000);
});
