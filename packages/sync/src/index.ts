export type { Acquirable } from './acquirable.js';
export { Barrier } from './barrier.js';
export { Condition } from './condition.js';
export { BrokenBarrierError } from './errors.js';
export { Event } from './event.js';
export { Held } from './held.js';
export { Lock } from './lock.js';
export { BoundedSemaphore, Semaphore } from './semaphore.js';
export type { SyncWaitOptions } from './waiter.js';
