import { type AwaitableLike, ensureFuture } from './ensure-future.js';
import { Future } from './future.js';
import { REJECTED } from './future-state.js';

/**
 * Protects `awaitable` from cancellation: cancelling the returned Future (or the
 * task awaiting it) does not cancel the inner work, which runs on; its
 * exception, if nobody retrieves it, is still reported.
 *
 * @example
 * ```ts
 * import { createTask, run, shield, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const save = createTask(() => sleep(50, 'saved'));
 *   const guarded = shield(save);
 *   guarded.cancel();
 *   console.log(await save); // saved: the inner task was not cancelled
 * });
 * ```
 */
export function shield<T>(awaitable: AwaitableLike<T>): Future<T> {
  const inner = ensureFuture(awaitable);
  if (inner.done()) return inner;
  const outer = new Future<T>({ loop: inner.getLoop() });
  const onInnerDone = (): void => {
    if (outer.done()) return; // outer cancelled: inner's outcome stays for whoever holds it
    if (inner.cancelled()) outer.cancelNow(inner.settled as string);
    else if (inner.state === REJECTED) outer.rejectNow(inner.exception());
    else outer.resolveNow(inner.settled as T);
  };
  const onOuterDone = (): void => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  };
  inner.addDoneCallback(onInnerDone);
  outer.addDoneCallback(onOuterDone);
  return outer;
}
