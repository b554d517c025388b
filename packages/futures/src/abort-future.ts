/*
 * abortFuture: the one rule for settling a future because an AbortSignal fired.
 *
 * A task's own signal (and every cancel scope's) aborts with a CancelledError as
 * its reason; any other signal aborts with whatever its owner chose. The rule:
 *   - the future is already done → nothing happens (first outcome wins);
 *   - the reason is a CancelledError → the future is cancelled with its message
 *     (`setException` refuses a CancelledError, and an awaiting task must see an
 *     ordinary cancellation, not a failure);
 *   - anything else → the future fails with the reason, as `fetch` would.
 *
 * Every package that ties an operation to `{ signal }` calls this, so the rule
 * is written once. Tested by test/abort-future.test.ts.
 */

import { CancelledError } from './errors.js';
import type { Future } from './future.js';

/**
 * Settles `future` as an aborted operation: cancelled when `reason` is a
 * `CancelledError` (with its message), failed with `reason` otherwise. Does
 * nothing if the future is already done. Returns whether it settled the future.
 *
 * @example
 * ```ts
 * import { abortFuture, Future } from '@coro/futures';
 * import { VirtualLoop } from '@coro/loop';
 *
 * const reply = new Future<string>({ loop: new VirtualLoop() });
 * const controller = new AbortController();
 * controller.signal.addEventListener('abort', () => abortFuture(reply, controller.signal.reason));
 * controller.abort(new Error('user gave up'));
 * console.log(reply.exception()); // Error: user gave up
 * ```
 */
export function abortFuture(future: Future<unknown>, reason: unknown): boolean {
  if (future.done()) return false;
  if (reason instanceof CancelledError) return future.cancel(reason.message);
  future.setException(reason);
  return true;
}
