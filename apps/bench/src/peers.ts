/*
 * Peers and runtimes: finds the interpreters a run can use (Node 26, 24 and 20, Python with
 * and without uvloop, redis-server with redis-benchmark), and runs one sample of a
 * workload on one of them in a fresh process. A peer that is missing is skipped with a
 * printed reason, never an error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isNodePeer, type Peer, type Workload } from './workload.js';

/** The package directory (dist/ and src/ both sit one level below it). */
export const benchDirectory = fileURLToPath(new URL('..', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const nodeRunner = fileURLToPath(new URL('../dist/runner.js', import.meta.url));
const pythonDirectory = fileURLToPath(new URL('../python/', import.meta.url));

/** Debian's interpreter, the one `apt-get install python3-uvloop` installs uvloop into. */
const DEFAULT_PYTHON = '/usr/bin/python3';
/** How long one sample may take before it is counted as failed. */
const SAMPLE_TIMEOUT_MS = 180_000;

/** An interpreter a sample runs on: `node26`, `node24` or `python3.11`, say. */
export interface Runtime {
  readonly label: string;
  readonly executable: string;
  readonly version: string;
}

/** One line of the table: a peer (in one of its variants) on a runtime. */
export interface Series {
  readonly peer: Peer;
  readonly variant?: string;
  readonly runtime: Runtime;
}

/** What `findRuntimes` found, and why anything is missing. */
export interface Runtimes {
  readonly node: Runtime[];
  readonly python: Runtime | undefined;
  readonly uvloopVersion: string | undefined;
  /**
   * redis-server and redis-benchmark (Debian's redis-server and redis-tools): the
   * `redis` peer's samples are driven by the Node runner on this process's Node.
   */
  readonly redis: Runtime | undefined;
  readonly skipped: string[];
}

/** Node majors a run uses by default, newest first: 26 (Active LTS), 24, and 20 (end of life). */
export const DEFAULT_NODE_MAJORS: readonly number[] = [26, 24, 20];
/** Majors past their end of life, reported as such (Node 20: April 2026). */
const END_OF_LIFE_MAJORS: ReadonlySet<number> = new Set([18, 20]);

/** `(end of life)` after the version of a Node runtime past its end of life, else ''. */
export function endOfLifeNote(runtime: Runtime): string {
  const major = /^node(\d+)$/.exec(runtime.label)?.[1];
  return major !== undefined && END_OF_LIFE_MAJORS.has(Number(major)) ? ' (end of life)' : '';
}

/**
 * The Node runtimes, one per major of `majors` (newest first; this process's Node for its
 * own major, `CORO_BENCH_NODE<major>` if set, else fetched by scripts/node.sh), and Python
 * (`CORO_BENCH_PYTHON`, else /usr/bin/python3) with or without uvloop. `wanted` filters by
 * label prefix (`node26`, `node24`, `node20`, `python`, `redis`).
 */
export function findRuntimes(
  wanted: readonly string[] | undefined,
  majors: readonly number[] = DEFAULT_NODE_MAJORS,
): Runtimes {
  const skipped: string[] = [];
  const isWanted = (label: string): boolean =>
    wanted === undefined || wanted.some((prefix) => label.startsWith(prefix));
  const node: Runtime[] = [];

  const ownMajor = Number(process.versions.node.split('.')[0]);
  for (const major of [...majors].sort((a, b) => b - a)) {
    const label = `node${major}`;
    if (!isWanted(label)) continue;
    if (major === ownMajor) {
      node.push({ label, executable: process.execPath, version: process.version });
      continue;
    }
    const found = findNode(major);
    if (typeof found === 'string') skipped.push(`${label}: ${found}`);
    else node.push(found);
  }

  let python: Runtime | undefined;
  let uvloopVersion: string | undefined;
  if (isWanted('python')) {
    const executable = process.env.CORO_BENCH_PYTHON ?? DEFAULT_PYTHON;
    const version = probe(executable, ['-c', 'import sys; print(sys.version.split()[0])']);
    if (version === undefined) {
      skipped.push(`asyncio, uvloop: ${executable} does not run`);
    } else {
      python = { label: `python${version.split('.').slice(0, 2).join('.')}`, executable, version };
      uvloopVersion = probe(executable, ['-c', 'import uvloop; print(uvloop.__version__)']);
      if (uvloopVersion === undefined) {
        skipped.push(
          `uvloop: \`import uvloop\` fails in ${executable} (apt-get install -y python3-uvloop)`,
        );
      }
    }
  }
  let redis: Runtime | undefined;
  if (isWanted('redis')) {
    const found = findRedis();
    if (typeof found === 'string') skipped.push(`redis: ${found}`);
    else redis = found;
  }
  return { node, python, uvloopVersion, redis, skipped };
}

/**
 * redis-server, if it and redis-benchmark run: a runtime labelled `redis7.0` (say)
 * whose executable is this process's Node, which runs the sample's runner.
 */
export function findRedis(): Runtime | string {
  const server = probe('redis-server', ['--version']);
  if (server === undefined) {
    return '`redis-server --version` fails (apt-get install -y redis-server redis-tools)';
  }
  if (probe('redis-benchmark', ['--version']) === undefined) {
    return '`redis-benchmark --version` fails (apt-get install -y redis-tools)';
  }
  const version = /v=(\d+\.\d+\.\d+)/.exec(server)?.[1] ?? '?';
  return {
    label: `redis${version.split('.').slice(0, 2).join('.')}`,
    executable: process.execPath,
    version,
  };
}

function findNode(major: number): Runtime | string {
  let executable = process.env[`CORO_BENCH_NODE${major}`];
  if (executable === undefined) {
    const script = `${repositoryRoot}scripts/node.sh`;
    if (!existsSync(script)) return 'scripts/node.sh not found';
    const result = spawnSync('bash', [script, String(major)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (result.status !== 0) return `scripts/node.sh ${major} failed (exit ${result.status})`;
    executable = result.stdout.trim();
  }
  const version = probe(executable, ['-v']);
  if (version === undefined) return `${executable} does not run`;
  if (!version.startsWith(`v${major}.`)) return `${executable} is ${version}, not v${major}`;
  return { label: `node${major}`, executable, version };
}

/** The trimmed stdout of `executable args`, or `undefined` if it failed. */
function probe(executable: string, args: string[]): string | undefined {
  const result = spawnSync(executable, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) return undefined;
  return result.stdout.trim();
}

/** The Python script of `workload`, or `undefined` if it has none (its Python peers are skipped). */
export function pythonScript(workload: Workload): string | undefined {
  const script = `${pythonDirectory}${workload.name}.py`;
  return existsSync(script) ? script : undefined;
}

/**
 * One sample: the figures it measured by variant (the series' own variant, `''` if it
 * has none, or the names the run printed), or why there are none.
 */
export type SampleResult =
  | { ok: true; values: Record<string, number> }
  | { ok: false; reason: string };

/** Runs `workload` once for `series` in a fresh process. */
export function runSample(
  workload: Workload,
  series: Series,
  size: number | undefined,
): SampleResult {
  const sizeArgs = size === undefined ? [] : ['--size', String(size)];
  const variantArgs = series.variant === undefined ? [] : ['--variant', series.variant];
  let args: string[];
  if (isNodePeer(series.peer)) {
    args = [
      ...(workload.nodeFlags ?? []),
      nodeRunner,
      workload.name,
      series.peer,
      ...variantArgs,
      ...sizeArgs,
    ];
  } else {
    const script = pythonScript(workload);
    if (script === undefined) return { ok: false, reason: `no python/${workload.name}.py` };
    const uvloop = series.peer === 'uvloop' ? ['--uvloop'] : [];
    args = [script, ...uvloop, ...variantArgs, ...sizeArgs];
  }
  const result = spawnSync(series.runtime.executable, args, {
    cwd: benchDirectory,
    encoding: 'utf8',
    timeout: SAMPLE_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (result.error !== undefined) return { ok: false, reason: result.error.message };
  if (result.status !== 0) {
    const detail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    return { ok: false, reason: `exit ${result.status ?? result.signal}: ${detail}` };
  }
  const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
  const values = parseMeasurement(lastLine, series.variant);
  if (values === undefined) {
    return { ok: false, reason: `printed ${JSON.stringify(lastLine)}, not a measurement` };
  }
  return { ok: true, values };
}

/**
 * A runner's last line: a number (the figure of `variant`) or an object of finite
 * numbers (figures named by variant, prefixed with `variant` if there is one).
 */
export function parseMeasurement(
  line: string,
  variant: string | undefined,
): Record<string, number> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof parsed === 'number') {
    return Number.isFinite(parsed) ? { [variant ?? '']: parsed } : undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed);
  if (entries.length === 0) return undefined;
  const values: Record<string, number> = {};
  for (const [name, value] of entries) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    values[variant === undefined ? name : `${variant} ${name}`] = value;
  }
  return values;
}
