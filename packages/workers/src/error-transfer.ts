/*
 * error-transfer: a job's error crosses from the worker as plain data: `encodeError` makes
 * it in the worker (the runtime is handed its source), `decodeError` rebuilds it in the
 * pool, so the caller sees the class name (`name`), the message, the worker's stack,
 * `cause` and the error's own cloneable fields (`code`…). A built-in class (TypeError,
 * RangeError…) is rebuilt as that class, so `instanceof` works; any other class becomes
 * an Error whose `name` is the original class name. A ReferenceError for a variable the
 * job function uses from outside itself says what to do instead.
 *
 * Invariant: `encodeError` is self-contained (only its parameters and globals): it runs
 * in the worker from its source text.
 *
 * Tested through the executors (test/executor.test.ts "errors").
 */

import { rebuildError } from './rebuild-error.js';

/** @internal An error, as it crosses from a worker. */
export interface EncodedError {
  error: true;
  name: string;
  message: string;
  stack: string | undefined;
  props: Record<string, unknown>;
  hasCause: boolean;
  cause: unknown;
  errors?: unknown[];
}

/** @internal Anything else a job threw. */
export interface EncodedValue {
  error: false;
  value: unknown;
}

/**
 * @internal What a job threw, as data `serialize` (v8's) can send: an EncodedError for an
 * error, an EncodedValue for anything else. `source`: the job function's source, to
 * explain a free variable; null for a module's export or an inner error. Self-contained.
 */
export function encodeError(
  error: unknown,
  serialize: (value: unknown) => unknown,
  source: string | null,
): EncodedError | EncodedValue {
  if (
    !(error instanceof Error) &&
    !(typeof error === 'object' && error !== null && 'message' in error && 'stack' in error)
  ) {
    try {
      serialize(error);
      return { error: false, value: error };
    } catch {
      return { error: false, value: String(error) };
    }
  }
  const original = error as Error & { cause?: unknown };
  let message = String(original.message);
  let stack = typeof original.stack === 'string' ? original.stack : undefined;
  if (source !== null && original.name === 'ReferenceError') {
    const explained = explainFreeVariable(message, source);
    if (explained !== null) {
      stack = stack?.replace(message, explained);
      message = explained;
    }
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(original)) {
    if (key === 'cause' || key === 'stack' || key === 'message' || key === 'name') continue;
    const value = (original as unknown as Record<string, unknown>)[key];
    try {
      serialize(value);
      props[key] = value;
    } catch {
      // not cloneable: left out
    }
  }
  const encoded: EncodedError = {
    error: true,
    name: String(original.name),
    message,
    stack,
    props,
    hasCause: 'cause' in original,
    cause: undefined,
  };
  if ('cause' in original) encoded.cause = encodeError(original.cause, serialize, null);
  if (error instanceof AggregateError) {
    encoded.errors = error.errors.map((inner: unknown) => encodeError(inner, serialize, null));
  }
  return encoded;

  /** "x is not defined" from a variable the function's source uses: say what to do. */
  function explainFreeVariable(text: string, functionSource: string): string | null {
    const match = /^(\S+) is not defined$/.exec(text);
    if (match === null) return null;
    const name = match[1] as string;
    const escaped = name.replace(/[$]/g, '\\$');
    if (!new RegExp(`(^|[^\\w$.])${escaped}([^\\w$]|$)`).test(functionSource)) return null;
    return (
      `${name} is not defined: the job function uses '${name}' from outside itself, but a ` +
      'function sent to a worker runs there from its source text alone, without the ' +
      `variables and imports around it. Pass ${name} as an argument ` +
      `(executor.submit(jobFunction, ${name})), or move the function into a module and name its ` +
      "export: new ThreadPoolExecutor({ module: new URL('./tasks.js', import.meta.url) })" +
      ".submit('exportName', ...args)"
    );
  }
}

/** @internal Rebuilds what a job threw from its encoded form. */
export function decodeError(encoded: unknown): unknown {
  const data = encoded as EncodedError | EncodedValue;
  if (data === null || typeof data !== 'object' || !('error' in data)) return encoded;
  if (!data.error) return data.value;
  const error = rebuildError({
    name: data.name,
    message: data.message,
    stack: data.stack,
    errors: data.errors?.map(decodeError),
    ...(data.hasCause ? { cause: decodeError(data.cause) } : {}),
  });
  Object.assign(error, data.props);
  return error;
}
