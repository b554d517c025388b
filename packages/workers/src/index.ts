export { BrokenExecutorError } from './broken-executor-error.js';
export {
  type CreateSubprocessOptions,
  createSubprocessExec,
  createSubprocessShell,
} from './create-subprocess.js';
export { currentSignal } from './current-signal.js';
export type {
  Executor,
  JobContext,
  JobFunction,
  MapOptions,
  ShutdownOptions,
  SubmitOptions,
} from './executor.js';
export { JobFuture } from './job-future.js';
export { mapInOrder } from './map-in-order.js';
export { moduleUrlOf } from './module-url.js';
export { PoolExecutor } from './pool-executor.js';
export type { PoolOptions } from './pool-options.js';
export { type CommunicateResult, Process } from './process.js';
export { ProcessPoolExecutor, type ProcessPoolOptions } from './process-pool-executor.js';
export { type ErrorClass, type ErrorData, rebuildError } from './rebuild-error.js';
export { getDefaultExecutor, runInExecutor, toThread } from './run-in-executor.js';
export { ThreadPoolExecutor, type ThreadPoolOptions } from './thread-pool-executor.js';
