/*
 * Peers and runtimes: finds the interpreters a run can use (Node 20 and 24, Python with
 * and without uvloop), and runs one sample of a workload on one of them in a fresh
 * process. A peer that is missing is skipped with a printed reason, never an error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Peer, Workload } from './workload.js';

/** The package directory (dist/ and src/ both sit one level below it). */
export const benchDirectory = fileURLToPath(new URL('..', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const nodeRunner = fileURLToPath(new URL('../dist/runner.js', import.meta.url));
const pythonDirectory = fileURLToPath(new URL('../python/', import.meta.url));

/** Debian's interpreter, the one `apt-get install python3-uvloop` installs uvloop into. */
const DEFAULT_PYTHON = '/usr/bin/python3';
/** How long one sample may take before it is counted as failed. */
const SAMPLE_TIMEOUT_MS = 180_000;

/** An interpreter a sample runs on: `node20`, `node24` or `python3.11`, say. */
export interface Runtime {
  readonly label: string;
  readonly executable: string;
  readonly version: string;
}

/** One line of the table: a peer on a runtime. */
export interface Series {
  readonly peer: Peer;
  readonly runtime: Runtime;
}

/** What `findRuntimes` found, and why anything is missing. */
export interface Runtimes {
  readonly node: Runtime[];
  readonly python: Runtime | undefined;
  readonly uvloopVersion: string | undefined;
  readonly skipped: string[];
}

/**
 * The Node runtimes (this process's Node, and Node 24 from scripts/node24.sh, or
 * `CORO_BENCH_NODE24`), and Python (`CORO_BENCH_PYTHON`, else /usr/bin/python3) with
 * or without uvloop. `wanted` filters by label prefix (`node20`, `node24`, `python`).
 */
export function findRuntimes(wanted: readonly string[] | undefined): Runtimes {
  const skipped: string[] = [];
  const isWanted = (label: string): boolean =>
    wanted === undefined || wanted.some((prefix) => label.startsWith(prefix));
  const node: Runtime[] = [];

  const own: Runtime = {
    label: `node${process.versions.node.split('.')[0]}`,
    executable: process.execPath,
    version: process.version,
  };
  if (isWanted(own.label)) node.push(own);
  if (own.label !== 'node24' && isWanted('node24')) {
    const node24 = findNode24();
    if (typeof node24 === 'string') skipped.push(`node24: ${node24}`);
    else node.push(node24);
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
  return { node, python, uvloopVersion, skipped };
}

function findNode24(): Runtime | string {
  let executable = process.env.CORO_BENCH_NODE24;
  if (executable === undefined) {
    const script = `${repositoryRoot}scripts/node24.sh`;
    if (!existsSync(script)) return 'scripts/node24.sh not found';
    const result = spawnSync('bash', [script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (result.status !== 0) return `scripts/node24.sh failed (exit ${result.status})`;
    executable = result.stdout.trim();
  }
  const version = probe(executable, ['-v']);
  if (version === undefined) return `${executable} does not run`;
  if (!version.startsWith('v24.')) return `${executable} is ${version}, not v24`;
  return { label: 'node24', executable, version };
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

/** One sample: the measurement, or why there is none. */
export type SampleResult = { ok: true; value: number } | { ok: false; reason: string };

/** Runs `workload` once for `series` in a fresh process. */
export function runSample(
  workload: Workload,
  series: Series,
  size: number | undefined,
): SampleResult {
  const sizeArgs = size === undefined ? [] : ['--size', String(size)];
  let args: string[];
  if (series.peer === 'coro' || series.peer === 'node') {
    args = [...(workload.nodeFlags ?? []), nodeRunner, workload.name, series.peer, ...sizeArgs];
  } else {
    const script = pythonScript(workload);
    if (script === undefined) return { ok: false, reason: `no python/${workload.name}.py` };
    args = [script, ...(series.peer === 'uvloop' ? ['--uvloop'] : []), ...sizeArgs];
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
  const value = Number(lastLine);
  if (lastLine === '' || !Number.isFinite(value)) {
    return { ok: false, reason: `printed ${JSON.stringify(lastLine)}, not a number` };
  }
  return { ok: true, value };
}
