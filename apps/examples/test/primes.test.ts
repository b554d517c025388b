import { run } from 'coro';
import { describe, expect, it } from 'vitest';
import * as primes from '../src/examples/primes.js';

describe('primes', () => {
  it('cuts the range into segments that cover it exactly', () => {
    expect(primes.segments(100, 3)).toEqual([
      [0, 34],
      [34, 68],
      [68, 100],
    ]);
  });

  it('counts the primes below one million on a process pool, per segment in order', async () => {
    const { total, perSegment } = await run(() =>
      primes.countPrimesBelow(1_000_000, { segmentCount: 4 }),
    );

    expect(total).toBe(78_498); // π(10⁶)
    // π(250 000) = 22 044, π(500 000) = 41 538, π(750 000) = 60 238
    expect(perSegment).toEqual([22_044, 41_538 - 22_044, 60_238 - 41_538, 78_498 - 60_238]);
  }, 60_000);

  it('prints the count, taking --below and --segments', async () => {
    const lines: string[] = [];
    await run(() =>
      primes.main((line) => lines.push(line), ['--below', '100000', '--segments', '2']),
    );

    expect(lines[0]).toBe('counting the primes below 100,000 in 2 segments on 2 processes');
    expect(lines[1]).toBe('per segment: 5,133, 4,459');
    expect(lines[2]).toMatch(/^9,592 primes below 100,000, in [\d.]+ s$/);
  }, 60_000);
});
