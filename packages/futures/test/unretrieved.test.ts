/*
 * "exception was never retrieved": a future or task whose exception nobody looked
 * at is reported through its loop's exception handler once it is garbage-collected
 * (asyncio reports from __del__). Each "not reported" test also makes an unretrieved
 * control future and waits for its report, so it knows a collection really happened.
 */
import { type ExceptionContext, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { createTask, Future } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

/** Resolves after one real macrotask (FinalizationRegistry callbacks run between them). */
function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Collects garbage and yields, a few rounds, until `reported()` is true or we give up. */
async function collectUntil(reported: () => boolean): Promise<void> {
  for (let round = 0; round < 20 && !reported(); round++) {
    gc?.();
    await macrotask();
  }
}

/** A loop whose exception handler records every context. */
function recordingLoop(options?: { debug?: boolean }): {
  loop: VirtualLoop;
  seen: ExceptionContext[];
} {
  const loop = new VirtualLoop();
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => {
    seen.push(context);
  });
  if (options?.debug === true) {
    loop.setDebug(true);
    loop.slowCallbackDuration = Number.POSITIVE_INFINITY; // only the reports under test
  }
  return { loop, seen };
}

/** Makes a future on `loop` that fails with `error` and drops it at once. */
function dropFailedFuture(loop: VirtualLoop, error: unknown, name?: string): void {
  const future = new Future({ loop, ...(name === undefined ? {} : { name }) });
  future.setException(error);
}

const reportOf = (seen: ExceptionContext[], error: unknown) =>
  seen.filter((context) => context.exception === error);

describe.runIf(gc !== undefined)('unretrieved exceptions', () => {
  it('reports a collected future whose exception nobody retrieved', async () => {
    const { loop, seen } = recordingLoop();
    const failure = new Error('nobody looked');

    dropFailedFuture(loop, failure, 'reply');
    await collectUntil(() => seen.length > 0);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      message: "Future 'reply' exception was never retrieved",
      exception: failure,
      future: "Future 'reply'",
    });
  });

  it('reports a collected task whose exception nobody retrieved, naming the task', async () => {
    const { loop, seen } = recordingLoop();
    const failure = new TypeError('task failed alone');

    (() => {
      createTask(
        async () => {
          throw failure;
        },
        { loop, name: 'orphan' },
      );
    })();
    await loop.advance(0);
    await collectUntil(() => seen.length > 0);

    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      message: "Task 'orphan' exception was never retrieved",
      exception: failure,
    });
    expect(seen[0]).not.toHaveProperty('createdAt');
  });

  it('includes where the task was created (createdAt) in debug mode', async () => {
    const { loop, seen } = recordingLoop({ debug: true });
    const failure = new Error('debug me');

    (function createOrphanForDebug() {
      createTask(
        async () => {
          throw failure;
        },
        { loop },
      );
    })();
    await loop.advance(0);
    await collectUntil(() => seen.length > 0);

    expect(seen).toHaveLength(1);
    expect(seen[0]?.exception).toBe(failure);
    expect(typeof seen[0]?.createdAt).toBe('string');
    expect(seen[0]?.createdAt).toMatch(/createOrphanForDebug/);
  });

  it.each([
    [
      'awaited',
      async (future: Future<unknown>) => {
        await future;
      },
    ],
    [
      'read with result()',
      async (future: Future<unknown>) => {
        future.result();
      },
    ],
    [
      'read with exception()',
      async (future: Future<unknown>) => {
        future.exception();
      },
    ],
  ])('does not report a future whose exception was %s', async (_how, retrieve) => {
    const { loop, seen } = recordingLoop();
    const retrieved = new Error('retrieved');
    const control = new Error('control');

    await (async () => {
      const future = new Future({ loop });
      future.setException(retrieved);
      try {
        await retrieve(future);
      } catch {
        // await and result() throw the exception: that is how they retrieve it
      }
    })();
    await loop.advance(0);
    dropFailedFuture(loop, control);
    await collectUntil(() => reportOf(seen, control).length > 0);

    expect(reportOf(seen, control)).toHaveLength(1);
    expect(reportOf(seen, retrieved)).toEqual([]);
  });

  it('does not report a task whose failure was awaited', async () => {
    const { loop, seen } = recordingLoop();
    const awaitedFailure = new Error('awaited');
    const control = new Error('control');

    await (async () => {
      const task = createTask(
        async () => {
          throw awaitedFailure;
        },
        { loop },
      );
      await loop.advance(0);
      await Promise.resolve(task).catch(() => {});
    })();
    dropFailedFuture(loop, control);
    await collectUntil(() => reportOf(seen, control).length > 0);

    expect(reportOf(seen, control)).toHaveLength(1);
    expect(reportOf(seen, awaitedFailure)).toEqual([]);
  });

  it('does not report cancelled or fulfilled futures', async () => {
    const { loop, seen } = recordingLoop();
    const control = new Error('control');

    (() => {
      new Future({ loop }).cancel('cancelled');
      new Future({ loop }).setResult('fulfilled');
    })();
    dropFailedFuture(loop, control);
    await collectUntil(() => reportOf(seen, control).length > 0);

    expect(seen.map((context) => context.exception)).toEqual([control]);
  });
});
