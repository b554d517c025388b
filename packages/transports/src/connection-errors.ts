/*
 * connection-errors: the errors of a connection that broke under a transport,
 * Python's ConnectionError family (ConnectionResetError, BrokenPipeError,
 * ConnectionAbortedError), which asyncio hands to connection_lost() and its
 * streams raise from every later read and drain.
 *
 * Invariants
 *   1. A socket error Node reports with code ECONNRESET, EPIPE or ECONNABORTED
 *      reaches the protocol as the class of that code, whichever direction met it
 *      first: a write that hits a reset (EPIPE) and a read that does (ECONNRESET)
 *      both fail every later read and drain with one ConnectionError, never
 *      Node's plain `Error: write EPIPE` seen from the read side (issue 11, case 6).
 *   2. Nothing is lost: `code`, `errno` and `syscall` are Node's, and `cause` is
 *      Node's error itself. Any other error passes through unchanged.
 *
 * Tested by test/faults.test.ts (and the streams' test/connection.test.ts).
 */

import { recognizeAcrossCopies } from '@coro/loop';

/** What a connection error keeps of Node's error. */
interface NodeErrorFields {
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
}

/**
 * The connection broke (Python's `ConnectionError`): the base of
 * {@link ConnectionResetError}, {@link BrokenPipeError} and
 * {@link ConnectionAbortedError}. `code` is Node's error code and `cause` Node's
 * error, so code that checks socket errors by code keeps working.
 *
 * @example
 * ```ts
 * import { ConnectionError, ConnectionResetError } from '@coro/transports';
 *
 * const lost = new ConnectionResetError('connection reset by peer (read ECONNRESET)');
 * console.log(lost instanceof ConnectionError, lost.name, lost.code); // true ConnectionResetError ECONNRESET
 * ```
 */
export class ConnectionError extends Error {
  static {
    this.prototype.name = 'ConnectionError';
    recognizeAcrossCopies(this, 'ConnectionError');
  }
  /** Node's error code: `'ECONNRESET'`, `'EPIPE'`, `'ECONNABORTED'`. */
  readonly code: string;
  /** Node's (negative) errno, when the error came from a system call. */
  readonly errno: number | undefined;
  /** The system call that failed (`'read'`, `'write'`), when known. */
  readonly syscall: string | undefined;

  constructor(message: string, code: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    const fields = (typeof cause === 'object' && cause !== null ? cause : {}) as NodeErrorFields;
    this.code = code;
    this.errno = typeof fields.errno === 'number' ? fields.errno : undefined;
    this.syscall = typeof fields.syscall === 'string' ? fields.syscall : undefined;
  }
}

/**
 * The peer reset the connection (`ECONNRESET`; Python's `ConnectionResetError`).
 *
 * @example
 * ```ts
 * import { ConnectionResetError } from '@coro/transports';
 *
 * const isReset = (error: unknown) => error instanceof ConnectionResetError;
 * console.log(isReset(new ConnectionResetError())); // true
 * ```
 */
export class ConnectionResetError extends ConnectionError {
  static {
    this.prototype.name = 'ConnectionResetError';
    recognizeAcrossCopies(this, 'ConnectionResetError');
  }
  constructor(message = 'connection reset by peer', cause?: unknown) {
    super(message, 'ECONNRESET', cause);
  }
}

/**
 * A write found the other end gone (`EPIPE`; Python's `BrokenPipeError`): on a
 * socket the peer closed or reset the connection, on a pipe the reader exited.
 *
 * @example
 * ```ts
 * import { BrokenPipeError, ConnectionError } from '@coro/transports';
 *
 * // In connectionLost: tell "the peer went away" apart from a failure worth a stack trace
 * function describeLoss(error?: Error): string {
 *   if (error === undefined) return 'closed cleanly';
 *   if (error instanceof BrokenPipeError) return 'the peer left while we were writing';
 *   return error instanceof ConnectionError ? `connection failed (${error.code})` : `bug: ${error.message}`;
 * }
 * console.log(describeLoss(new BrokenPipeError())); // the peer left while we were writing
 * ```
 */
export class BrokenPipeError extends ConnectionError {
  static {
    this.prototype.name = 'BrokenPipeError';
    recognizeAcrossCopies(this, 'BrokenPipeError');
  }
  constructor(message = 'connection closed by peer', cause?: unknown) {
    super(message, 'EPIPE', cause);
  }
}

/**
 * The connection was aborted by the local system (`ECONNABORTED`; Python's
 * `ConnectionAbortedError`).
 *
 * @example
 * ```ts
 * import { ConnectionAbortedError, type Protocol } from '@coro/transports';
 *
 * // An abort on this side (a cancelled task, say) needs no warning; any other loss does
 * const protocol: Protocol = {
 *   connectionLost(error) {
 *     if (error === undefined || error instanceof ConnectionAbortedError) return;
 *     console.warn(`connection lost: ${error.message}`);
 *   },
 * };
 * protocol.connectionLost?.(new ConnectionAbortedError()); // prints nothing
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {
  static {
    this.prototype.name = 'ConnectionAbortedError';
    recognizeAcrossCopies(this, 'ConnectionAbortedError');
  }
  constructor(message = 'connection aborted', cause?: unknown) {
    super(message, 'ECONNABORTED', cause);
  }
}

/**
 * @internal The error a transport hands to connectionLost for Node's `error`: the
 * ConnectionError of its code (invariant 1), or `error` itself.
 */
export function toConnectionError(error: Error): Error {
  if (error instanceof ConnectionError) return error;
  const code = (error as NodeErrorFields).code;
  const detail = ` (${error.message})`;
  switch (code) {
    case 'ECONNRESET':
      return new ConnectionResetError(`connection reset by peer${detail}`, error);
    case 'EPIPE':
      return new BrokenPipeError(`connection closed by peer${detail}`, error);
    case 'ECONNABORTED':
      return new ConnectionAbortedError(`connection aborted${detail}`, error);
    default:
      return error;
  }
}
