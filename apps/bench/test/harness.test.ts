import { describe, expect, it } from 'vitest';
import { findRuntimes, pythonScript, runSample } from '../src/peers.js';
import { PEERS_WITH_EFFECT } from '../src/workload.js';
import { workloads } from '../src/workloads/index.js';

// Keeps the bench from rotting: every core workload (coro, the Node floor, asyncio,
// uvloop: the ones that declare no peers of their own, and with them those that add
// Effect 4: tasks, task-memory, cancel) runs once, small, on every peer this machine has. The networking and pool workloads have their own files
// (echo.test.ts, pool.test.ts, mini-redis.test.ts). Durations are not asserted here;
// `pnpm bench` measures them.
const SIZE = 1_000;
const runtimes = findRuntimes(['python']);
const ownMajor = Number(process.versions.node.split('.')[0]);
const ownNode = findRuntimes([`node${ownMajor}`], [ownMajor]).node[0]!;
const core = workloads.filter(
  (workload) => workload.peers === undefined || workload.peers === PEERS_WITH_EFFECT,
);

describe.each(core)('workload $name', (workload) => {
  it('completes on coro with a positive measurement', async () => {
    const value = await workload.coro(SIZE);

    expect(typeof value).toBe('number');
    if (!workload.signed) expect(value).toBeGreaterThan(0);
    expect(Number.isFinite(value)).toBe(true);
  });

  it('completes on the raw-Node floor with a positive measurement', async () => {
    const value = await workload.node!(SIZE);

    expect(typeof value).toBe('number');
    if (!workload.signed) expect(value).toBeGreaterThan(0);
    expect(Number.isFinite(value)).toBe(true);
  });

  if (workload.effect !== undefined) {
    it('completes on Effect 4 with a positive measurement', async () => {
      const value = await workload.effect!(SIZE);

      expect(typeof value).toBe('number');
      if (!workload.signed) expect(value).toBeGreaterThan(0);
      expect(Number.isFinite(value)).toBe(true);
    });

    // effect is external to the build (dist/runner.js imports it at run time): the runner
    // must find it, as `pnpm bench` starts it (turbo builds dist/ before the tests).
    it('runs on Effect 4 through the built runner', () => {
      const result = runSample(workload, { peer: 'effect', runtime: ownNode }, SIZE);

      expect(result).toMatchObject({ ok: true });
      expect(result.ok && result.values['']).toBeGreaterThan(0);
    });
  }

  // queue-memory has no Python twin (the issue asks for coro's heap only): no twin tests.
  if (workload.name === 'queue-memory') return;

  it.skipIf(runtimes.python === undefined)('has a Python twin that runs on asyncio', () => {
    expect(pythonScript(workload)).toBeDefined();

    const result = runSample(workload, { peer: 'asyncio', runtime: runtimes.python! }, SIZE);

    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.values['']).toBeGreaterThan(0);
  });

  // .ci/run installs Debian's python3-uvloop, so in CI this runs rather than skips.
  it.skipIf(runtimes.uvloopVersion === undefined)('runs on uvloop with --uvloop', () => {
    const result = runSample(workload, { peer: 'uvloop', runtime: runtimes.python! }, SIZE);

    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.values['']).toBeGreaterThan(0);
  });
});
