/*
 * crawler: a bounded-concurrency web crawler against a small site that the example
 * serves itself on 127.0.0.1 (some pages slow, some failing). A Semaphore bounds the
 * requests in flight, a taskGroup holds one task per page, timeout() bounds each
 * request, and fetch() is given the task's signal, so a request that times out (or a
 * crawl stopped with Ctrl-C) is really aborted, not left running.
 *
 * It needs a real loop (real sockets), so it is not part of the demo: run it with
 * `pnpm example crawler`.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CancelledError,
  currentTask,
  Semaphore,
  type TaskGroup,
  TimeoutError,
  taskGroup,
  timeout,
} from 'coro';
import { type Output, seconds, startClock } from '../example.js';

export const name = 'crawler';
export const title = 'A crawler: Semaphore, taskGroup, per-request timeout, fetch on task.signal';

/** The site and the crawl; the defaults are what `pnpm example crawler` runs. */
export interface CrawlerOptions {
  /** Pages on the site, linked from page 0. @defaultValue 300 */
  pages?: number;
  /** Requests in flight at most. @defaultValue 8 */
  concurrency?: number;
  /** Per-request timeout, in ms. @defaultValue 1000 */
  timeoutMs?: number;
  /** Every `slowEvery`-th page answers after `slowMs`. @defaultValue 10 */
  slowEvery?: number;
  /** How long a slow page takes, in ms (more than the timeout: it times out). @defaultValue 3000 */
  slowMs?: number;
  /** Every `failEvery`-th page answers 500. @defaultValue 17 */
  failEvery?: number;
  /** Where the live progress line goes; by default stderr when it is a terminal. */
  progress?: (line: string) => void;
}

/** What a crawl found. */
export interface CrawlSummary {
  pages: number;
  failed: number;
  timedOut: number;
  stopped: boolean;
}

export async function main(out: Output = console.log): Promise<void> {
  await crawl(out);
}

/** Serves the site, crawls it, prints the summary; resolves to the counts. */
export async function crawl(out: Output, options: CrawlerOptions = {}): Promise<CrawlSummary> {
  const {
    pages = 300,
    concurrency = 8,
    timeoutMs = 1_000,
    slowEvery = 10,
    slowMs = 3_000,
    failEvery = 17,
    progress = defaultProgress(),
  } = options;
  const server = await serveSite({ pages, slowEvery, slowMs, failEvery });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  out(`serving ${pages} pages on ${origin}; crawling ${concurrency} at a time`);

  const elapsed = startClock();
  const slots = new Semaphore(concurrency);
  const seen = new Set<string>(['/page/0']);
  const summary: CrawlSummary = { pages: 0, failed: 0, timedOut: 0, stopped: false };
  const show = () =>
    progress(
      `${summary.pages} pages, ${summary.failed} failed, ${summary.timedOut} timed out, ${seen.size} found`,
    );

  // Ctrl-C cancels the crawl: the group cancels every page task, each fetch aborts.
  const crawler = currentTask();
  const stop = () => {
    summary.stopped = true;
    crawler?.cancel('Ctrl-C');
  };
  process.once('SIGINT', stop);

  const visit = async (tg: TaskGroup, path: string): Promise<void> => {
    await using _slot = await slots.hold();
    try {
      const html = await timeout(timeoutMs, async () => {
        // The task's signal aborts when the task is cancelled: by the timeout, or Ctrl-C.
        const response = await fetch(origin + path, { signal: currentTask()?.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return await response.text();
      });
      summary.pages++;
      for (const [, link] of html.matchAll(/href="([^"]+)"/g)) {
        if (link === undefined || seen.has(link)) continue;
        seen.add(link);
        tg.createTask(() => visit(tg, link), { name: link });
      }
    } catch (error) {
      if (error instanceof CancelledError) throw error; // stopped: let it through
      if (error instanceof TimeoutError) summary.timedOut++;
      else summary.failed++;
    }
    show();
  };

  try {
    await taskGroup(async (tg) => {
      tg.createTask(() => visit(tg, '/page/0'), { name: '/page/0' });
    });
  } catch (error) {
    if (!(error instanceof CancelledError && summary.stopped)) throw error;
    crawler?.uncancel(); // the Ctrl-C cancel is handled here: the crawl ends cleanly
  } finally {
    process.removeListener('SIGINT', stop);
    progress('');
    server.closeAllConnections();
    server.close();
  }
  out(
    `${summary.stopped ? 'stopped by Ctrl-C' : 'done'} in ${seconds(elapsed())}: ` +
      `${summary.pages} pages, ${summary.failed} failed, ${summary.timedOut} timed out`,
  );
  return summary;
}

/** The site: page i links to a few others; some pages are slow, some fail. */
async function serveSite(site: {
  pages: number;
  slowEvery: number;
  slowMs: number;
  failEvery: number;
}): Promise<Server> {
  const server = createServer((request, response) => {
    const match = /^\/page\/(\d+)$/.exec(request.url ?? '');
    const index = match ? Number(match[1]) : -1;
    if (index < 0 || index >= site.pages) {
      response.writeHead(404).end('not found');
      return;
    }
    if (index > 0 && index % site.failEvery === 0) {
      response.writeHead(500).end('server error');
      return;
    }
    const links = [index + 1, index * 2 + 1, index * 3 + 2, (index * 7 + 3) % site.pages]
      .filter((target) => target < site.pages)
      .map((target) => `<a href="/page/${target}">page ${target}</a>`);
    const body = `<!doctype html><title>page ${index}</title>${links.join(' ')}`;
    const slow = index > 0 && index % site.slowEvery === 0;
    const answer = () => response.writeHead(200, { 'content-type': 'text/html' }).end(body);
    if (!slow) return answer();
    const timer = setTimeout(answer, site.slowMs);
    request.on('close', () => clearTimeout(timer)); // the client gave up
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** A progress line redrawn in place on a terminal; nothing when stderr is not one. */
function defaultProgress(): (line: string) => void {
  if (!process.stderr.isTTY) return () => {};
  return (line) => process.stderr.write(`\r\x1b[K${line}`);
}
