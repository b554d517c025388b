export { BaseLoop } from './base-loop.js';
export { BrowserLoop } from './browser-loop.js';
export { Deque } from './deque.js';
export {
  describeValue,
  requireDelayMs,
  requireFunction,
  requireInteger,
  requireTimeMs,
} from './describe-value.js';
export {
  DeadlockError,
  LoopClosedError,
  RuntimeConflictError,
  type RuntimeCopyDescription,
} from './errors.js';
export { getEventLoop, getRunningLoop, newEventLoop, setEventLoop } from './event-loop.js';
export { Handle, TimerHandle } from './handle.js';
export type { ExceptionContext, ExceptionHandler, Loop, Runnable } from './loop.js';
export type { LoopRuntime, ReadyHandle } from './loop-runtime.js';
export { NodeLoop } from './node-loop.js';
export { RUNTIME_VERSION, recognizeAcrossCopies } from './recognize-across-copies.js';
export { installRuntimeHooks, type RuntimeHooks } from './runtime-hooks.js';
export { type RuntimeCopy, runtimeCopies, sharedState } from './shared-runtime.js';
export { VirtualLoop, type VirtualLoopOptions } from './virtual-loop.js';
