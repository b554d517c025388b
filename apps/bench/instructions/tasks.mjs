// `size` tasks that each await sleep(0) twice, gathered, under run(): the `tasks` workload.
// MODE=raw: its floor, async functions awaiting a resolved promise twice, Promise.all.
// MODE=thenable: the least a task runtime that cancels at the await can do: each task in an
// AsyncLocalStorage context of its own, awaiting a thenable twice that a ready queue resumes
// (no step ordering, no cancellation, no Future), its completion watched with then().
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { createTask, gather, run, sleep } from '@coro/futures';

const size = Number(process.argv[2] ?? 10_000);
const started = performance.now();
if (process.env.MODE === 'raw') {
  const resolved = Promise.resolve();
  await Promise.all(
    Array.from({ length: size }, async () => {
      await resolved;
      await resolved;
    }),
  );
} else if (process.env.MODE === 'thenable') {
  await thenableTasks(size);
} else {
  await run(async () => {
    await gather(
      Array.from({ length: size }, () =>
        createTask(async () => {
          await sleep(0);
          await sleep(0);
        }),
      ),
    );
  });
}
// TIME=1: tasks per second of wall time, to compare the three as the `tasks` workload does.
if (process.env.TIME === '1') {
  console.log(Math.round(size / ((performance.now() - started) / 1000)));
}

async function thenableTasks(size) {
  // What every task needs for that: its own context (one enterWith, inside a scope that
  // restores the empty context), an await on a thenable whose then() finds the task to
  // register the wake-up on, a ready queue run by a macrotask, and a watch on the body.
  const storage = new AsyncLocalStorage();
  const outside = new AsyncResource('floor');
  let ready = [];
  let scheduled = false;
  const runReady = () => {
    const batch = ready;
    ready = [];
    for (let i = 0; i < batch.length; i++) {
      const item = batch[i];
      if (typeof item === 'function') {
        item();
      } else {
        storage.enterWith(item);
        item.body().then(finished);
      }
    }
  };
  const drain = () => {
    scheduled = false;
    outside.runInAsyncScope(runReady);
  };
  const schedule = (item) => {
    ready.push(item);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const yieldOnce = {
    then(onFulfilled) {
      storage.getStore().waiting = onFulfilled;
      schedule(onFulfilled);
    },
  };
  let left = size;
  let done;
  const all = new Promise((resolve) => {
    done = resolve;
  });
  const finished = () => {
    if (--left === 0) done();
  };
  for (let i = 0; i < size; i++) {
    schedule({
      waiting: null,
      body: async () => {
        await yieldOnce;
        await yieldOnce;
      },
    });
  }
  await all;
}
