import { describe, expect, it } from 'vitest';
import { poolCpu, poolTiny } from '../src/workloads/pool.js';
import { everySeries, expectSaneSample, seriesName } from './series.js';

// Every pool (coro's threads and processes, the raw worker_threads / fork floor, piscina,
// tinypool, Python's concurrent.futures) runs once, small, in its own process. A run
// checks every job's result itself and fails if one is wrong.
describe('pool-tiny', () => {
  it.each(everySeries(poolTiny).map((series) => [seriesName(series), series] as const))(
    '%s runs 500 jobs and reports jobs/s',
    (_name, series) => {
      expectSaneSample(poolTiny, series, 500, [1, 100_000_000]);
    },
  );
});

describe('pool-cpu', () => {
  // Two jobs of ~200 ms: the speedup of 2 jobs on 2 workers is above 0 and not far above 2.
  it.each(everySeries(poolCpu).map((series) => [seriesName(series), series] as const))(
    '%s runs 2 CPU-bound jobs and reports a speedup',
    (_name, series) => {
      const values = expectSaneSample(poolCpu, series, 2, [0.05, 4]);

      expect(Object.keys(values)).toEqual([series.variant]);
    },
  );
});
