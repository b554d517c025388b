export { QueueEmpty, QueueFull, QueueShutDown } from './errors.js';
export { LifoQueue, PriorityQueue, type PriorityQueueOptions } from './priority-queue.js';
export { Queue, type QueueOptions } from './queue.js';
export type { QueueWaitOptions } from './waiter.js';
