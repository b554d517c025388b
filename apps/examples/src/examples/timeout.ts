/*
 * timeout: a deadline around a slow operation, as Python's
 * `async with asyncio.timeout(0.5) as scope:`. At the deadline the body is
 * cancelled, and the CancelledError becomes a TimeoutError as it leaves the
 * block; the scope says afterwards whether it expired.
 */
import { sleep, type TimeoutScope, timeout } from 'coro';
import { describeError, type Output, seconds, startClock } from '../example.js';

export const name = 'timeout';
export const title = 'A deadline around a slow operation: timeout() and TimeoutError';

/** Needs two seconds; says so when it is cancelled before. */
export async function slowOperation(out: Output, elapsed: () => number): Promise<string> {
  out('slow operation: started; it needs 2 s');
  try {
    await sleep(2000);
    return 'slow result';
  } catch (error) {
    out(`slow operation: ${describeError(error)} thrown into its await at ${seconds(elapsed())}`);
    throw error;
  }
}

export async function main(out: Output = console.log): Promise<void> {
  out('timeout(500, body) gives body half a second; the slow operation needs 2 s.');
  const elapsed = startClock();
  let slowScope: TimeoutScope | undefined;
  try {
    await timeout(500, (scope) => {
      slowScope = scope;
      return slowOperation(out, elapsed);
    });
    out('timeout() returned (not expected)');
  } catch (error) {
    out(`timeout() threw ${describeError(error)}, at ${seconds(elapsed())}`);
    const cause = error instanceof Error ? error.cause : undefined;
    out(`  its cause is the ${describeError(cause)} the scope threw into the body`);
  }
  out(`scope.expired() is ${slowScope?.expired()}: asked after the block, it tells why it ended`);

  out('The same deadline around an operation that needs 0.1 s changes nothing:');
  let fastScope: TimeoutScope | undefined;
  const value = await timeout(500, (scope) => {
    fastScope = scope;
    return sleep(100, 'fast result');
  });
  out(`timeout() returned '${value}' and scope.expired() is ${fastScope?.expired()}`);
  out(`took about ${seconds(elapsed())} in all: no one waited for the 2 s operation.`);
}
