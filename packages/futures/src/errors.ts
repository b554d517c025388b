import { recognizeAcrossCopies } from '@coro/loop';

/**
 * Thrown into a task at the `await` it is suspended on when the task is
 * cancelled, and by `result()` of a cancelled future. `message` is the text
 * given to `cancel(msg)` ('' without one), inside the task and for whoever
 * awaits it.
 *
 * @example
 * ```ts
 * import { CancelledError, createTask, run, sleep } from '@coro/futures';
 *
 * await run(async () => {
 *   const sleeper = createTask(() => sleep(60_000));
 *   await sleep(0);
 *   sleeper.cancel('shutting down');
 *   try {
 *     await sleeper;
 *   } catch (error) {
 *     console.log(error instanceof CancelledError, (error as Error).message); // true shutting down
 *   }
 * });
 * ```
 */
export class CancelledError extends Error {
  static {
    this.prototype.name = 'CancelledError';
    recognizeAcrossCopies(this, 'CancelledError');
  }
}

/**
 * @internal The CancelledError the loop throws in at an await (or puts in a gathered
 * result), made without a stack trace: made in a loop tick, its stack would hold
 * only the loop's own frames, and capturing them is most of what cancelling many
 * tasks costs (10,000 cancelled tasks: about twice as fast without). A
 * CancelledError made by user-facing calls (`result()` of a cancelled future) keeps
 * its stack.
 */
export function deliveredCancelledError(message: string): CancelledError {
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 0;
  } catch {
    return new CancelledError(message); // frozen intrinsics: a stack it is
  }
  try {
    return new CancelledError(message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Thrown by `timeout`, `timeoutAt`, `waitFor` and `asCompleted` when the deadline passes.
 *
 * @example
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from '@coro/futures';
 *
 * await run(async () => {
 *   try {
 *     await timeout(10, () => sleep(1_000));
 *   } catch (error) {
 *     console.log(error instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export class TimeoutError extends Error {
  static {
    this.prototype.name = 'TimeoutError';
    recognizeAcrossCopies(this, 'TimeoutError');
  }
  constructor(message = 'the operation timed out', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown for an operation a future's state does not allow: `setResult` on a done
 * future, `result()` of a pending one.
 *
 * @example
 * ```ts
 * import { Future, InvalidStateError } from '@coro/futures';
 *
 * const future = new Future<number>();
 * try {
 *   future.result();
 * } catch (error) {
 *   console.log(error instanceof InvalidStateError); // true: no result yet
 * }
 * ```
 */
export class InvalidStateError extends Error {
  static {
    this.prototype.name = 'InvalidStateError';
    recognizeAcrossCopies(this, 'InvalidStateError');
  }
}

/**
 * Several errors raised together, as Python's `ExceptionGroup`: a task group
 * whose children failed throws one. `errors` (and its alias `exceptions`) lists
 * them in the order they happened.
 *
 * @example
 * ```ts
 * import { ExceptionGroup } from '@coro/futures';
 *
 * const group = new ExceptionGroup('two failures', [new RangeError('a'), new TypeError('b')]);
 * console.log(group.exceptions.length, group instanceof AggregateError); // 2 true
 * console.log(group.subgroup((error) => error instanceof TypeError)?.errors.length); // 1
 * ```
 */
export class ExceptionGroup extends AggregateError {
  static {
    this.prototype.name = 'ExceptionGroup';
    recognizeAcrossCopies(this, 'ExceptionGroup');
  }
  declare readonly errors: unknown[];

  constructor(message: string, errors: Iterable<unknown>, options?: { cause?: unknown }) {
    const list = [...errors];
    if (list.length === 0) throw new TypeError('errors must hold at least one error; got none');
    super(list, message, options);
  }

  /** The same errors as `errors` (Python's name). */
  get exceptions(): unknown[] {
    return this.errors;
  }

  /**
   * A group of the errors (searched in nested groups too) that match `predicate`,
   * or `undefined` if none does.
   */
  subgroup(predicate: (error: unknown) => boolean): ExceptionGroup | undefined {
    return this.split(predicate)[0];
  }

  /** `[matching, rest]`: two groups (or `undefined`), nested groups split likewise. */
  split(
    predicate: (error: unknown) => boolean,
  ): [ExceptionGroup | undefined, ExceptionGroup | undefined] {
    if (predicate(this)) return [this, undefined];
    const matching: unknown[] = [];
    const rest: unknown[] = [];
    for (const error of this.errors) {
      if (error instanceof ExceptionGroup) {
        const [match, other] = error.split(predicate);
        if (match !== undefined) matching.push(match);
        if (other !== undefined) rest.push(other);
      } else if (predicate(error)) matching.push(error);
      else rest.push(error);
    }
    const derive = (errors: unknown[]) =>
      errors.length === 0
        ? undefined
        : new ExceptionGroup(this.message, errors, { cause: this.cause });
    return [derive(matching), derive(rest)];
  }
}
