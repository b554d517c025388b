/*
 * loop-resources: the sockets and servers a loop still has open when `run()` ends
 * (internal).
 *
 * Why: asyncio.run() returns and the Python process exits, whatever sockets were left
 * open. On Node an open socket or listening server keeps the process alive, so a
 * forgotten `writer.close()` would hang the program after `run()` returned; and its
 * events would reach a loop that is closed. So every transport and server registers
 * here while open, and when a Runner closes the loop (`addLoopShutdownCallback`) what
 * is left is abandoned: aborted, reported in debug mode as asyncio's "unclosed
 * transport" ResourceWarning is.
 *
 * Invariants
 *   1. A resource is registered from its creation until it is closed or lost; the set
 *      per loop holds only open ones (O(open resources)).
 *   2. The shutdown callback is registered once per loop per Runner: it forgets the
 *      loop's set before abandoning, so a loop run again starts afresh.
 *
 * Tested by test/loop-resources.test.ts.
 */

import { addLoopShutdownCallback } from '@coro/futures';
import type { Loop } from '@coro/loop';

/** @internal Something a loop's end must not leave open. */
export interface LoopResource {
  /** Closes at once, without waiting for anything. */
  abandon(): void;
  /** What it is, for the debug-mode report. */
  describeResource(): string;
}

const openByLoop = new WeakMap<Loop, Set<LoopResource>>();

/** @internal Registers `resource` as open on `loop` (invariant 1). */
export function trackResource(loop: Loop, resource: LoopResource): void {
  let open = openByLoop.get(loop);
  if (open === undefined) {
    open = new Set();
    openByLoop.set(loop, open);
    addLoopShutdownCallback(loop, () => abandonAll(loop));
  }
  open.add(resource);
}

/** @internal `resource` is closed: forget it. */
export function untrackResource(loop: Loop, resource: LoopResource): void {
  openByLoop.get(loop)?.delete(resource);
}

function abandonAll(loop: Loop): void {
  const open = openByLoop.get(loop);
  openByLoop.delete(loop); // invariant 2
  if (open === undefined) return;
  for (const resource of open) {
    if (loop.getDebug()) {
      loop.callExceptionHandler({
        message: `unclosed ${resource.describeResource()} aborted when the loop shut down`,
      });
    }
    resource.abandon();
  }
}
