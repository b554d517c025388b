import { describe, expect, it } from 'vitest';
import { miniRedis, parseCsv } from '../src/workloads/mini-redis.js';
import { everySeries, expectSaneSample, seriesName } from './series.js';

const TESTS = ['PING_INLINE', 'PING_MBULK', 'SET', 'GET'];

// redis-benchmark against the mini-redis example (coro) and a real redis-server, 1,000
// requests per test; .ci/run installs redis-server and redis-tools, so a missing one
// fails here with the reason.
describe('mini-redis', () => {
  it.each(everySeries(miniRedis).map((series) => [seriesName(series), series] as const))(
    '%s answers redis-benchmark, with and without pipelining',
    (_name, series) => {
      const values = expectSaneSample(miniRedis, series, 1_000, [1, 100_000_000]);

      expect(Object.keys(values).sort()).toEqual(
        TESTS.flatMap((test) => [`${test} P1`, `${test} P16`]).sort(),
      );
    },
  );

  it('reads the rates from redis-benchmark --csv', () => {
    const csv = [
      '"test","rps","avg_latency_ms","min_latency_ms"',
      '"PING_INLINE","32573.29","0.776","0.304"',
      '"SET","32102.73","0.821","0.304"',
    ].join('\n');

    expect(parseCsv(csv, 'P16')).toEqual({ 'PING_INLINE P16': 32573.29, 'SET P16': 32102.73 });
  });
});
