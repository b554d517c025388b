import type { Workload } from '../workload.js';
import { callbacks } from './callbacks.js';
import { cancel } from './cancel.js';
import { distributed, distributedLatency } from './distributed.js';
import { echoRtt, echoThroughput } from './echo.js';
import { lock } from './lock.js';
import { miniRedis } from './mini-redis.js';
import { poolCpu, poolTiny } from './pool.js';
import { queue1x1, queue10x10, queueMemory } from './queue.js';
import { taskMemory } from './task-memory.js';
import { tasks } from './tasks.js';
import { timers } from './timers.js';

/** Every workload, in the order `pnpm bench` runs them. Add a new one here. */
export const workloads: readonly Workload[] = [
  callbacks,
  timers,
  tasks,
  taskMemory,
  cancel,
  queue1x1,
  queue10x10,
  queueMemory,
  lock,
  echoThroughput,
  echoRtt,
  miniRedis,
  poolTiny,
  poolCpu,
  distributed,
  distributedLatency,
];

/** The workload called `name`, or `undefined`. */
export function findWorkload(name: string): Workload | undefined {
  return workloads.find((workload) => workload.name === name);
}
