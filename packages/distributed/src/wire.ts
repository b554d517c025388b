/*
 * wire: the job's format on Redis, which a plain BullMQ worker or producer (in any
 * language) can read and write. Documented in the README and apps/docs/distributed.md.
 *
 *   queue      the BullMQ queue named by `queue`, keys under `<prefix>:<queue>:` (prefix
 *              `bull` unless set)
 *   job name   the name of the export the worker runs (`double`)
 *   job data   `{ "args": [21] }` (JSON), plus `"timeoutMs": 500` when submitted with a
 *              timeout; a producer may leave `args` out (no arguments)
 *   result     the job's return value, JSON (BullMQ's `returnvalue`); undefined → null
 *   error      BullMQ's `failedReason` is the error's message, the last entry of
 *              `stacktrace` its stack, whose first line is `<name>: <message>`
 *   cancel     PUBLISH `<prefix>:<queue>:cancel` `<jobId>` asks the worker running the job
 *              to cancel it (a waiting job is simply removed from the queue)
 */

import { CancelledError, TimeoutError } from '@coro/futures';
import { describeValue } from '@coro/loop';
import { rebuildError } from '@coro/workers';

/** @internal What a coro job's data holds. */
export interface JobData {
  args: unknown[];
  timeoutMs?: number;
}

/**
 * @internal Checks the `queue` and `prefix` options (both ends name the queue the same
 * way): the keys are `<prefix>:<queue>:…`, so the queue's name has no ':'.
 */
export function requireQueueName(queue: unknown, prefix: unknown): void {
  if (typeof queue !== 'string' || queue === '' || queue.includes(':')) {
    throw new TypeError(
      `options.queue must be a non-empty string without ':'; got ${describeValue(queue)}`,
    );
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(`options.prefix must be a non-empty string; got ${describeValue(prefix)}`);
  }
}

/** @internal The Redis channel that carries cancel requests for `queue`'s running jobs. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:cancel`;
}

/** @internal Reads a job's data as a worker gets it (from coro or another producer). */
export function readJobData(data: unknown): JobData {
  if (data === null || data === undefined) return { args: [] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new TypeError(`job data must be an object { args: [...] }; got ${describeValue(data)}`);
  }
  const { args = [], timeoutMs } = data as { args?: unknown; timeoutMs?: unknown };
  if (!Array.isArray(args)) {
    throw new TypeError(`job data.args must be an array; got ${describeValue(args)}`);
  }
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) {
    throw new TypeError(
      `job data.timeoutMs must be a number >= 0; got ${describeValue(timeoutMs)}`,
    );
  }
  return timeoutMs === undefined ? { args } : { args, timeoutMs };
}

/**
 * @internal An error as the worker hands it to BullMQ: its message becomes `failedReason`,
 * its stack (first line `<name>: <message>`) the last entry of `stacktrace`. `name` is
 * kept too, so BullMQ sees `UnrecoverableError` (no retry) when a job was cancelled.
 */
export function errorForWire(error: unknown): Error {
  if (!(error instanceof Error)) {
    const wrapped = new Error(`a job threw a non-Error value: ${describeValue(error)}`);
    return errorForWire(wrapped);
  }
  const name = String(error.name || 'Error');
  const message = String(error.message ?? '');
  const header = message === '' ? name : `${name}: ${message}`;
  const stack = typeof error.stack === 'string' ? error.stack : header;
  const wire = new Error(message);
  wire.name = name;
  wire.stack = stack.startsWith(header) ? stack : `${header}\n${framesOf(stack)}`;
  return wire;
}

function framesOf(stack: string): string {
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

/** coro's errors a job's error is rebuilt as, besides the built-in classes. */
const coroErrors = { TimeoutError, CancelledError };

/**
 * @internal Rebuilds a failed job's error on the client from `failedReason` and the
 * stack: a built-in class, coro's TimeoutError and CancelledError come back as that
 * class; any other is an Error whose `name` is the worker's class name.
 */
export function errorFromWire(failedReason: string, stack: string | undefined): Error {
  return rebuildError(
    { name: nameOf(failedReason, stack), message: failedReason, stack },
    coroErrors,
  );
}

/** The class name a stack's first line gives (`RangeError: bad size`), else 'Error'. */
function nameOf(message: string, stack: string | undefined): string {
  if (stack === undefined) return 'Error';
  const colon = message === '' ? -1 : stack.indexOf(`: ${message}`);
  const candidate = colon > 0 ? stack.slice(0, colon) : stack.split('\n', 1)[0];
  return candidate !== undefined && /^[A-Za-z_$][\w$]*$/.test(candidate) ? candidate : 'Error';
}
