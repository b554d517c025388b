/*
 * What both distributed peers need per sample: a redis-server of their own on a free
 * port (no persistence), and N worker processes, started and waited for (start-up is
 * not what is measured), stopped afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { benchDirectory } from '../peers.js';

export const WORKER_CONCURRENCY = 50;
export const jobsModule = `${benchDirectory}dist/distributed/jobs.js`;
export const bullmqWorker = `${benchDirectory}dist/distributed/bullmq-worker.js`;
export const coroWorker = fileURLToPath(
  new URL('./coro-worker.js', import.meta.resolve('@coro/distributed')),
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function ready(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (text: string) => {
      seen += text;
      if (!pattern.test(seen)) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume(); // keep draining what it prints later
      resolve();
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready`)));
  });
}

export interface Cluster {
  url: string;
  stop(): Promise<void>;
}

/** Starts redis-server and `workers` processes from `command(url)`. */
export async function startCluster(
  workers: number,
  command: (url: string) => string[],
  readyLine: RegExp,
): Promise<Cluster> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await ready(redis, /Ready to accept connections/, 'redis-server');
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, command(url), { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await Promise.all(children.map((child) => ready(child, readyLine, 'a worker')));
  return {
    url,
    async stop() {
      for (const child of [...children, redis]) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export function workersOf(variant: string | undefined): number {
  const count = Number.parseInt(variant ?? '', 10);
  if (![1, 2, 4].includes(count)) {
    throw new RangeError(`variant must be 1, 2 or 4 workers; got ${variant}`);
  }
  return count;
}

/** The percentile `p` (0–100) of `sorted` (ascending). */
export function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}
