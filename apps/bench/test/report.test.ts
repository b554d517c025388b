import { describe, expect, it } from 'vitest';
import { parseMeasurement } from '../src/peers.js';
import { medianTables, type RunRecord } from '../src/report.js';
import type { Workload } from '../src/workload.js';

const pools: Workload = {
  name: 'pool-tiny',
  unit: 'ops/s',
  unitLabel: 'jobs/s',
  summary: 'jobs',
  defaultSize: 1,
  peers: [
    { peer: 'coro', variants: ['threads', 'processes'] },
    { peer: 'node' },
    { peer: 'piscina', variants: ['threads'] },
    { peer: 'python', variants: ['threads', 'processes'] },
  ],
  targets: [
    { kind: 'ratio', peer: 'piscina', atLeast: 2.5, variant: 'threads' },
    { kind: 'ratio', peer: 'python', atLeast: 1.5, variant: 'processes' },
  ],
  coro: async () => 0,
};

function row(peer: RunRecord['peer'], variant: string, runtime: string, median: number): RunRecord {
  return {
    workload: 'pool-tiny',
    peer,
    variant,
    runtime,
    unit: 'ops/s',
    median,
    min: median,
    max: median,
    samples: 1,
  };
}

describe('parseMeasurement', () => {
  it('names a bare number after the series variant', () => {
    expect(parseMeasurement('812.5', 'streams')).toEqual({ streams: 812.5 });
    expect(parseMeasurement('812.5', undefined)).toEqual({ '': 812.5 });
  });

  it('takes an object of figures as variants of their own', () => {
    expect(parseMeasurement('{"SET P1":1,"GET P1":2}', undefined)).toEqual({
      'SET P1': 1,
      'GET P1': 2,
    });
  });

  it('refuses what is not a finite figure', () => {
    expect(parseMeasurement('oops', undefined)).toBeUndefined();
    expect(parseMeasurement('{"SET":"fast"}', undefined)).toBeUndefined();
    expect(parseMeasurement('{}', undefined)).toBeUndefined();
    expect(parseMeasurement('null', undefined)).toBeUndefined();
  });
});

describe('medianTables', () => {
  it('puts each variant on its line, with the targets of that variant only', () => {
    const runs = [
      row('coro', 'threads', 'node20', 50_000),
      row('coro', 'processes', 'node20', 9_000),
      { ...row('node', 'threads', 'node20', 100_000), variant: undefined },
      row('piscina', 'threads', 'node20', 10_000),
      row('python', 'threads', 'python3.11', 40_000),
      row('python', 'processes', 'python3.11', 7_000),
    ];

    const lines = medianTables([pools], runs).split('\n');

    expect(lines[0]).toMatch(
      /\| variant +\| unit +\| runtime +\| coro +\| node +\| piscina +\| python +\|/,
    );
    expect(lines).toHaveLength(4);
    // The floor has no variants: it stands on both lines.
    expect(lines[2]).toMatch(
      /threads .*50\.0 k .*100 k .*10\.0 k .*40\.0 k .*0\.50× .*5\.00× .*1\.25× .*≥ 2\.5× piscina: met +\|$/,
    );
    // piscina has no processes: its figure and ratio are blank on that line.
    expect(lines[3]).toMatch(
      /processes .*9\.00 k .*100 k .*— .*7\.00 k .*0\.09× .*— .*1\.29× .*≥ 1\.5× python: NOT met +\|$/,
    );
  });
});

describe('a ratio target', () => {
  it('prints a factor that is a fraction (1 / 1.2) rounded, not with every digit', () => {
    const latency: Workload = {
      ...pools,
      peers: [{ peer: 'coro' }, { peer: 'node' }],
      targets: [{ kind: 'ratio', peer: 'node', atLeast: 1 / 1.2 }],
    };
    const runs = [
      { ...row('coro', 'threads', 'node20', 900), variant: undefined },
      { ...row('node', 'threads', 'node20', 1_000), variant: undefined },
    ];

    const table = medianTables([latency], runs);

    expect(table).toContain('≥ 0.83× node: met');
    expect(table).not.toContain('0.8333');
  });
});
