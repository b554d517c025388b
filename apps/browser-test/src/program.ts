/*
 * The program the browser test runs twice: in Chromium on BrowserLoop (src/page.ts) and in
 * Node on NodeLoop (test/browser.test.ts). It touches each part of coro a page can use —
 * tasks, gather, timeout, taskGroup, a Queue pipeline, a Lock, cancellation, and fetch with
 * task.signal — and returns a trace whose every line depends only on coro's semantics
 * (ordering, results, errors), never on how fast the machine is: both runs must return the
 * same lines.
 *
 * It imports the packages by name, so each side resolves them through their `exports`:
 * Vite's browser conditions for the page, Node's for the test.
 */
import {
  CancelledError,
  createTask,
  currentTask,
  Future,
  gather,
  sleep,
  type Task,
  taskGroup,
  timeout,
} from '@coro/futures';
import { Queue } from '@coro/queues';
import { Lock } from '@coro/sync';

/** Where the program fetches from: a server with `/api/hello` and `/api/slow`. */
export interface ProgramOptions {
  /** `http://127.0.0.1:<port>`, the origin of the page in the browser. */
  readonly baseUrl: string;
  /** Where the lines go as they come (the page shows them); a new array by default. */
  readonly trace?: string[];
}

function describeError(error: unknown): string {
  const { name, message } = error as Error;
  return `${name} '${message}'`;
}

function self(): Task<unknown> {
  const task = currentTask();
  if (task === undefined) throw new Error('the program must run as a task');
  return task;
}

/** Runs every case in turn and returns the trace: one line per observation. */
export async function program({ baseUrl, trace = [] }: ProgramOptions): Promise<string[]> {
  const log = (line: string): void => {
    trace.push(line);
  };

  // Tasks start on the next iteration, in creation order; main goes on first.
  const order: string[] = [];
  const first = createTask(
    async () => {
      order.push('first starts');
      await sleep(0);
      order.push('first resumes');
      return 1;
    },
    { name: 'first' },
  );
  const second = createTask(
    async () => {
      order.push('second runs');
      return 2;
    },
    { name: 'second' },
  );
  order.push('main goes on');
  log(`tasks: ${(await first) + (await second)}; ${order.join(', ')}`);

  // gather: results in argument order, whatever finishes first.
  const gathered = await gather([
    sleep(30, 'slow'),
    sleep(5, 'fast'),
    createTask(async () => 'a task'),
  ]);
  log(`gather: ${gathered.join(', ')}`);

  // timeout: the body outlives the deadline, then one that finishes in time.
  try {
    await timeout(20, () => sleep(60_000));
    log('timeout: not reached');
  } catch (error) {
    log(`timeout: ${(error as Error).name}`);
  }
  log(`timeout in time: ${await timeout(5_000, async () => 'done')}`);

  // taskGroup: the first failure cancels the siblings; failures surface together.
  const siblings: string[] = [];
  try {
    await taskGroup(async (group) => {
      group.createTask(async () => {
        try {
          await sleep(60_000);
        } catch (error) {
          siblings.push(`sibling got ${(error as Error).name}`);
          throw error;
        }
      });
      group.createTask(async () => {
        await sleep(5);
        throw new Error('boom');
      });
    });
  } catch (error) {
    const errors = (error as AggregateError).errors.map((inner: Error) => inner.message);
    log(`taskGroup: ${(error as Error).name} [${errors.join(', ')}]; ${siblings.join(', ')}`);
  }

  // A Queue pipeline: a producer, two workers on a bounded queue, results on another.
  const jobs = new Queue<number>({ maxsize: 2 });
  const squares = new Queue<string>();
  const workers = ['w1', 'w2'].map((name) =>
    createTask(async () => {
      for await (const n of jobs) {
        await sleep(0);
        await squares.put(`${name}:${n * n}`);
        jobs.taskDone();
      }
    }),
  );
  for (const n of [1, 2, 3, 4, 5, 6]) await jobs.put(n);
  await jobs.join();
  jobs.shutdown();
  await gather(workers);
  const results: string[] = [];
  while (!squares.empty()) results.push(squares.getNowait());
  log(`queue: ${results.join(' ')}`);

  // A Lock: FIFO, one holder at a time.
  const lock = new Lock();
  const held: string[] = [];
  await gather(
    ['x', 'y', 'z'].map((name) =>
      createTask(() =>
        lock.runExclusive(async () => {
          held.push(`${name}+`);
          await sleep(1);
          held.push(`${name}-`);
        }),
      ),
    ),
  );
  log(`lock: ${held.join(' ')}`);

  // Cancellation reaches the coro Future a task awaits (in a resumed step, not its first).
  const reply = new Future<string>({ name: 'reply' });
  const waiter = createTask(
    async () => {
      await sleep(1);
      try {
        return await reply;
      } catch (error) {
        log(`cancel inside: ${describeError(error)}`);
        throw error;
      }
    },
    { name: 'waiter' },
  );
  await sleep(10);
  waiter.cancel('user left');
  try {
    await waiter;
  } catch (error) {
    log(`cancel outside: ${describeError(error)}; reply cancelled: ${reply.cancelled()}`);
  }

  // fetch with task.signal: one answer, and one request cut short by cancel(). The task is
  // read before the first foreign await: without AsyncLocalStorage (a browser),
  // currentTask() is not known again until the task's next coro await.
  const hello = createTask(async () => {
    const response = await fetch(`${baseUrl}/api/hello`, { signal: self().signal });
    return `${response.status} ${await response.text()}`;
  });
  log(`fetch: ${await hello}`);
  const slow = createTask(async () => {
    const { signal } = self();
    try {
      await fetch(`${baseUrl}/api/slow`, { signal });
      return 'not reached';
    } catch (error) {
      log(`fetch aborted: ${describeError(error)}; signal aborted: ${signal.aborted}`);
      throw error;
    }
  });
  await sleep(50);
  slow.cancel('too slow');
  try {
    await slow;
  } catch (error) {
    log(`fetch task: ${error instanceof CancelledError ? 'cancelled' : describeError(error)}`);
  }

  return trace;
}
