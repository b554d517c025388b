/*
 * waiter: @coro/sync's view of the waiting logic that lives in @coro/futures
 * (Waiter, WaiterList; DESIGN §11), plus two small helpers of its own.
 */

import type { SignalOptions } from '@coro/futures';

export { readSignal, Waiter, WaiterList, type WaitSource } from '@coro/futures';

/**
 * Options of every blocking call of `@coro/sync`.
 *
 * @example
 * ```ts
 * import { Lock, type SyncWaitOptions } from '@coro/sync';
 *
 * const options: SyncWaitOptions = { signal: AbortSignal.timeout(1_000) };
 * await new Lock().acquire(options);
 * ```
 */
export type SyncWaitOptions = SignalOptions;

/** @internal A resolved `Promise<true>`: the fast path allocates nothing. */
export const RESOLVED_TRUE: Promise<true> = Promise.resolve(true);

/** @internal `task 'writer'` or `code outside any task`, for descriptions. */
export function describeHolder(holder: { getName(): string } | undefined | null): string {
  return holder ? `task '${holder.getName()}'` : 'code outside any task';
}
