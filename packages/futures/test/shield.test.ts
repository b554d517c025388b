import { type ExceptionContext, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  createTask,
  Future,
  run,
  shield,
  sleep,
  TimeoutError,
  waitFor,
} from '../src/index.js';

describe('shield', () => {
  it("resolves to the inner awaitable's result", async () => {
    const value = await run(() => shield(createTask(() => sleep(10, 'inner'))), {
      loop: new VirtualLoop({ autojump: true }),
    });

    expect(value).toBe('inner');
  });

  it('returns a done awaitable as it is', async () => {
    await run(
      async () => {
        const done = new Future<number>();
        done.setResult(1);

        expect(shield(done)).toBe(done);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('is cancelled by cancel() while the inner task runs on to its result', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const inner = createTask(() => sleep(50, 'saved'));
        const guarded = shield(inner);
        await sleep(10);

        expect(guarded.cancel()).toBe(true);

        await expect(guarded).rejects.toBeInstanceOf(CancelledError);
        expect(inner.cancelled()).toBe(false);
        expect(await inner).toBe('saved');
        expect(loop.time()).toBe(50);
      },
      { loop },
    );
  });

  it('keeps the inner task running when the task awaiting the shield is cancelled', async () => {
    const loop = new VirtualLoop({ autojump: true });

    await run(
      async () => {
        const inner = createTask(() => sleep(50, 'saved'));
        const waiting = createTask(() => shield(inner));
        await sleep(10);

        waiting.cancel();

        await expect(waiting).rejects.toBeInstanceOf(CancelledError);
        expect(inner.done()).toBe(false);
        expect(await inner).toBe('saved');
      },
      { loop },
    );
  });

  it("fails with the inner awaitable's error, and is cancelled when the inner is", async () => {
    const failure = new Error('inner failed');

    await run(
      async () => {
        const failing = shield(
          createTask(async () => {
            await sleep(5);
            throw failure;
          }),
        );
        const cancelledInner = createTask(() => sleep(100));
        const cancelledShield = shield(cancelledInner);
        await sleep(1);

        cancelledInner.cancel('inner cancelled');

        await expect(failing).rejects.toBe(failure);
        const error = await cancelledShield.then(
          () => null,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(CancelledError);
        expect(cancelledShield.cancelled()).toBe(true);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('runs an async function as a task that cancelling the shield does not stop', async () => {
    const trace: string[] = [];

    await run(
      async () => {
        const guarded = shield(async () => {
          await sleep(20);
          trace.push('function finished');
        });
        await sleep(1);
        guarded.cancel();
        await sleep(50);
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(trace).toEqual(['function finished']);
  });

  it('makes waitFor time out without cancelling the shielded task', async () => {
    await run(
      async () => {
        const task = createTask(() => sleep(100, 'done'));

        await expect(waitFor(shield(task), 10)).rejects.toBeInstanceOf(TimeoutError);

        expect(task.cancelled()).toBe(false);
        expect(await task).toBe('done');
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );
  });

  it('still reports an inner failure nobody retrieved after the shield was cancelled', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const reports: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => reports.push(context));
    const failure = new Error('failed behind a cancelled shield');

    await cancelShieldOfFailingTask(loop, failure);
    await collectGarbageUntil(() => reports.length > 0);

    expect(reports.map((report) => report.exception)).toContain(failure);
  });
});

async function cancelShieldOfFailingTask(loop: VirtualLoop, failure: Error): Promise<void> {
  await run(
    async () => {
      const guarded = shield(async () => {
        await sleep(20);
        throw failure;
      });
      await sleep(1);
      guarded.cancel();
      await sleep(50);
    },
    { loop },
  );
}

async function collectGarbageUntil(condition: () => boolean): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('global.gc is missing: run vitest with --expose-gc');
  for (let attempt = 0; attempt < 50 && !condition(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    collect();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
