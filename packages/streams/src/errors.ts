/*
 * errors: what the stream readers and writers throw besides the transport's own
 * errors (asyncio's IncompleteReadError and LimitOverrunError, plus the two
 * RuntimeErrors of asyncio's streams given names of their own).
 */

import { recognizeAcrossCopies } from '@coro/loop';
import { ConnectionResetError } from '@coro/transports';

/**
 * The stream ended before a read got what it asked for: `readExactly(n)` before `n`
 * bytes, `readUntil()` before a separator (asyncio's `IncompleteReadError`).
 * `partial` holds the bytes that did arrive; they are no longer in the reader.
 *
 * @example
 * ```ts
 * import { IncompleteReadError, StreamReader } from '@coro/streams';
 *
 * const reader = new StreamReader();
 * reader.feedData(Buffer.from('abc'));
 * reader.feedEof();
 * try {
 *   await reader.readExactly(5);
 * } catch (error) {
 *   if (error instanceof IncompleteReadError) console.log(error.partial.toString(), error.expected); // abc 5
 * }
 * ```
 */
export class IncompleteReadError extends Error {
  static {
    this.prototype.name = 'IncompleteReadError'; // on the prototype, as built-ins do
    recognizeAcrossCopies(this, 'IncompleteReadError');
  }
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were expected in all, or `null` when unknown (`readUntil`). */
  readonly expected: number | null;
  constructor(partial: Uint8Array, expected: number | null) {
    super(`stream ended after ${partial.length} bytes; expected ${expected ?? 'more'}`);
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * A read looking for a separator went past the reader's `limit` (asyncio's
 * `LimitOverrunError`). From `readUntil()` the data stays in the reader, so the
 * stream remains usable: `consumed` bytes can be read (or skipped) with
 * `readExactly(consumed)`. From `readLine()` the over-long line has already been
 * dropped, as asyncio's `readline()` does.
 *
 * @example
 * ```ts
 * import { LimitOverrunError, StreamReader } from '@coro/streams';
 *
 * const reader = new StreamReader({ limit: 4 });
 * reader.feedData(Buffer.from('far too long\nnext\n'));
 * try {
 *   await reader.readUntil('\n');
 * } catch (error) {
 *   if (error instanceof LimitOverrunError) console.log(error.consumed); // 12
 * }
 * ```
 */
export class LimitOverrunError extends Error {
  static {
    this.prototype.name = 'LimitOverrunError';
    recognizeAcrossCopies(this, 'LimitOverrunError');
  }
  /** How many bytes the read would have had to consume (not counting the separator). */
  readonly consumed: number;
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}

/**
 * A second task tried to wait on a `StreamReader` that another task is already
 * waiting on (asyncio raises a `RuntimeError`): a reader has one consumer at a time,
 * since nobody could say which waiter the next bytes belong to.
 *
 * @example
 * ```ts
 * import { ConcurrentReadError, StreamReader } from '@coro/streams';
 *
 * const reader = new StreamReader();
 * const first = reader.readLine();
 * await reader.readLine().catch((error) => console.log(error instanceof ConcurrentReadError)); // true
 * reader.feedEof();
 * await first;
 * ```
 */
export class ConcurrentReadError extends Error {
  static {
    this.prototype.name = 'ConcurrentReadError';
    recognizeAcrossCopies(this, 'ConcurrentReadError');
  }
}

/**
 * The connection was lost while a writer waited to write (asyncio raises
 * `ConnectionResetError('Connection lost')`): a `ConnectionResetError` of
 * `@coro/transports`, `code` `'ECONNRESET'`, so code that checks socket errors by
 * class or by code treats it alike.
 *
 * @example
 * ```ts
 * import { ConnectionLostError } from '@coro/streams';
 * import { ConnectionResetError } from '@coro/transports';
 *
 * const error = new ConnectionLostError();
 * console.log(error.name, error.code, error instanceof ConnectionResetError); // ConnectionLostError ECONNRESET true
 * ```
 */
export class ConnectionLostError extends ConnectionResetError {
  static {
    this.prototype.name = 'ConnectionLostError';
    recognizeAcrossCopies(this, 'ConnectionLostError');
  }
  constructor(message = 'the connection was lost') {
    super(message);
  }
}
