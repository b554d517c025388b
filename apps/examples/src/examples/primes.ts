/*
 * primes: counting the primes below 20 million, the work split over processes.
 *
 * The range is cut into segments; each is sieved (a segmented sieve of Eratosthenes)
 * in a child process of a ProcessPoolExecutor, so the two halves of a 2-core machine
 * both work. `pool.map(job, segments)` sends the segments out, keeps at most a few
 * jobs per worker in flight, and yields the results in the order of the segments.
 *
 * A process pool suits CPU-bound work that is independent and coarse: each job crosses
 * a process boundary (its argument and result are serialized), so the job must be worth
 * much more than that trip. Threads (hash-files) share memory and start faster; processes
 * are fully isolated (a crash or a leak ends with the process).
 */
import { ProcessPoolExecutor } from 'coro';
import { type Output, readOptions, seconds, startClock } from '../example.js';

export const name = 'primes';
export const title = 'A prime sieve split over a process pool: ProcessPoolExecutor.map';
export const usage = '[--below <n>] [--segments <n>]  (default 20000000 in 8 segments)';

/**
 * The job: the number of primes in [low, high). It runs in another process, sent there
 * as source, so it is self-contained (no helper functions, no outside variables).
 */
function countPrimes([low, high]: [number, number]): number {
  const root = Math.floor(Math.sqrt(high));
  const smallComposite = new Uint8Array(root + 1); // sieve of 2..√high
  const composite = new Uint8Array(high - low); // the segment: index n - low
  for (let p = 2; p <= root; p++) {
    if (smallComposite[p] === 1) continue;
    for (let m = p * p; m <= root; m += p) smallComposite[m] = 1;
    // Cross out p's multiples in the segment, from the first one >= max(p², low).
    for (let m = Math.max(p * p, Math.ceil(low / p) * p); m < high; m += p) composite[m - low] = 1;
  }
  let count = 0;
  for (let n = Math.max(low, 2); n < high; n++) if (composite[n - low] === 0) count++;
  return count;
}

/** Cuts [0, below) into `count` segments of about equal length. */
export function segments(below: number, count: number): [number, number][] {
  const size = Math.ceil(below / count);
  const result: [number, number][] = [];
  for (let low = 0; low < below; low += size) result.push([low, Math.min(low + size, below)]);
  return result;
}

/** Counts the primes below `below` on a pool of `maxWorkers` processes. */
export async function countPrimesBelow(
  below: number,
  { segmentCount = 8, maxWorkers = 2 } = {},
): Promise<{ total: number; perSegment: number[] }> {
  await using pool = new ProcessPoolExecutor({ maxWorkers });
  const perSegment: number[] = [];
  for await (const count of pool.map(countPrimes, segments(below, segmentCount))) {
    perSegment.push(count); // in segment order, whichever finished first
  }
  return { total: perSegment.reduce((sum, count) => sum + count, 0), perSegment };
}

export async function main(out: Output = console.log, args: readonly string[] = []): Promise<void> {
  const options = readOptions(args, { below: '20000000', segments: '8' });
  const below = Number(options.below);
  const segmentCount = Number(options.segments);
  const format = (n: number) => n.toLocaleString('en-US');
  out(`counting the primes below ${format(below)} in ${segmentCount} segments on 2 processes`);

  const elapsed = startClock();
  const { total, perSegment } = await countPrimesBelow(below, { segmentCount });
  out(`per segment: ${perSegment.map(format).join(', ')}`);
  out(`${format(total)} primes below ${format(below)}, in ${seconds(elapsed())}`);
}
