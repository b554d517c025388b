// A vitest file to copy: code that waits for an hour, tested in microseconds on a
// VirtualLoop. The docs page guide/testing.md shows this file; the docs' tests run it.
import { run, sleep, TimeoutError, timeout, VirtualLoop } from 'coro';
import { describe, expect, it } from 'vitest';

/** The code under test: checks every `intervalMs` until `ready()` holds; gives up after `limitMs`. */
function pollUntil(ready: () => boolean, intervalMs: number, limitMs: number): Promise<number> {
  return timeout(limitMs, async () => {
    let polls = 1;
    while (!ready()) {
      await sleep(intervalMs);
      polls++;
    }
    return polls;
  });
}

describe('pollUntil', () => {
  it('gives up with TimeoutError after an hour, at once (autojump)', async () => {
    const loop = new VirtualLoop({ autojump: true }); // jumps to the next timer when idle

    const outcome = run(() => pollUntil(() => false, 60_000, 3_600_000), { loop });

    await expect(outcome).rejects.toBeInstanceOf(TimeoutError);
    expect(loop.time()).toBe(3_600_000); // exactly one virtual hour
  });

  it('returns at the first check after the condition holds (the clock moved by hand)', async () => {
    const loop = new VirtualLoop(); // no autojump: only advance() moves the clock
    let ready = false;

    const outcome = loop.runUntilComplete(() => pollUntil(() => ready, 60_000, 3_600_000));
    await loop.advance(5 * 60_000); // checks at 0, 1, 2, 3, 4 and 5 minutes: not ready
    ready = true;
    await loop.advance(60_000); // the check at 6 minutes sees it

    await expect(outcome).resolves.toBe(7);
    expect(loop.time()).toBe(6 * 60_000);
  });

  it('reads exact times from the loop: a retry waits 1, 2, then 4 seconds', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const triedAt: number[] = [];
    const flaky = async () => {
      triedAt.push(loop.time());
      if (triedAt.length < 4) throw new Error('busy');
      return 'done';
    };

    const result = await run(() => retry(flaky, 5), { loop });

    expect(result).toBe('done');
    expect(triedAt).toEqual([0, 1_000, 3_000, 7_000]);
  });
});

/** Calls `attempt` up to `tries` times, waiting 1 s, 2 s, 4 s… between them. */
async function retry<T>(attempt: () => Promise<T>, tries: number): Promise<T> {
  for (let index = 0; ; index++) {
    try {
      return await attempt();
    } catch (error) {
      if (index + 1 >= tries) throw error;
      await sleep(1_000 * 2 ** index);
    }
  }
}
