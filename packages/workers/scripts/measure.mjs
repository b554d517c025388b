// Informal local measurement (not the bench): node scripts/measure.mjs [threads|processes] [jobs]
import { ProcessPoolExecutor, ThreadPoolExecutor } from '../dist/index.js';

const kind = process.argv[2] ?? 'threads';
const jobs = Number(process.argv[3] ?? 20_000);
const Pool = kind === 'threads' ? ThreadPoolExecutor : ProcessPoolExecutor;
const pool = new Pool({ maxWorkers: 2 });
const task = (x) => x + 1;
await Promise.all([pool.submit(task, 0), pool.submit(task, 0)]); // start both workers
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  const futures = new Array(jobs);
  for (let i = 0; i < jobs; i++) futures[i] = pool.submit(task, i);
  await Promise.all(futures);
  const ms = performance.now() - started;
  console.log(
    `${kind}: ${Math.round((jobs / ms) * 1000)} jobs/s (${((ms * 1000) / jobs).toFixed(1)} µs/job)`,
  );
}
await pool.shutdown();
