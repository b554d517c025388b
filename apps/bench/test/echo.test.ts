import { describe, expect, it } from 'vitest';
import { echoRtt, echoThroughput } from '../src/workloads/echo.js';
import { everySeries, expectSaneSample, seriesName } from './series.js';

// Every peer of the echo workloads (coro's streams and Protocol APIs, raw net, asyncio
// and uvloop in both) runs once, tiny, in its own process; each must report a rate.
describe('echo-throughput', () => {
  it.each(everySeries(echoThroughput).map((series) => [seriesName(series), series] as const))(
    '%s echoes 4 MiB and reports MB/s',
    (_name, series) => {
      const values = expectSaneSample(echoThroughput, series, 4 * 1024 * 1024, [0.1, 100_000]);

      expect(Object.keys(values)).toEqual([series.variant ?? '']);
    },
  );
});

describe('echo-rtt', () => {
  it.each(everySeries(echoRtt).map((series) => [seriesName(series), series] as const))(
    '%s runs 50 clients for 200 ms and reports round trips/s',
    (_name, series) => {
      const values = expectSaneSample(echoRtt, series, 200, [1, 10_000_000]);

      expect(Object.keys(values)).toEqual([series.variant ?? '']);
    },
  );
});
