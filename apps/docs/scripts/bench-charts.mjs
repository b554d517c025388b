// Draws the benchmark charts (public/bench/<workload>.svg) and writes the results part of
// the benchmarks page (parts/bench-results.md) from apps/bench/results/latest.json. Both
// outputs are generated, not committed. Without a results file the part says so and the
// build goes on. No chart library: a chart is a few rectangles and labels.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { docsDirectory, repositoryDirectory } from './packages.mjs';

const resultsPath = join(repositoryDirectory, 'apps', 'bench', 'results', 'latest.json');
const chartsDirectory = join(docsDirectory, 'public', 'bench');
const partPath = join(docsDirectory, 'parts', 'bench-results.md');

const PEER_ORDER = [
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
const PEER_COLORS = {
  coro: '#2f8f6f',
  node: '#6b7280',
  effect: '#0f766e',
  piscina: '#c2410c',
  tinypool: '#b45309',
  redis: '#b91c1c',
  asyncio: '#3572a5',
  uvloop: '#9b59b6',
  python: '#1e3a8a',
};
const PEER_NAMES = {
  coro: 'coro',
  node: 'Node.js floor',
  effect: 'Effect 4',
  piscina: 'piscina',
  tinypool: 'tinypool',
  redis: 'redis-server',
  asyncio: 'asyncio',
  uvloop: 'uvloop',
  python: 'concurrent.futures',
};

/** The Node major of a runtime (`node26` → 26), or 0 for any other runtime. */
function nodeMajor(runtime) {
  const node = /^node(\d+)$/.exec(runtime);
  return node ? Number(node[1]) : 0;
}

/** `node20` → `Node 20`, `python3.11` → `Python 3.11`, `redis7.0` → `Redis 7.0`. */
export function runtimeName(runtime) {
  const node = /^node(\d+)$/.exec(runtime);
  if (node) return `Node ${node[1]}`;
  const python = /^python(.*)$/.exec(runtime);
  if (python) return `Python ${python[1]}`.trim();
  const redis = /^redis(.*)$/.exec(runtime);
  if (redis) return `Redis ${redis[1]}`.trim();
  return runtime;
}

/** A row's series: the peer, and its variant if it has one (`coro streams`). */
export function seriesName(row) {
  const peer = PEER_NAMES[row.peer] ?? row.peer;
  return row.variant ? `${peer} ${row.variant}` : peer;
}

/** What a unit means on a chart. */
function describeUnit(unit) {
  if (unit === 'bytes') return 'bytes, lower is better';
  if (unit === 'speedup') return 'speedup over the same jobs run in sequence, higher is better';
  return `${unit}, higher is better`;
}

/** Three significant digits with k/M, or bytes, MB/s, or a speedup. */
export function formatValue(value, unit) {
  if (unit === 'bytes') return `${Math.round(value)} B`;
  if (unit === 'MB/s') return `${value >= 1000 ? Math.round(value) : value.toPrecision(3)} MB/s`;
  if (unit === 'speedup') return `${value.toFixed(2)}×`;
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)} M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)} k`;
  return value.toPrecision(3);
}

const escapeXml = (text) =>
  String(text).replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c],
  );

/** One horizontal bar chart: a bar per series (median), a whisker from min to max. */
export function drawChart(workload, rows) {
  const unit = rows[0].unit;
  const width = 860;
  const labelWidth = 300;
  const valueWidth = 110;
  const plotWidth = width - labelWidth - valueWidth - 20;
  const barHeight = 22;
  const gap = 10;
  const top = 48;
  const height = top + rows.length * (barHeight + gap) + 24;
  const max = Math.max(...rows.map((row) => row.max ?? row.median)) || 1;
  const scale = (value) => (value / max) * plotWidth;
  const unitText = describeUnit(unit);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(`${workload}: ${unitText}`)}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="24" font-size="16" font-weight="600" fill="#1f2937">${escapeXml(workload)}</text>`,
    `<text x="12" y="40" font-size="12" fill="#4b5563">median of the samples, ${escapeXml(unitText)}; the thin line spans min to max</text>`,
  ];
  rows.forEach((row, index) => {
    const y = top + index * (barHeight + gap);
    const color = PEER_COLORS[row.peer] ?? '#9ca3af';
    const label = `${seriesName(row)} · ${runtimeName(row.runtime)}`;
    const barWidth = Math.max(1, scale(row.median));
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" font-size="13" text-anchor="end" fill="#1f2937">${escapeXml(label)}</text>`,
      `<rect x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" rx="3" fill="${color}"/>`,
    );
    if (row.min !== undefined && row.max !== undefined) {
      const x1 = labelWidth + scale(row.min);
      const x2 = labelWidth + scale(row.max);
      const mid = y + barHeight / 2;
      parts.push(
        `<line x1="${x1.toFixed(1)}" y1="${mid}" x2="${x2.toFixed(1)}" y2="${mid}" stroke="#111827" stroke-width="1.2"/>`,
        `<line x1="${x1.toFixed(1)}" y1="${mid - 5}" x2="${x1.toFixed(1)}" y2="${mid + 5}" stroke="#111827" stroke-width="1.2"/>`,
        `<line x1="${x2.toFixed(1)}" y1="${mid - 5}" x2="${x2.toFixed(1)}" y2="${mid + 5}" stroke="#111827" stroke-width="1.2"/>`,
      );
    }
    parts.push(
      `<text x="${labelWidth + plotWidth + 14}" y="${y + 15}" font-size="13" fill="#1f2937">${escapeXml(formatValue(row.median, unit))}</text>`,
    );
  });
  parts.push('</svg>', '');
  return parts.join('\n');
}

