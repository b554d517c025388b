/*
 * error-transfer: a job's error crosses from the worker as plain data (the runtime's
 * encodeError) and is rebuilt here, so the caller sees the class name (`name`), the
 * message, the worker's stack, `cause` and the error's own cloneable fields (`code`…).
 * A built-in class (TypeError, RangeError…) is rebuilt as that class, so `instanceof`
 * works; any other class becomes an Error whose `name` is the original class name.
 */

const builtins: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

interface EncodedError {
  error: true;
  name: string;
  message: string;
  stack: string | undefined;
  props: Record<string, unknown>;
  hasCause: boolean;
  cause: unknown;
  errors?: unknown[];
}

interface EncodedValue {
  error: false;
  value: unknown;
}

/** @internal Rebuilds what a job threw from its encoded form. */
export function decodeError(encoded: unknown): unknown {
  const data = encoded as EncodedError | EncodedValue;
  if (data === null || typeof data !== 'object' || !('error' in data)) return encoded;
  if (!data.error) return data.value;
  const options = data.hasCause ? { cause: decodeError(data.cause) } : undefined;
  let error: Error;
  if (data.errors !== undefined) {
    error = new AggregateError(data.errors.map(decodeError), data.message, options);
  } else {
    const Constructor = builtins[data.name] ?? Error;
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
  Object.assign(error, data.props);
  return error;
}
