/*
 * Helpers for the tests of workloads with several peers and variants: every series of a
 * workload on this machine's Node and Python, each run once, small, in a fresh process
 * through the built runner (dist/, which turbo builds before the tests), as `pnpm bench`
 * runs it. A peer the workload names but this machine lacks fails the test with the
 * reason (CI installs Python, uvloop and redis-server): nothing is skipped.
 */
import { expect } from 'vitest';
import { findRuntimes, pythonScript, type Runtime, runSample, type Series } from '../src/peers.js';
import { isNodePeer, peersOf, type Workload } from '../src/workload.js';

const runtimes = findRuntimes([`node${process.versions.node.split('.')[0]}`, 'python', 'redis']);

/** A series' name in test titles: `coro streams`, `uvloop protocol`, `redis`. */
export function seriesName(series: Series): string {
  return series.variant === undefined ? series.peer : `${series.peer} ${series.variant}`;
}

/** Every series of `workload` on this process's Node, Python and redis-server. */
export function everySeries(workload: Workload): Series[] {
  const series: Series[] = [];
  for (const spec of peersOf(workload)) {
    let runtime: Runtime | undefined;
    if (spec.peer === 'redis') runtime = runtimes.redis ?? missing('redis-server');
    else if (isNodePeer(spec.peer)) runtime = runtimes.node[0];
    else runtime = runtimes.python ?? missing('Python (/usr/bin/python3)');
    for (const variant of spec.variants ?? [undefined]) {
      series.push(
        variant === undefined
          ? { peer: spec.peer, runtime: runtime! }
          : { peer: spec.peer, variant, runtime: runtime! },
      );
    }
  }
  return series;
}

/** A stand-in runtime whose samples fail with why it is missing. */
function missing(what: string): Runtime {
  const reasons = runtimes.skipped.join('; ');
  return { label: 'missing', executable: `${what} is missing here (${reasons})`, version: '' };
}

/**
 * Runs one sample of `series` at `size` and checks that it printed the figures it should,
 * each finite and within [low, high]; resolves to them by variant.
 */
export function expectSaneSample(
  workload: Workload,
  series: Series,
  size: number,
  [low, high]: readonly [number, number],
): Record<string, number> {
  if (series.runtime.label === 'missing') throw new Error(series.runtime.executable);
  if (series.peer === 'uvloop' && runtimes.uvloopVersion === undefined) {
    throw new Error(`uvloop is missing here: ${runtimes.skipped.join('; ')}`);
  }
  if (!isNodePeer(series.peer)) expect(pythonScript(workload)).toBeDefined();

  const result = runSample(workload, series, size);

  if (!result.ok) throw new Error(`${seriesName(series)} failed: ${result.reason}`);
  for (const value of Object.values(result.values)) {
    expect(Number.isFinite(value)).toBe(true);
    expect(value).toBeGreaterThanOrEqual(low);
    expect(value).toBeLessThanOrEqual(high);
  }
  return result.values;
}
