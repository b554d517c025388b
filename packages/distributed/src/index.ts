export type { RedisConnection } from './connection.js';
export { currentSignal } from './current-signal.js';
export { JobLostError, RedisConnectionError } from './errors.js';
export type { JsonValue } from './json-value.js';
export {
  QueueExecutor,
  type QueueExecutorOptions,
  type QueueSubmitOptions,
} from './queue-executor.js';
export {
  type CloseOptions,
  QueueWorker,
  type QueueWorkerEvent,
  type ServeQueueOptions,
  serveQueue,
} from './serve-queue.js';
