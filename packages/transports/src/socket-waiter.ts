/*
 * socket-waiter: waits for a Node socket to be ready (connected, TLS handshake done)
 * on a coro Future, so that the awaiting task's cancel() and an AbortSignal reach
 * the wait (DESIGN §2), and so that no socket outlives a failed wait (internal).
 *
 * Invariants
 *   1. Exactly one outcome: the ready event, the socket's first error, its close
 *      without an error, the timeout, the signal, or the task's cancellation.
 *   2. Every outcome but the ready event destroys the socket before the wait throws:
 *      a cancelled or failed connect leaves nothing open.
 *   3. On success the 'error' listener stays until release(): the caller hands the
 *      socket to a transport (which listens itself) and only then releases it, so an
 *      error in between cannot become an uncaught 'error' event.
 *
 * Tested through test/create-connection.test.ts and test/tls.test.ts.
 */

import type { Duplex } from 'node:stream';
import { Future, TimeoutError } from '@coro/futures';
import type { Loop, TimerHandle } from '@coro/loop';
import { awaitUnlessAborted } from './pending-io.js';

/** @internal How to wait. */
export interface SocketWaitOptions {
  loop: Loop;
  signal: AbortSignal | undefined;
  /** Fail with TimeoutError(timeoutMessage) after this many ms. */
  timeoutMs?: number | undefined;
  timeoutMessage?: string | undefined;
  /** What the error says if the socket closes without one. */
  closedMessage: string;
}

/** @internal The ready socket, and the function that drops the waiter's listeners. */
export interface ReadySocket<S> {
  socket: S;
  release(): void;
}

/** @internal Waits for `readyEvent` on `socket` (module header). */
export async function waitForSocket<S extends Duplex>(
  socket: S,
  readyEvent: string,
  options: SocketWaitOptions,
): Promise<ReadySocket<S>> {
  const { loop, signal } = options;
  const future = new Future<S>({ loop });
  const onReady = () => {
    if (!future.done()) future.setResult(socket);
  };
  const onError = (error: Error) => {
    if (!future.done()) future.setException(error);
  };
  const onClose = () => {
    if (!future.done()) future.setException(new Error(options.closedMessage));
  };
  let timer: TimerHandle | undefined;
  if (options.timeoutMs !== undefined) {
    timer = loop.callLater(options.timeoutMs, () => {
      if (!future.done())
        future.setException(new TimeoutError(options.timeoutMessage ?? 'timed out'));
    });
  }
  socket.once(readyEvent, onReady);
  socket.on('error', onError);
  socket.once('close', onClose);
  const release = () => socket.removeListener('error', onError);
  try {
    await awaitUnlessAborted(future, signal);
    return { socket, release };
  } catch (error) {
    socket.destroy(); // invariant 2
    release();
    socket.on('error', ignore); // a late error of the destroyed socket must not crash
    throw error;
  } finally {
    timer?.cancel();
    socket.removeListener(readyEvent, onReady);
    socket.removeListener('close', onClose);
  }
}

function ignore(): void {}
