import { run } from 'coro';
import { beforeAll, describe, expect, it } from 'vitest';
import { crawl } from '../src/examples/crawler.js';

// The crawler serves HTTP on 127.0.0.1, so it runs on a real loop (run()'s NodeLoop),
// small: 40 pages; the slow pages never answer in time (30 s against a 3 s timeout),
// and the timeout is long enough for the others on a loaded machine (the first fetch of
// a process loads undici).
const small = {
  pages: 40,
  concurrency: 4,
  timeoutMs: 3_000,
  slowEvery: 10,
  slowMs: 30_000,
  failEvery: 13,
};

describe('crawler', () => {
  // The first fetch of a process loads undici; do it before anything is timed.
  beforeAll(async () => {
    await (await fetch('data:text/plain,warm')).text();
  });

  it('visits every page once, counting the failing and the timed-out ones', async () => {
    const lines: string[] = [];
    const progress: string[] = [];
    const summary = await run(() =>
      crawl((line) => lines.push(line), { ...small, progress: (line) => progress.push(line) }),
    );

    // Pages 13, 26, 39 answer 500; pages 10, 20, 30 are slow and time out.
    expect(summary).toEqual({ pages: 34, failed: 3, timedOut: 3, stopped: false });
    expect(lines[0]).toMatch(
      /^serving 40 pages on http:\/\/127\.0\.0\.1:\d+; crawling 4 at a time$/,
    );
    expect(lines.at(-1)).toMatch(/^done in [\d.]+ s: 34 pages, 3 failed, 3 timed out$/);
    expect(progress.at(-2)).toBe('34 pages, 3 failed, 3 timed out, 40 found');
  }, 20_000);

  it('stops cleanly on Ctrl-C: the page tasks are cancelled and the summary printed', async () => {
    const lines: string[] = [];
    // Ctrl-C once the crawl has begun (its first line comes just before it listens).
    const out = (line: string) => {
      if (lines.push(line) === 1) setTimeout(() => process.emit('SIGINT'), 150);
    };
    // The example's own Ctrl-C listener, added inside main, takes the signal over from run().
    const summary = await run(() =>
      crawl(out, {
        ...small,
        slowEvery: 2,
        slowMs: 5_000,
        timeoutMs: 10_000,
        progress: () => {},
      }),
    );

    expect(summary.stopped).toBe(true);
    expect(summary.pages).toBeLessThan(40);
    expect(lines.at(-1)).toMatch(/^stopped by Ctrl-C in [\d.]+ s: /);
    expect(process.listenerCount('SIGINT')).toBe(0);
  }, 20_000);
});
