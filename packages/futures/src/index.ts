export { abortFuture } from './abort-future.js';
export { type AsCompletedOptions, asCompleted } from './as-completed.js';
export { type CallGraph, captureCallGraph, formatCallGraph } from './call-graph.js';
export { type AwaitableLike, ensureFuture } from './ensure-future.js';
export { CancelledError, ExceptionGroup, InvalidStateError, TimeoutError } from './errors.js';
export { Future, type FutureOptions } from './future.js';
export { GatheringFuture, type GatherOptions, gather, type ResultOf } from './gather.js';
export { type InterruptSignal, KeyboardInterrupt } from './interrupt.js';
export {
  enableIntrospection,
  INTROSPECTION_VERSION,
  type Introspection,
  type IntrospectionOptions,
  type IntrospectionSnapshot,
  introspectionSocketPath,
  snapshotTasks,
  type TaskSnapshot,
} from './introspection.js';
export { addLoopShutdownCallback } from './loop-shutdown.js';
export { type Main, Runner, type RunOptions, run } from './runner.js';
export { shield } from './shield.js';
export { sleep } from './sleep.js';
export { allTasks, createTask, Task, type TaskOptions } from './task.js';
export { currentTask } from './task-context.js';
export { TaskGroup, taskGroup } from './task-group.js';
export { TimeoutScope, timeout, timeoutAt } from './timeout.js';
export {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  type ReturnWhen,
  type WaitOptions,
  type WaitResult,
  wait,
} from './wait.js';
export { waitFor } from './wait-for.js';
export { readSignal, type SignalOptions, Waiter, WaiterList, type WaitSource } from './waiter.js';
