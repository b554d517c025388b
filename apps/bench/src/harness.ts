/*
 * The harness: `pnpm bench [workload...]`.
 *
 * For each workload, for sample i in 1..N (5 by default), it runs every series once
 * (coro and the raw-Node floor on each Node runtime, then asyncio, then uvloop), each
 * sample in a fresh process, so series alternate and no sample shares JIT or heap state
 * with another; drift on the machine (a busy neighbour, thermal throttling) then lands on
 * every peer alike. It prints the medians, coro's ratio to each peer and the issue's
 * targets, and writes results/latest.json.
 *
 *   pnpm bench                        every workload
 *   pnpm bench callbacks tasks        some
 *   pnpm bench --samples 3 --runtimes node20,python --peers coro,uvloop --size 1000 --no-write
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import { findRuntimes, pythonScript, runSample, type Series } from './peers.js';
import { formatValue, medianTable, type RunRecord, spreadTable, summarize } from './report.js';
import type { Peer, Workload } from './workload.js';
import { workloads as allWorkloads, findWorkload } from './workloads/index.js';

const resultsFile = fileURLToPath(new URL('../results/latest.json', import.meta.url));
const nodeRunner = fileURLToPath(new URL('../dist/runner.js', import.meta.url));
const PEERS: readonly Peer[] = ['coro', 'node', 'asyncio', 'uvloop'];

const usage = `usage: pnpm bench [workload...] [options]

  workloads: ${allWorkloads.map((workload) => workload.name).join(', ')} (default: all)

  --samples N        samples per peer and runtime (default 5)
  --peers a,b        among ${PEERS.join(', ')} (default: all)
  --runtimes a,b     label prefixes: node20, node24, python (default: all found)
  --size N           size of one run instead of each workload's default (implies --no-write)
  --no-write         do not update results/latest.json
  --list             list the workloads and exit`;

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      samples: { type: 'string', default: '5' },
      peers: { type: 'string' },
      runtimes: { type: 'string' },
      size: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.list) {
    for (const workload of allWorkloads) {
      console.log(`${workload.name.padEnd(12)} ${workload.unit.padEnd(6)} ${workload.summary}`);
    }
    return 0;
  }

  const selected: Workload[] = [];
  for (const name of positionals) {
    const workload = findWorkload(name);
    if (workload === undefined) {
      console.error(`unknown workload ${JSON.stringify(name)}\n\n${usage}`);
      return 2;
    }
    selected.push(workload);
  }
  const workloads = selected.length > 0 ? selected : [...allWorkloads];
  const samples = Number(values.samples);
  if (!Number.isInteger(samples) || samples < 1) {
    console.error(`--samples must be an integer >= 1; got ${values.samples}`);
    return 2;
  }
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && (!Number.isInteger(size) || size < 1)) {
    console.error(`--size must be an integer >= 1; got ${values.size}`);
    return 2;
  }
  const peers = values.peers?.split(',') ?? [...PEERS];
  for (const peer of peers) {
    if (!PEERS.includes(peer as Peer)) {
      console.error(`--peers takes ${PEERS.join(', ')}; got ${JSON.stringify(peer)}`);
      return 2;
    }
  }
  if (!existsSync(nodeRunner)) {
    console.error('dist/runner.js is missing: `pnpm bench` builds it (or run `pnpm build`).');
    return 1;
  }

  const runtimes = findRuntimes(values.runtimes?.split(','));
  const allSeries: Series[] = [];
  for (const runtime of runtimes.node) {
    for (const peer of ['coro', 'node'] as const) allSeries.push({ peer, runtime });
  }
  if (runtimes.python !== undefined) {
    allSeries.push({ peer: 'asyncio', runtime: runtimes.python });
    if (runtimes.uvloopVersion !== undefined)
      allSeries.push({ peer: 'uvloop', runtime: runtimes.python });
  }
  const series = allSeries.filter((one) => peers.includes(one.peer));

  const machine = describeMachine(runtimes);
  const versions = [
    ...runtimes.node.map((runtime) => `${runtime.label} ${runtime.version}`),
    ...(runtimes.python === undefined ? [] : [`python ${runtimes.python.version}`]),
    ...(runtimes.uvloopVersion === undefined ? [] : [`uvloop ${runtimes.uvloopVersion}`]),
  ];
  console.log(
    `coro bench: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}; ${versions.join(', ')}`,
  );
  for (const reason of runtimes.skipped) console.log(`skipped ${reason}`);
  console.log(`${samples} samples per series, alternating, each in a fresh process\n`);

  const runs: RunRecord[] = [];
  let failures = 0;
  for (const workload of workloads) {
    const own = series.filter((one) => {
      if (one.peer !== 'asyncio' && one.peer !== 'uvloop') return true;
      return pythonScript(workload) !== undefined;
    });
    if (own.length < series.length)
      console.log(`${workload.name}: no python/${workload.name}.py, Python peers skipped`);
    console.log(
      `${workload.name} (${workload.unit}, size ${size ?? workload.defaultSize}): ${workload.summary}`,
    );
    const values = own.map((): number[] => []);
    for (let sample = 1; sample <= samples; sample++) {
      process.stdout.write(`  ${sample}/${samples}`);
      own.forEach((one, index) => {
        const result = runSample(workload, one, size);
        const label = `${one.peer}·${one.runtime.label}`;
        if (result.ok) {
          values[index]!.push(result.value);
          process.stdout.write(`  ${label} ${formatValue(result.value, workload.unit)}`);
        } else {
          failures++;
          process.stdout.write(`\n  ${label} FAILED: ${result.reason}\n     `);
        }
      });
      process.stdout.write('\n');
    }
    own.forEach((one, index) => {
      if (values[index]!.length > 0) {
        runs.push(summarize(workload, one.peer, one.runtime.label, values[index]!));
      }
    });
  }

  console.log(`\nMedians of ${samples} samples; ratios are coro's median over the peer's.\n`);
  console.log(medianTable(workloads, runs));
  console.log('\nSpread of the samples:\n');
  console.log(spreadTable(workloads, runs));

  if (values['no-write'] || size !== undefined) {
    console.log('\nresults/latest.json not updated (--no-write or --size).');
  } else {
    writeResults(machine, runs);
    console.log('\nwrote results/latest.json');
  }
  if (failures > 0) console.log(`\n${failures} sample(s) failed: see FAILED above.`);
  return failures > 0 ? 1 : 0;
}

/**
 * Writes the runs to results/latest.json. Rows of workloads, peers or runtimes this run
 * did not measure are kept from the previous file, so `pnpm bench tasks` refreshes the
 * tasks rows and leaves the others.
 */
function writeResults(machine: ReturnType<typeof describeMachine>, runs: RunRecord[]): void {
  const key = (run: RunRecord): string => `${run.workload}\u0000${run.peer}\u0000${run.runtime}`;
  let previous: RunRecord[] = [];
  if (existsSync(resultsFile)) {
    try {
      previous =
        (JSON.parse(readFileSync(resultsFile, 'utf8')) as { runs: RunRecord[] }).runs ?? [];
    } catch {
      previous = [];
    }
  }
  const measured = new Set(runs.map(key));
  const order = allWorkloads.map((workload) => workload.name);
  const merged = [...previous.filter((run) => !measured.has(key(run))), ...runs].sort(
    (a, b) =>
      order.indexOf(a.workload) - order.indexOf(b.workload) ||
      PEERS.indexOf(a.peer) - PEERS.indexOf(b.peer) ||
      a.runtime.localeCompare(b.runtime),
  );
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify({ machine, runs: merged }, null, 2)}\n`);
}

process.exitCode = main();
