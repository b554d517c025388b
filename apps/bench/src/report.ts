/*
 * Report: medians of the samples, the rows of results/latest.json, and the tables the
 * harness prints (Markdown, so the README can hold them as printed).
 */
import type { Peer, Target, Unit, Workload } from './workload.js';

/** One row of results/latest.json: a peer on a runtime, over its samples. */
export interface RunRecord {
  workload: string;
  peer: Peer;
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
    runtime,
    unit: workload.unit,
    median,
    min: sorted[0]!,
    max: sorted.at(-1)!,
    samples: sorted.length,
  };
}

/** `12.3 M`, `954 k`, `412 B`: three significant digits. */
export function formatValue(value: number, unit: Unit): string {
  if (unit === 'bytes') return `${Math.round(value)} B`;
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)} k`;
  return value.toPrecision(3);
}

function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

const PEERS: readonly Peer[] = ['coro', 'node', 'asyncio', 'uvloop'];

/**
 * The main table: a line per workload and Node runtime, the medians of every peer (the
 * Python peers are the same on both lines), coro's median over each other peer's, and
 * the workload's target checked on that line.
 */
export function medianTable(workloads: readonly Workload[], runs: readonly RunRecord[]): string {
  const header = [
    'workload',
    'unit',
    'runtime',
    ...PEERS,
    'coro ÷ node',
    'coro ÷ asyncio',
    'coro ÷ uvloop',
    'target (issue, Node 20)',
  ];
  const lines: string[][] = [];
  for (const workload of workloads) {
    const own = runs.filter((run) => run.workload === workload.name);
    const median = (peer: Peer, runtime?: string): number | undefined =>
      own.find((run) => run.peer === peer && (runtime === undefined || run.runtime === runtime))
        ?.median;
    const nodeRuntimes = [
      ...new Set(
        own.filter((run) => run.peer === 'coro' || run.peer === 'node').map((run) => run.runtime),
      ),
    ];
    for (const runtime of nodeRuntimes.length > 0 ? nodeRuntimes : ['—']) {
      const medians = new Map<Peer, number | undefined>([
        ['coro', median('coro', runtime)],
        ['node', median('node', runtime)],
        ['asyncio', median('asyncio')],
        ['uvloop', median('uvloop')],
      ]);
      const coro = medians.get('coro');
      const ratio = (peer: Peer): string => {
        const other = medians.get(peer);
        return coro === undefined || other === undefined ? '—' : formatRatio(coro / other);
      };
      lines.push([
        workload.name,
        workload.unitLabel ??
          (workload.unit === 'bytes' ? 'B/task (lower is better)' : workload.unit),
        runtime,
        ...PEERS.map((peer) => {
          const value = medians.get(peer);
          return value === undefined ? '—' : formatValue(value, workload.unit);
        }),
        ratio('node'),
        ratio('asyncio'),
        ratio('uvloop'),
        describeTarget(workload, medians),
      ]);
    }
  }
  return markdownTable(header, lines);
}

/** The spread of the samples behind every median. */
export function spreadTable(workloads: readonly Workload[], runs: readonly RunRecord[]): string {
  const header = ['workload', 'peer', 'runtime', 'median', 'min', 'max', 'samples'];
  const lines = workloads.flatMap((workload) =>
    runs
      .filter((run) => run.workload === workload.name)
      .map((run) => [
        run.workload,
        run.peer,
        run.runtime,
        formatValue(run.median, run.unit),
        formatValue(run.min, run.unit),
        formatValue(run.max, run.unit),
        String(run.samples),
      ]),
  );
  return markdownTable(header, lines);
}

function describeTarget(workload: Workload, medians: Map<Peer, number | undefined>): string {
  const target: Target | undefined = workload.target;
  if (target === undefined) return 'report';
  const coro = medians.get('coro');
  if (target.kind === 'atMost') {
    const goal = `≤ ${formatValue(target.value, workload.unit)}`;
    if (coro === undefined) return `${goal}: —`;
    return `${goal}: ${coro <= target.value ? 'met' : 'NOT met'}`;
  }
  const goal = `≥ ${target.atLeast}× ${target.peer}`;
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
