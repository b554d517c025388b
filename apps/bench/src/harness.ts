/*
 * The harness: `pnpm bench [workload...]`.
 *
 * For each workload, for sample i in 1..N (5 by default), it runs every series once
 * (the Node-side peers on each Node runtime, then the Python peers, then redis-server;
 * each variant of each), each sample in a fresh process, so series alternate and no
 * sample shares JIT or heap state with another; drift on the machine (a busy neighbour,
 * thermal throttling) then lands on every peer alike. It prints the medians, coro's ratio to each peer and the issue's
 * targets, and writes results/latest.json.
 *
 *   pnpm bench                        every workload
 *   pnpm bench callbacks tasks        some
 *   pnpm bench --samples 3 --runtimes node26,python --peers coro,uvloop --size 1000 --no-write
 *   pnpm bench callbacks --node 26 --peers coro,node --samples 1 --no-write   a smoke run
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine } from './machine.js';
import {
  DEFAULT_NODE_MAJORS,
  endOfLifeNote,
  findRuntimes,
  pythonScript,
  type Runtimes,
  runSample,
  type Series,
} from './peers.js';
import { formatValue, medianTables, type RunRecord, spreadTable, summarize } from './report.js';
import {
  isNodePeer,
  NODE_PEERS,
  type Peer,
  PYTHON_PEERS,
  peersOf,
  type Workload,
} from './workload.js';
import { workloads as allWorkloads, findWorkload } from './workloads/index.js';

const resultsFile = fileURLToPath(new URL('../results/latest.json', import.meta.url));
const nodeRunner = fileURLToPath(new URL('../dist/runner.js', import.meta.url));
const PEERS: readonly Peer[] = [...NODE_PEERS, ...PYTHON_PEERS];

const usage = `usage: pnpm bench [workload...] [options]

  workloads: ${allWorkloads.map((workload) => workload.name).join(', ')} (default: all)

  --samples N        samples per peer and runtime (default 5)
  --peers a,b        among ${PEERS.join(', ')} (default: all)
  --node 26,24       the Node majors to run on (default ${DEFAULT_NODE_MAJORS.join(',')}: 26 Active LTS,
                     24 maintenance, 20 end of life); each fetched by scripts/node.sh
  --runtimes a,b     label prefixes: node26, node24, node20, python, redis (default: all found)
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
      node: { type: 'string' },
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
      console.log(`${workload.name.padEnd(16)} ${workload.unit.padEnd(8)} ${workload.summary}`);
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

  const majors = values.node?.split(',').map(Number) ?? DEFAULT_NODE_MAJORS;
  if (majors.some((major) => !Number.isInteger(major) || major < 20)) {
    console.error(`--node must list Node majors >= 20, like 26,24; got ${values.node}\n\n${usage}`);
    return 2;
  }
  const runtimes = findRuntimes(values.runtimes?.split(','), majors);
  const machine = describeMachine(runtimes);
  const versions = [
    ...runtimes.node.map(
      (runtime) => `${runtime.label} ${runtime.version}${endOfLifeNote(runtime)}`,
    ),
    ...(runtimes.python === undefined ? [] : [`python ${runtimes.python.version}`]),
    ...(runtimes.uvloopVersion === undefined ? [] : [`uvloop ${runtimes.uvloopVersion}`]),
    ...(runtimes.redis === undefined ? [] : [`redis-server ${runtimes.redis.version}`]),
  ];
  console.log(
    `coro bench: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}; ${versions.join(', ')}`,
  );
  for (const reason of runtimes.skipped) console.log(`skipped ${reason}`);
  console.log(`${samples} samples per series, alternating, each in a fresh process\n`);

  const runs: RunRecord[] = [];
  let failures = 0;
  for (const workload of workloads) {
    const { series: own, missing } = seriesOf(workload, runtimes, peers);
    for (const reason of missing) console.log(`${workload.name}: ${reason}`);
    const sizeNote = `size ${size ?? workload.defaultSize}${workload.sizeLabel ? ` ${workload.sizeLabel}` : ''}`;
    console.log(`${workload.name} (${workload.unit}, ${sizeNote}): ${workload.summary}`);
    // Figures by series and variant: a series with no variant of its own may print several.
    const values = own.map(() => new Map<string, number[]>());
    for (let sample = 1; sample <= samples; sample++) {
      process.stdout.write(`  ${sample}/${samples}`);
      own.forEach((one, index) => {
        const result = runSample(workload, one, size);
        const label = `${one.peer}${one.variant ? ` ${one.variant}` : ''}·${one.runtime.label}`;
        if (result.ok) {
          for (const [variant, value] of Object.entries(result.values)) {
            const list = values[index]!.get(variant) ?? [];
            list.push(value);
            values[index]!.set(variant, list);
            const name = variant === (one.variant ?? '') ? label : `${label} ${variant}`;
            process.stdout.write(`  ${name} ${formatValue(value, workload.unit)}`);
          }
        } else {
          failures++;
          process.stdout.write(`\n  ${label} FAILED: ${result.reason}\n     `);
        }
      });
      process.stdout.write('\n');
    }
    own.forEach((one, index) => {
      for (const [variant, list] of values[index]!) {
        runs.push(summarize(workload, one.peer, variant || undefined, one.runtime.label, list));
      }
    });
  }

  console.log(`\nMedians of ${samples} samples; ratios are coro's median over the peer's.\n`);
  console.log(medianTables(workloads, runs));
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
  const key = (run: RunRecord): string =>
    `${run.workload}\u0000${run.peer}\u0000${run.variant ?? ''}\u0000${run.runtime}`;
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
  // Variants keep the order the workload names them in (or the order a run printed them).
  const variantOrder = [...new Set([...runs, ...previous].map((run) => run.variant ?? ''))];
  const variantRank = (run: RunRecord): number => variantOrder.indexOf(run.variant ?? '');
  const order = allWorkloads.map((workload) => workload.name);
  const merged = [...previous.filter((run) => !measured.has(key(run))), ...runs].sort(
    (a, b) =>
      order.indexOf(a.workload) - order.indexOf(b.workload) ||
      PEERS.indexOf(a.peer) - PEERS.indexOf(b.peer) ||
      variantRank(a) - variantRank(b) ||
      a.runtime.localeCompare(b.runtime),
  );
  mkdirSync(dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify({ machine, runs: merged }, null, 2)}\n`);
}

/**
 * The series of one workload, in the order a sample runs them: the Node-side peers on
 * each Node runtime, then the Python peers, then redis-server; each peer once per
 * variant. `missing` says why a peer the workload has is not among them.
 */
