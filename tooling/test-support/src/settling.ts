/*
 * Waiting in tests for what real I/O, threads and processes do in their own time: the
 * error a promise rejects with, and a condition that becomes true. Neither asserts a
 * duration; both fail the test with a message that says what never happened.
 */

/**
 * The error `promise` rejects with; fails the test if it fulfils.
 *
 * @example
 * ```ts
 * const error = await rejection(Promise.reject(new RangeError('too big')));
 * expect(error).toEqual(new RangeError('too big'));
 * ```
 */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection, got a value');
}

/**
 * Resolves when `check()` is true, polling every 5 ms of real time on host timers (so it
 * works with or without a coro loop); fails after about 10 s with `what` in the message.
 *
 * @example
 * ```ts
 * await until(() => server.connections === 0, 'every connection closed');
 * ```
 */
export async function until(check: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (check()) return;
  throw new Error(`timed out waiting for ${what}`);
}
