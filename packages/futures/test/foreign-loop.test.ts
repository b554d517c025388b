/*
 * Awaiting a future of another loop inside a task: asyncio raises RuntimeError ("Task got
 * Future attached to a different loop") at that await, and so does coro (issue 11,
 * "awaiting another loop's future"). Outside a task, and for a future already done,
 * there is nothing to check, as in asyncio.
 */
import { VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { createTask, Future, run, sleep } from '../src/index.js';
import { rejection } from './helpers.js';

describe('awaiting a future of another loop', () => {
  it('throws into the task at that await, and leaves the future alone', async () => {
    const other = new VirtualLoop();
    const reply = new Future<string>({ loop: other, name: 'reply' });

    const outcome = await run(
      async () => {
        const error = await rejection(reply);
        await sleep(1); // the task goes on
        return error;
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).message).toMatch(
      /^Task 'Task-\d+' got Future 'reply' attached to a different loop$/,
    );
    expect(reply.done()).toBe(false);
  });

  it('throws for a task of another loop too', async () => {
    const other = new VirtualLoop();
    const elsewhere = createTask(() => sleep(10), { loop: other, name: 'elsewhere' });

    const error = await run(() => rejection(elsewhere), {
      loop: new VirtualLoop({ autojump: true }),
    });

    expect((error as Error).message).toMatch(/got Task 'elsewhere' attached to a different loop$/);
    elsewhere.cancel();
  });

  it("gives a done future's result, as asyncio does", async () => {
    const done = new Future<number>({ loop: new VirtualLoop() });
    done.setResult(7);

    const value = await run(async () => await done, { loop: new VirtualLoop({ autojump: true }) });

    expect(value).toBe(7);
  });

  it('is not checked outside a task', async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop });
    loop.callLater(5, () => reply.setResult('pong'));

    const [value] = await Promise.all([reply, loop.advance(5)]);

    expect(value).toBe('pong');
  });
});
