/*
 * The jobs of the distributed-primes example: the module every `coro-worker` loads
 * (`--module`). Each export is a job; it runs as a coro task in the worker process, and
 * its arguments and result travel through Redis as JSON.
 */

/** The number of primes in [low, high) (a segmented sieve), and who counted them. */
export function countPrimes([low, high]: [number, number]): { count: number; pid: number } {
  const root = Math.floor(Math.sqrt(high));
  const smallComposite = new Uint8Array(root + 1);
  const composite = new Uint8Array(high - low);
  for (let p = 2; p <= root; p++) {
    if (smallComposite[p] === 1) continue;
    for (let m = p * p; m <= root; m += p) smallComposite[m] = 1;
    for (let m = Math.max(p * p, Math.ceil(low / p) * p); m < high; m += p) composite[m - low] = 1;
  }
  let count = 0;
  for (let n = Math.max(low, 2); n < high; n++) if (composite[n - low] === 0) count++;
  return { count, pid: process.pid };
}