function seriesOf(
  workload: Workload,
  runtimes: Runtimes,
  wantedPeers: readonly string[],
): { series: Series[]; missing: string[] } {
  const series: Series[] = [];
  const missing: string[] = [];
  const specs = peersOf(workload).filter((spec) => wantedPeers.includes(spec.peer));
  const add = (spec: (typeof specs)[number], runtime: Series['runtime']): void => {
    for (const variant of spec.variants ?? [undefined]) {
      series.push(
        variant === undefined
          ? { peer: spec.peer, runtime }
          : { peer: spec.peer, variant, runtime },
      );
    }
  };
  for (const runtime of runtimes.node) {
    for (const spec of specs)
      if (isNodePeer(spec.peer) && spec.peer !== 'redis') add(spec, runtime);
  }
  for (const spec of specs) {
    if (isNodePeer(spec.peer)) continue;
    if (runtimes.python === undefined) continue; // findRuntimes said why
    if (pythonScript(workload) === undefined) {
      missing.push(`no python/${workload.name}.py, ${spec.peer} skipped`);
    } else if (spec.peer !== 'uvloop' || runtimes.uvloopVersion !== undefined) {
      add(spec, runtimes.python);
    }
  }
  for (const spec of specs) {
    if (spec.peer === 'redis' && runtimes.redis !== undefined) add(spec, runtimes.redis);
  }
  return { series, missing };
}

process.exitCode = main();
