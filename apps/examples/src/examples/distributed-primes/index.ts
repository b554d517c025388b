/*
 * distributed-primes: the primes example spread over `coro-worker` processes through
 * Redis, with @coro/distributed.
 *
 * The example starts what a deployment runs on many machines: a redis-server, then two
 * `coro-worker` processes that load ./jobs.ts and serve the queue `primes`. The client
 * code is the Executor code of the primes example: `executor.map(job, segments)` yields
 * the counts in the order of the segments, with a bounded number of jobs in flight. Only
 * the executor changed: a QueueExecutor instead of a ProcessPoolExecutor, and the job is
 * named by its export instead of being sent as a function.
 *
 * Needs `redis-server` on the PATH (Debian: apt-get install redis-server).
 *
 * It starts Redis itself, with coro's createSubprocessExec, rather than with the helper
 * coro's own tests and benchmarks share (@coro/test-support, private): it is code to
 * copy, so it uses only what a user installs.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { QueueExecutor } from '@coro/distributed';
import { createSubprocessExec, type Process } from 'coro';
import { type Output, readOptions, seconds, startClock } from '../../example.js';

export const name = 'distributed-primes';
export const title = 'The prime sieve over coro-worker processes, through Redis: QueueExecutor';
export const usage = '[--below <n>] [--segments <n>] [--workers <n>]  (default 2000000, 10, 2)';

const jobsModule = fileURLToPath(new URL('./jobs.ts', import.meta.url));

/** The `coro-worker` command of the installed @coro/distributed (its sources under tsx). */
function workerEntry(): string {
  const entry = import.meta.resolve('@coro/distributed');
  return fileURLToPath(
    new URL(entry.endsWith('.ts') ? './coro-worker.ts' : './coro-worker.js', entry),
  );
}

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

/** Reads `child`'s stdout until a line matching `pattern`; returns that line. */
async function lineMatching(child: Process, pattern: RegExp): Promise<string> {
  for (;;) {
    const line = (await child.stdout!.readLine()).toString();
    if (line === '') throw new Error(`the process ended before printing ${pattern}`);
    if (pattern.test(line)) return line.trimEnd();
  }
}

/** Cuts [0, below) into `count` segments of about equal length. */
export function segmentsOf(below: number, count: number): [number, number][] {
  const size = Math.ceil(below / count);
  const segments: [number, number][] = [];
  for (let low = 0; low < below; low += size) segments.push([low, Math.min(below, low + size)]);
  return segments;
}

export async function main(out: Output = console.log, args: readonly string[] = []): Promise<void> {
  const options = readOptions(args, { below: '2000000', segments: '10', workers: '2' });
  const below = Number(options.below);
  const workerCount = Number(options.workers);
  const port = await freePort();
  const redisUrl = `redis://127.0.0.1:${port}`;
  const started: Process[] = [];
  try {
    // 1. Redis: one per deployment, shared by every client and worker.
    const redis = await createSubprocessExec(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdout: 'pipe' },
    );
    started.push(redis);
    await lineMatching(redis, /Ready to accept connections/);
    out(`redis-server is ready on port ${port}`);

    // 2. The workers: `coro-worker --redis … --queue primes --module ./jobs.ts`, one per
    //    machine in a real deployment; here, child processes of this one.
    const workers = await Promise.all(
      Array.from({ length: workerCount }, async () => {
        const worker = await createSubprocessExec(
          process.execPath,
          [
            ...process.execArgv,
            workerEntry(),
            '--redis',
            redisUrl,
            '--queue',
            'primes',
            '--module',
            jobsModule,
          ],
          { stdout: 'pipe' },
        );
        started.push(worker);
        await lineMatching(worker, /^coro-worker ready/);
        return worker;
      }),
    );
    out(`${workers.length} coro-worker processes are serving the queue 'primes'`);

    // 3. The client: the Executor code of the primes example, unchanged but for the executor.
    const elapsed = startClock();
    const segments = segmentsOf(below, Number(options.segments));
    let total = 0;
    const byWorker = new Map<number, number>();
    await using executor = new QueueExecutor({ queue: 'primes', connection: redisUrl });
    type Counted = { count: number; pid: number };
    for await (const { count, pid } of executor.map<[number, number], Counted>(
      'countPrimes',
      segments,
    )) {
      total += count;
      byWorker.set(pid, (byWorker.get(pid) ?? 0) + 1);
    }
    out(`${total} primes below ${below}, in ${segments.length} jobs`);
    out(`jobs per worker: ${[...byWorker.values()].sort((a, b) => b - a).join(' + ')}`);
    out(`done in ${seconds(elapsed())}`);
  } finally {
    for (const child of started.reverse()) {
      if (child.returncode === null) child.terminate();
      await child.wait();
    }
  }
}
