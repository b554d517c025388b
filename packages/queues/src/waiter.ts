/*
 * waiter: @coro/queues' view of the waiting logic that lives in @coro/futures
 * (Waiter, WaiterList; DESIGN §11).
 */

import type { SignalOptions } from '@coro/futures';

export { readSignal, Waiter, WaiterList, type WaitSource } from '@coro/futures';

/**
 * Options of every blocking call of `@coro/queues`.
 *
 * @example
 * ```ts
 * import { Queue, type QueueWaitOptions } from '@coro/queues';
 *
 * const options: QueueWaitOptions = { signal: AbortSignal.timeout(1_000) };
 * await new Queue<string>().get(options).catch((error) => console.log(error.name)); // TimeoutError
 * ```
 */
export type QueueWaitOptions = SignalOptions;
