/*
 * The jobs every pool peer runs, as exports of one module (dist/pool/jobs.js), the form
 * each pool takes: coro's `module` option, piscina's and tinypool's `filename` + `name`.
 * The raw-Node floor's workers (floor-worker.ts) call the same functions.
 */

/** pool-tiny's job: as small as a job gets, so what is measured is the pool's overhead. */
export function addOne(value: number): number {
  return value + 1;
}

/**
 * pool-cpu's job: `iterations` rounds of xorshift32, pure CPU with no allocation (a
 * round is ~1 ns on V8); the result is returned so the loop cannot be dropped.
 */
export function burn(iterations: number): number {
  let state = 0x9e3779b9 | 0;
  for (let i = 0; i < iterations; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
  }
  return state >>> 0;
}
