/*
 * The fan-out crawler (issue 11, "Done when"): the docs' bounded fan-out pattern, for
 * real. A node:http server on 127.0.0.1 serves pages, some of them too slow; 10 worker
 * tasks in a taskGroup take the next URL from a shared list, and each request runs in
 * `timeout(ms, …)` with `fetch(url, { signal })`. Every page that answers in time must be
 * fetched and every one that does not must be reported as timed out: none lost.
 *
 * Before issue 11's fix, a worker's `task.signal` stayed aborted after its first
 * timeout, so its later fetches failed at once with a CancelledError that the group took
 * for a quiet cancellation (pages lost, no error); and a scope had no signal, so a
 * timeout around a fetch waited for the slow page and returned it late.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  currentTask,
  run,
  type Task,
  TimeoutError,
  type TimeoutScope,
  taskGroup,
  timeout,
} from '../src/index.js';

const PAGES = 60;
const WORKERS = 10;
/** Generous for a loaded machine: a fast page answers at once on 127.0.0.1. */
const TIMEOUT_MS = 2_000;
/** A slow page answers long after the timeout (and is never waited for once aborted). */
const SLOW_MS = 8_000;
const isSlow = (page: number) => page % 6 === 5;

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const page = Number(request.url?.split('/').at(-1));
    const answer = () => response.end(`content of page ${page}`);
    if (!isSlow(page)) {
      answer();
      return;
    }
    const timer = setTimeout(answer, SLOW_MS);
    response.on('close', () => clearTimeout(timer)); // the client gave up (its signal aborted)
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // The first fetch of a process loads undici; do it before anything is timed.
  await (await fetch(`${origin}/page/0`)).text();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

type SignalFor = (scope: TimeoutScope) => AbortSignal;

/** The docs' pattern: WORKERS tasks in a group, each request in its own timeout. */
async function crawl(signalFor: SignalFor): Promise<Map<number, string>> {
  const outcomes = new Map<number, string>();
  const todo = Array.from({ length: PAGES }, (_, page) => page);
  await taskGroup(async (group) => {
    for (let worker = 0; worker < WORKERS; worker++) {
      group.createTask(async () => {
        for (let page = todo.shift(); page !== undefined; page = todo.shift()) {
          try {
            const text = await timeout(TIMEOUT_MS, async (scope) => {
              const response = await fetch(`${origin}/page/${page}`, { signal: signalFor(scope) });
              return await response.text();
            });
            outcomes.set(page, text);
          } catch (error) {
            if (!(error instanceof TimeoutError)) throw error;
            outcomes.set(page, 'timed out');
          }
        }
      });
    }
  });
  return outcomes;
}

function expected(): Map<number, string> {
  const outcomes = new Map<number, string>();
  for (let page = 0; page < PAGES; page++) {
    outcomes.set(page, isSlow(page) ? 'timed out' : `content of page ${page}`);
  }
  return outcomes;
}

describe('the fan-out crawler (issue 11)', () => {
  it('fetches every page that answers in time and reports every other as timed out, with currentTask().signal', async () => {
    const outcomes = await run(() => crawl(() => (currentTask() as Task).signal));

    expect(outcomes).toEqual(expected());
  }, 30_000);

  it("does the same with the timeout scope's own signal", async () => {
    const outcomes = await run(() => crawl((scope) => scope.signal));

    expect(outcomes).toEqual(expected());
  }, 30_000);
});
