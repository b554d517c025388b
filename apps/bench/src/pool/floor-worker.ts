/*
 * The raw-Node floor's worker, for a worker thread or a forked child process: a
 * message `[id, job, argument]` runs `job` and posts back `[id, result]`. No queue, no
 * cancellation, no error handling: the least a pool that sends one message per job pays.
 */
import { parentPort } from 'node:worker_threads';
import { addOne, burn } from './jobs.js';

type Request = [id: number, job: 'addOne' | 'burn', argument: number];

const jobs = { addOne, burn };

if (parentPort !== null) {
  const port = parentPort;
  port.on('message', ([id, job, argument]: Request) => {
    port.postMessage([id, jobs[job](argument)]);
  });
} else if (process.send !== undefined) {
  process.on('message', ([id, job, argument]: Request) => {
    process.send!([id, jobs[job](argument)]);
  });
}
