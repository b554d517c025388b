/*
 * What only the thread pool does: transferables move without a copy, the thread name,
 * and revoking a batched job that has not started (no message, a shared slot).
 */
import { MessageChannel } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentSignal, type JobContext, ThreadPoolExecutor } from '../src/index.js';

describe('ThreadPoolExecutor', () => {
  let pool: ThreadPoolExecutor;
  beforeAll(() => {
    pool = new ThreadPoolExecutor({ maxWorkers: 2, name: 'resizer' });
  });
  afterAll(async () => {
    await pool.shutdown();
  });

  it('moves an ArrayBuffer in the transfer list without copying it: the sender’s is detached', async () => {
    const bytes = new Uint8Array(1024).fill(3);

    const sum = pool.submitWith(
      { transfer: [bytes.buffer] },
      (received: Uint8Array) => received.reduce((total, byte) => total + byte, 0),
      bytes,
    );

    expect(await sum).toBe(3 * 1024);
    expect(bytes.buffer.byteLength).toBe(0); // moved when the job went to its worker
    expect(bytes.byteLength).toBe(0);
  });

  it('copies an ArrayBuffer that is not in the transfer list', async () => {
    const bytes = new Uint8Array(16).fill(1);

    expect(await pool.submit((received: Uint8Array) => received.length, bytes)).toBe(16);
    expect(bytes.byteLength).toBe(16);
  });

  it('moves a MessagePort, through which the job talks back', async () => {
    const { port1, port2 } = new MessageChannel();
    const heard = new Promise((resolve) => port1.once('message', resolve));

    await pool.submitWith(
      { transfer: [port2] },
      (port: import('node:worker_threads').MessagePort) => {
        port.postMessage('hello from the worker');
        port.close();
      },
      port2,
    );

    expect(await heard).toBe('hello from the worker');
    port1.close();
  });

  it('names its threads after the name option', async () => {
    const name = await pool.submit(() => require('node:worker_threads').threadName ?? 'unnamed');

    expect(name === 'unnamed' || /^resizer-\d+$/.test(name)).toBe(true);
  });

  it('revokes a job waiting in a worker’s batch when it is cancelled, before it starts', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const single = new ThreadPoolExecutor({ maxWorkers: 1 });
    await single.submit(() => 0);
    const bump = (counter: Int32Array, index: number, spinMs = 0) => {
      const start = Date.now();
      while (Date.now() - start < spinMs) Atomics.load(counter, 0);
      return Atomics.add(counter, index, 1);
    };
    // Warm the task's measured job time down so the next jobs travel as one batch.
    await Promise.all(Array.from({ length: 200 }, () => single.submit(bump, shared, 1)));

    const blocker = single.submit(bump, shared, 1, 150);
    const victims = Array.from({ length: 10 }, () => single.submit(bump, shared, 0));
    await new Promise((resolve) => setTimeout(resolve, 20)); // handed to the worker by now
    for (const victim of victims) victim.cancel();
    await blocker;
    await single.submit(() => 0);
    await single.shutdown();

    expect(Atomics.load(shared, 0)).toBe(0);
    expect(victims.every((victim) => victim.cancelled())).toBe(true);
  });

  it('gives module jobs the signal through currentSignal(), the one `this.signal` is', async () => {
    const same = await pool.submit(function (this: JobContext) {
      const job = (globalThis as Record<symbol, { signal: AbortSignal }>)[
        Symbol.for('@coro/workers.currentJob')
      ];
      return job?.signal === this.signal && this.signal.aborted === false;
    });

    expect(same).toBe(true);
  });

  it('refuses currentSignal() outside a job', () => {
    expect(() => currentSignal()).toThrow('currentSignal() must be called while a pool job runs');
  });
});
