/*
 * Report: medians of the samples, the rows of results/latest.json, and the tables the
 * harness prints (Markdown, so the README can hold them as printed).
 */
import { type Peer, peersOf, type Target, type Unit, type Workload } from './workload.js';

/** One row of results/latest.json: a peer (in one of its variants) on a runtime, over its samples. */
export interface RunRecord {
  workload: string;
  peer: Peer;
  /** Absent for a peer that runs the workload one way only. */
  variant?: string;
  runtime: string;
  unit: Unit;
  median: number;
  min: number;
  max: number;
  samples: number;
}

export function summarize(
  workload: Workload,
  peer: Peer,
  variant: string | undefined,
  runtime: string,
  values: readonly number[],
): RunRecord {
  const sorted = values.toSorted((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    workload: workload.name,
    peer,
    ...(variant === undefined ? {} : { variant }),
    runtime,
    unit: workload.unit,
    median,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    samples: sorted.length,
  };
}

/** `12.3 M`, `954 k`, `412 B`, `812 MB/s`, `1.87×`: three significant digits. */
export function formatValue(value: number, unit: Unit): string {
  if (unit === 'bytes') return `${Math.round(value)} B`;
  if (unit === 'MB/s') return `${value >= 1000 ? Math.round(value) : value.toPrecision(3)} MB/s`;
  if (unit === 'speedup') return `${value.toFixed(2)}×`;
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)} k`;
  return value.toPrecision(3);
}

function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

const PEERS: readonly Peer[] = [
  'coro',
  'node',
  'effect',
  'piscina',
  'tinypool',
  'redis',
  'asyncio',
  'uvloop',
  'python',
];

/** The peers the workloads declare, coro first. */
function peersIn(workloads: readonly Workload[]): Peer[] {
  return PEERS.filter((peer) =>
    workloads.some((workload) => peersOf(workload).some((spec) => spec.peer === peer)),
  );
}

/**
 * The median tables: one per set of peers (the core workloads share coro, node,
 * asyncio, uvloop; the pools and mini-redis have their own). A line per workload,
 * variant and Node runtime, the medians of every peer (the Python and redis peers are the
 * same on every Node line), coro's median over each other peer's, and the workload's
 * targets checked on that line.
 */
export function medianTables(workloads: readonly Workload[], runs: readonly RunRecord[]): string {
  const groups = new Map<string, Workload[]>();
  for (const workload of workloads) {
    const own = runs.filter((run) => run.workload === workload.name);
    if (own.length === 0) continue;
    const hasVariants = own.some((run) => run.variant !== undefined);
    const key = `${peersIn([workload]).join(',')}${hasVariants ? ' variants' : ''}`;
    groups.set(key, [...(groups.get(key) ?? []), workload]);
  }
  return [...groups.values()].map((group) => medianTable(group, runs)).join('\n\n');
}

/** One median table, for workloads that share their peers. */
export function medianTable(workloads: readonly Workload[], runs: readonly RunRecord[]): string {
  const names = new Set(workloads.map((workload) => workload.name));
  const mine = runs.filter((run) => names.has(run.workload));
  const peers = peersIn(workloads);
  const others = peers.filter((peer) => peer !== 'coro');
  const hasVariants = mine.some((run) => run.variant !== undefined);
  const header = [
    'workload',
    ...(hasVariants ? ['variant'] : []),
    'unit',
    'runtime',
    ...peers,
    ...others.map((peer) => `coro ÷ ${peer}`),
    'target (issue)',
  ];
  const lines: string[][] = [];
  for (const workload of workloads) {
    const own = mine.filter((run) => run.workload === workload.name);
    // A peer without variants (the raw-net floor) stands on every variant's line.
    const variants = [
      ...new Set(own.filter((run) => run.variant !== undefined).map((run) => run.variant)),
    ];
    const nodeRuntimes = [
      ...new Set(own.filter((run) => isNodeRuntime(run.runtime)).map((run) => run.runtime)),
    ];
    for (const variant of variants.length > 0 ? variants : [undefined]) {
      // A peer's figure for this line: its own for the variant, or its only one.
      const median = (peer: Peer, runtime: string | undefined): number | undefined => {
        const candidates = own.filter(
          (run) =>
            run.peer === peer &&
            (runtime === undefined || run.runtime === runtime || !isNodeRuntime(run.runtime)),
        );
        return (
          candidates.find((run) => run.variant === variant) ??
          candidates.find((run) => run.variant === undefined)
        )?.median;
      };
      for (const runtime of nodeRuntimes.length > 0 ? nodeRuntimes : ['—']) {
        const medians = new Map<Peer, number | undefined>(
          peers.map((peer) => [
            peer,
            median(peer, peer === 'coro' || isNodeRuntime(runtime) ? runtime : undefined),
          ]),
        );
        // A peer with variants that lacks this one (piscina has no processes) shows —.
        for (const peer of others) {
          const hasOwnVariants = own.some((run) => run.peer === peer && run.variant !== undefined);
          if (hasOwnVariants && !own.some((run) => run.peer === peer && run.variant === variant)) {
            medians.set(peer, undefined);
          }
        }
        const coro = medians.get('coro');
        lines.push([
          workload.name,
          ...(hasVariants ? [variant ?? '—'] : []),
          workload.unitLabel ??
            (workload.unit === 'bytes' ? 'B/task (lower is better)' : workload.unit),
          runtime,
          ...peers.map((peer) => {
            const value = medians.get(peer);
            return value === undefined ? '—' : formatValue(value, workload.unit);
          }),
          ...others.map((peer) => {
            const other = medians.get(peer);
            return coro === undefined || other === undefined ? '—' : formatRatio(coro / other);
          }),
          describeTargets(workload, variant, medians),
        ]);
      }
    }
  }
  return markdownTable(header, lines);
}

function isNodeRuntime(runtime: string): boolean {
  return /^node\d/.test(runtime);
}

/** The spread of the samples behind every median. */
export function spreadTable(workloads: readonly Workload[], runs: readonly RunRecord[]): string {
  const header = ['workload', 'peer', 'runtime', 'median', 'min', 'max', 'samples'];
  const name = (run: RunRecord): string =>
    run.variant === undefined ? run.peer : `${run.peer} ${run.variant}`;
  const lines = workloads.flatMap((workload) =>
    runs
      .filter((run) => run.workload === workload.name)
      .map((run) => [
        run.workload,
        name(run),
        run.runtime,
        formatValue(run.median, run.unit),
        formatValue(run.min, run.unit),
        formatValue(run.max, run.unit),
        String(run.samples),
      ]),
  );
  return markdownTable(header, lines);
}

function describeTargets(
  workload: Workload,
  variant: string | undefined,
  medians: Map<Peer, number | undefined>,
): string {
  const targets = (workload.targets ?? []).filter(
    (target) => target.variant === undefined || target.variant === variant,
  );
  if (targets.length === 0) return 'report';
  return targets.map((target) => describeTarget(workload, target, medians)).join('; ');
}

function describeTarget(
  workload: Workload,
  target: Target,
  medians: Map<Peer, number | undefined>,
): string {
  const coro = medians.get('coro');
  if (target.kind === 'atMost' || target.kind === 'atLeast') {
    const atMost = target.kind === 'atMost';
    const goal = `${atMost ? '≤' : '≥'} ${formatValue(target.value, workload.unit)}`;
    if (coro === undefined) return `${goal}: —`;
    const met = atMost ? coro <= target.value : coro >= target.value;
    return `${goal}: ${met ? 'met' : 'NOT met'}`;
  }
  // A factor given as a fraction (1 / 1.2) prints rounded: ≥ 0.83×, not ≥ 0.8333333333333334×.
  const goal = `≥ ${Number(target.atLeast.toFixed(2))}× ${target.peer}`;
  const other = medians.get(target.peer);
  if (coro === undefined || other === undefined) return `${goal}: —`;
  return `${goal}: ${coro / other >= target.atLeast ? 'met' : 'NOT met'}`;
}

function markdownTable(header: readonly string[], lines: readonly string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...lines.map((line) => line[column]!.length)),
  );
  const render = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const rule = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  return [render(header), rule, ...lines.map(render)].join('\n');
}
