import { fileURLToPath } from 'node:url';
import { run } from '@coro/futures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { QueueExecutor, serveQueue } from '../src/index.js';
import { jobsModule, newQueue, type RedisServer, startRedis } from './helpers.js';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.stop();
});

describe('serveQueue', () => {
  it('runs jobs as tasks on the current loop, concurrency at a time, until closed', async () => {
    const queue = newQueue('in-process');
    const results = await run(async () => {
      await using worker = await serveQueue({
        queue,
        connection: redis.url,
        module: jobsModule,
        concurrency: 4,
      });
      await using executor = new QueueExecutor({ queue, connection: redis.url });
      const answers = await Promise.all([
        executor.submit('whoAmI'),
        executor.submit('nap', 20, 'napped'),
      ]);
      return { answers, concurrency: worker.concurrency, completed: worker.counts.completed };
    });
    expect(results).toEqual({ answers: [process.pid, 'napped'], concurrency: 4, completed: 2 });
  });

  it('runs jobs in a local process pool with processes', async () => {
    const queue = newQueue('processes');
    const pid = await run(async () => {
      await using _worker = await serveQueue({
        queue,
        connection: redis.url,
        module: jobsModule,
        processes: 1,
      });
      await using executor = new QueueExecutor({ queue, connection: redis.url });
      return executor.submit<number>('whoAmI');
    });
    expect(pid).not.toBe(process.pid);
  });

  it("gives a job its task's signal through @coro/workers' currentSignal() too", async () => {
    const queue = newQueue('workers-signal');
    const module = fileURLToPath(new URL('./fixtures/workers-signal.mjs', import.meta.url));
    const state = await run(async () => {
      await using _worker = await serveQueue({ queue, connection: redis.url, module });
      await using executor = new QueueExecutor({ queue, connection: redis.url });
      return executor.submit('signalState');
    });
    expect(state).toEqual({ isSignal: true, aborted: false });
  });

  it('closes when its signal aborts', async () => {
    const queue = newQueue('signal');
    const controller = new AbortController();
    await run(async () => {
      const worker = await serveQueue({
        queue,
        connection: redis.url,
        module: jobsModule,
        signal: controller.signal,
      });
      controller.abort();
      await worker.close(); // the close the signal started
    });
  });

  it('refuses bad options', async () => {
    await expect(
      run(() => serveQueue({ queue: 'a:b', connection: redis.url, module: jobsModule })),
    ).rejects.toThrow("options.queue must be a non-empty string without ':'");
    await expect(
      run(() => serveQueue({ queue: 'q', connection: 'http://x', module: jobsModule })),
    ).rejects.toThrow('options.connection must be a redis:// or rediss:// URL');
    await expect(
      run(() =>
        serveQueue({ queue: 'q', connection: redis.url, module: jobsModule, concurrency: 0 }),
      ),
    ).rejects.toThrow(RangeError);
  });
});

describe('coro-worker', () => {
  it('prints its usage and exits 2 without --redis, --queue and --module', async () => {
    const errors: string[] = [];
    const code = await main(['--queue', 'q'], {
      out: () => {},
      error: (line) => errors.push(line),
    });
    expect(code).toBe(2);
    expect(errors.join('\n')).toMatch(
      /--redis, --queue and --module are required\nusage: coro-worker/,
    );
  });

  it('refuses a bad number', async () => {
    const errors: string[] = [];
    const code = await main(
      ['--redis', redis.url, '--queue', 'q', '--module', jobsModule, '--concurrency', 'many'],
      { out: () => {}, error: (line) => errors.push(line) },
    );
    expect(code).toBe(2);
    expect(errors[0]).toMatch(/^coro-worker: --concurrency must be an integer >= 1; got many/);
  });
});
