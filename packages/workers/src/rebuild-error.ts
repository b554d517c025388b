/*
 * rebuild-error: an error that crossed to this process as plain data (a worker's, a
 * queue job's) made an Error again, of the class its name says where that class is
 * known here, so `instanceof TypeError` holds on the caller's side.
 *
 * Invariant: the rebuilt error's `name`, `message` and `stack` are the ones given (not
 * the local class's or this process's frames); `cause` is set only when given.
 *
 * Tested through the pools (test/executor.test.ts "errors") and @coro/distributed
 * (test/wire.test.ts).
 */

/** An error as data: what crosses a thread, process or machine boundary. */
export interface ErrorData {
  /** The class name (`error.name`) on the side that threw it. */
  name: string;
  message: string;
  /** Its stack there (first line `<name>: <message>`), if known. */
  stack?: string | undefined;
  /** Its cause, already rebuilt (set only when the error had one). */
  cause?: unknown;
  /** An AggregateError's errors, already rebuilt: the error is then an AggregateError. */
  errors?: unknown[] | undefined;
}

/** A class `rebuildError` makes by name. */
export type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

const builtins: Readonly<Record<string, ErrorClass>> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

/**
 * Makes an Error from its data: of the built-in class its `name` says (TypeError,
 * RangeError…, or one of `classes`), else an Error whose `name` is the original class
 * name; with the given message, stack (not this process's frames) and cause. This is
 * how the pools and `QueueExecutor` hand a worker's error to the caller.
 *
 * @param classes more classes to rebuild by name (`{ TimeoutError }`), looked up first.
 * @example
 * ```ts
 * import { rebuildError } from '@coro/workers';
 *
 * const error = rebuildError({
 *   name: 'RangeError',
 *   message: 'size must be positive',
 *   stack: 'RangeError: size must be positive\n    at resize (jobs.js:3:11)',
 * });
 * console.log(error instanceof RangeError, error.stack?.includes('jobs.js')); // true true
 * console.log(rebuildError({ name: 'ImageError', message: 'bad header' }).name); // ImageError
 * ```
 */
export function rebuildError(
  data: ErrorData,
  classes?: Readonly<Record<string, ErrorClass>>,
): Error {
  const options = 'cause' in data ? { cause: data.cause } : undefined;
  let error: Error;
  if (data.errors !== undefined) {
    error = new AggregateError(data.errors, data.message, options);
  } else {
    const Constructor = classes?.[data.name] ?? builtins[data.name] ?? Error;
    error = new Constructor(data.message, options);
  }
  if (error.name !== data.name) {
    Object.defineProperty(error, 'name', {
      value: data.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (data.stack !== undefined) {
    Object.defineProperty(error, 'stack', {
      value: data.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return error;
}
