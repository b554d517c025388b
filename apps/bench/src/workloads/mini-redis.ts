import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchDirectory } from '../peers.js';
import type { Workload } from '../workload.js';

/*
 * mini-redis: redis-benchmark (Debian's redis-tools) against apps/examples' mini-redis,
 * built on coro's streams, queues and sync and run by the Node under test, and a real
 * redis-server, each started for the sample on a free port of 127.0.0.1 and stopped
 * after it. One sample warms the server up with a tenth of the requests (untimed), runs
 * `redis-benchmark -t ping,set,get -c 50 -n <size>` and again with `-P 16`, and resolves
 * to the rate of every test (`SET P16`, say): each is a line of the table.
 */

const examplesDirectory = join(benchDirectory, '..', 'examples');
const CLIENTS = 50;
const PIPELINES = [1, 16] as const;
/** How long a server may take to say it is listening. */
const START_TIMEOUT_MS = 60_000;
/** How long one redis-benchmark run may take. */
const BENCHMARK_TIMEOUT_MS = 150_000;

/** A port that was free a moment ago on 127.0.0.1 (the OS picked it for a listener). */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/**
 * Starts `command` and resolves once a line of its stdout matches `ready`; rejects if it
 * exits first (a taken port, a missing build) with the end of what it printed.
 */
async function startServer(
  command: string,
  args: readonly string[],
  cwd: string,
  ready: RegExp,
): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stderr!.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} did not print ${ready} within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      collect(chunk);
      if (ready.test(output)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        child.stdout!.resume(); // keep draining what it prints later
        resolve();
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      clearTimeout(timer);
      reject(new Error(`${command} exited (${code ?? signal}) before it was ready:\n${output}`));
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited after 10 s; resolves once it has exited. */
async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * redis-benchmark against 127.0.0.1:`port`, `requests` per test, with and without
 * pipelining: the rate of each test, named `<TEST> P<pipeline>`.
 */
function benchmark(port: number, requests: number): Record<string, number> {
  // Untimed warm-up: a server is measured as it runs once started (V8 has compiled the
  // hot paths; redis-server has nothing to warm, so this costs it nothing).
  redisBenchmark(port, Math.max(1_000, Math.round(requests / 10)), 1);
  const rates: Record<string, number> = {};
  for (const pipeline of PIPELINES) {
    Object.assign(rates, parseCsv(redisBenchmark(port, requests, pipeline), `P${pipeline}`));
  }
  return rates;
}

/** One `redis-benchmark -t ping,set,get -c 50 -n <requests> -P <pipeline> --csv`: its output. */
function redisBenchmark(port: number, requests: number, pipeline: number): string {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-t', 'ping,set,get'];
  args.push('-c', String(CLIENTS), '-n', String(requests), '-P', String(pipeline), '--csv');
  const result = spawnSync('redis-benchmark', args, {
    encoding: 'utf8',
    timeout: BENCHMARK_TIMEOUT_MS,
  });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    throw new Error(`redis-benchmark exited ${result.status ?? result.signal}: ${result.stderr}`);
  }
  return result.stdout;
}

/** redis-benchmark's `--csv` lines (`"SET","81234.56",…`) as rates named `SET P1`. */
export function parseCsv(csv: string, suffix: string): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const line of csv.split('\n')) {
    const match = /^"([A-Z_]+)","([\d.]+)"/.exec(line.trim());
    if (match !== null) rates[`${match[1]} ${suffix}`] = Number(match[2]);
  }
  if (Object.keys(rates).length === 0) {
    throw new Error(`redis-benchmark printed no rates:\n${csv}`);
  }
  return rates;
}

async function againstServer(
  start: (port: number) => Promise<ChildProcess>,
  requests: number,
): Promise<Record<string, number>> {
  const port = await freePort();
  const server = await start(port);
  try {
    return benchmark(port, requests);
  } finally {
    await stopServer(server);
  }
}

/**
 * The mini-redis example of apps/examples, run by this process's Node from its build
 * (`node dist/bin/mini-redis.js --port N`: what `pnpm example mini-redis --port N`
 * runs, without pnpm and tsx in between, and stopped by SIGTERM directly); it prints
 * `ready` when listening. `pnpm bench` builds it (this package depends on
 * @coro/examples).
 */
function startMiniRedis(port: number): Promise<ChildProcess> {
  const args = [join(examplesDirectory, 'dist', 'bin', 'mini-redis.js'), '--port', String(port)];
  return startServer(process.execPath, args, examplesDirectory, /\bready\b/);
}

/** redis-server on `port`, nothing saved to disk. */
function startRedisServer(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  return startServer('redis-server', args, tmpdir(), /Ready to accept connections/);
}

/**
 * redis-benchmark `-t ping,set,get -c 50 -n <size>`, then with `-P 16`, against
 * mini-redis and against redis-server; requests/s per test. No Python peer.
 */
export const miniRedis: Workload = {
  name: 'mini-redis',
  unit: 'ops/s',
  unitLabel: 'requests/s',
  summary: 'redis-benchmark -t ping,set,get -c 50 (then -P 16) vs mini-redis and redis-server',
  defaultSize: 100_000,
  sizeLabel: 'requests per test',
  peers: [{ peer: 'coro' }, { peer: 'redis' }],
  targets: [{ kind: 'ratio', peer: 'redis', atLeast: 0.8 }], // issue 12
  coro: (size) => againstServer(startMiniRedis, size),
  redis: (size) => againstServer(startRedisServer, size),
};