/**
 * Rows of one workload: coro first, the Node floor, Effect and the Node pools,
 * redis-server, then Python; a peer's variants in the results file's order; the newest
 * Node first (26, 24, then 20: the Active LTS leads).
 */
function sortRows(rows) {
  const rank = (peer) => (PEER_ORDER.includes(peer) ? PEER_ORDER.indexOf(peer) : 99);
  const variants = [...new Set(rows.map((row) => row.variant ?? ''))];
  const variantRank = (row) => variants.indexOf(row.variant ?? '');
  return rows.toSorted(
    (a, b) =>
      rank(a.peer) - rank(b.peer) ||
      variantRank(a) - variantRank(b) ||
      nodeMajor(b.runtime) - nodeMajor(a.runtime) ||
      a.runtime.localeCompare(b.runtime),
  );
}

/** The Markdown part of the page and the charts, from a parsed results file. */
export function renderResults(results) {
  const runs = Array.isArray(results?.runs) ? results.runs : [];
  const workloads = [...new Set(runs.map((run) => run.workload))];
  const charts = {};
  const machine = results?.machine ?? {};
  const lines = ['## The machine', '', '| what | value |', '| --- | --- |'];
  const node = machine.node ?? {};
  const machineRows = [
    ['CPU', machine.cpu && `${machine.cpu}, ${machine.cores ?? '?'} cores`],
    ['memory', machine.memory],
    ['system', machine.os],
    ...Object.entries(node).map(([runtime, version]) => [runtimeName(runtime), version]),
    ['Python', machine.python],
    ['uvloop', machine.uvloop],
    ['commit measured', machine.commit && `\`${machine.commit}\``],
    ['date', machine.date],
  ];
  for (const [what, value] of machineRows) if (value) lines.push(`| ${what} | ${value} |`);
  lines.push('', '## Results', '');
  for (const workload of workloads) {
    const rows = sortRows(runs.filter((run) => run.workload === workload));
    charts[workload] = drawChart(workload, rows);
    const unit = rows[0].unit;
    lines.push(
      `### ${workload}`,
      '',
      `![${workload}: ${unit}, median of the samples](/bench/${workload}.svg)`,
      '',
      '| peer | runtime | median | min | max | samples |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    );
    for (const row of rows) {
      lines.push(
        `| ${seriesName(row)} | ${runtimeName(row.runtime)} | ${formatValue(row.median, unit)} | ${formatValue(row.min, unit)} | ${formatValue(row.max, unit)} | ${row.samples} |`,
      );
    }
    lines.push('');
  }
  return { markdown: lines.join('\n'), charts };
}

export function main() {
  rmSync(chartsDirectory, { recursive: true, force: true });
  mkdirSync(join(docsDirectory, 'parts'), { recursive: true });
  if (!existsSync(resultsPath)) {
    writeFileSync(
      partPath,
      [
        '::: info No results yet',
        'No benchmark results are in this checkout yet (`apps/bench/results/latest.json` is',
        'missing). Run `pnpm bench` at the root of the repository, then build the docs again.',
        ':::',
        '',
      ].join('\n'),
    );
    console.log('benchmarks: no results file; the page says so');
    return;
  }
  const { markdown, charts } = renderResults(JSON.parse(readFileSync(resultsPath, 'utf8')));
  mkdirSync(chartsDirectory, { recursive: true });
  for (const [workload, svg] of Object.entries(charts)) {
    writeFileSync(join(chartsDirectory, `${workload}.svg`), svg);
  }
  writeFileSync(partPath, markdown);
  console.log(`benchmarks: ${Object.keys(charts).length} charts → public/bench/`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main();
