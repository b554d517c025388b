/*
 * The raw-BullMQ floor's worker process: a plain BullMQ Worker (no coro) running the
 * same job, with the same concurrency as a coro-worker and the same retention of finished
 * jobs (completed kept an hour, failed a day: what a coro worker does so that a client can
 * re-attach), so both sides do the same work in Redis per job. Prints one ready line.
 *
 *   node dist/distributed/bullmq-worker.js <redis url> <queue> <concurrency>
 */
import { Worker } from 'bullmq';
import { double } from './jobs.js';

const [url, queue, concurrency] = process.argv.slice(2);
const worker = new Worker(queue as string, async (job) => double(job.data.args[0]), {
  connection: { url },
  concurrency: Number(concurrency),
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 24 * 3600 },
});
worker.on('error', () => {});
await worker.waitUntilReady();
process.stdout.write('bullmq-worker ready\n');
process.once('SIGTERM', () => {
  void worker.close().then(() => process.exit(0));
});
