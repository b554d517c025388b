/*
 * What both distributed peers need per sample: a redis-server of their own on a free
 * port (no persistence: @coro/test-support's startRedis), and N worker processes,
 * started and waited for (start-up is not what is measured), stopped afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startRedis } from '@coro/test-support/redis-server';
import { benchDirectory } from '../peers.js';

export const WORKER_CONCURRENCY = 50;
export const jobsModule = `${benchDirectory}dist/distributed/jobs.js`;
export const bullmqWorker = `${benchDirectory}dist/distributed/bullmq-worker.js`;
export const coroWorker = fileURLToPath(
  new URL('./coro-worker.js', import.meta.resolve('@coro/distributed')),
);

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
  const redis = await startRedis();
  const url = redis.url;
  const children = Array.from({ length: workers }, () =>
    spawn(process.execPath, command(url), { stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  await Promise.all(children.map((child) => ready(child, readyLine, 'a worker')));
  return {
    url,
    async stop() {
      for (const child of children) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
      await redis.stop();
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
