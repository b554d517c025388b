// `size` tasks that each await sleep(0) twice, gathered, under run(): the `tasks` workload.
// MODE=raw: its floor, async functions awaiting a resolved promise twice, Promise.all.
// MODE=thenable: the least a task runtime that cancels at the await can do: each task in an
// AsyncLocalStorage context of its own, awaiting a thenable twice that a ready queue resumes
// (no step ordering, no cancellation, no Future), its completion watched with then().
// MODE=ordered: the same with asyncio's step order: the ready queue pauses after each handle
// that starts or resumes a task, and goes on (outside any task) when that task's step ends.
// MODE=shaped: the ordered floor with asyncio's objects: a future per task in a pending list,
// a handle per await, done callbacks run by the ready queue and counted by a gather.
// The coro and raw modes repeat the workload's bodies (apps/bench/src/workloads/tasks.ts)
// rather than import its bundle: loading other code, or even reshaping this file's other
// functions, moves the default-size counts by several per cent (measured: +6 % on Node 26),
// and these counts are compared with the ones recorded in apps/bench's README.
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
} else if (process.env.MODE === 'ordered') {
  await orderedTasks(size);
} else if (process.env.MODE === 'shaped') {
  await shapedTasks(size);
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
  // Made as the workload makes its tasks (Array.from an array-like: ~630 instructions each).
  const tasks = Array.from({ length: size }, () => {
    const task = {
      waiting: null,
      body: async () => {
        await yieldOnce;
        await yieldOnce;
      },
    };
    schedule(task);
    return task;
  });
  await all;
  return tasks.length;
}

/**
 * The ready queue of `ordered` and `shaped`: a batch per setImmediate, run outside any task
 * (one AsyncResource scope), that pauses after a handle whose run() set `stepping` and goes
 * on, outside the task's context again, when that task's step ends (`endStep`).
 */
function steppedReadyQueue() {
  const outside = new AsyncResource('floor');
  let ready = [];
  let batch = [];
  let index = 0;
  let scheduled = false;
  let inTick = false;
  const queue = {
    /** The task whose step runs now, or null. */
    stepping: null,
    schedule(handle) {
      ready.push(handle);
      if (!scheduled && !inTick) {
        scheduled = true;
        setImmediate(drain);
      }
    },
    endStep(task) {
      if (queue.stepping !== task) return;
      queue.stepping = null;
      outside.runInAsyncScope(continueTick);
    },
  };
  function continueTick() {
    while (index < batch.length) {
      const handle = batch[index];
      batch[index++] = undefined;
      handle.run();
      if (queue.stepping !== null) return; // the step runs in the microtasks that follow
    }
    inTick = false;
    if (ready.length > 0 && !scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  }
  function drain() {
    scheduled = false;
    batch = ready;
    ready = [];
    index = 0;
    inTick = true;
    outside.runInAsyncScope(continueTick);
  }
  return queue;
}

/** A body that awaits `awaitable` twice, as the workload's tasks await sleep(0). */
function awaitsTwice(awaitable) {
  return async () => {
    await awaitable;
    await awaitable;
  };
}

async function orderedTasks(size) {
  // The thenable floor, plus what asyncio's order needs: a task's code between two awaits
  // runs as one step before the next ready handle (a step may cancel a task whose wake-up
  // is queued behind it, or change what it will read). A task is its own start and wake-up
  // handle. Still no Future, no cancellation, no gather.
  const storage = new AsyncLocalStorage();
  const queue = steppedReadyQueue();
  class OrderedTask {
    constructor(body) {
      this.body = body;
      this.waiting = null;
    }
    run() {
      queue.stepping = this;
      const resume = this.waiting;
      if (resume !== null) {
        this.waiting = null;
        resume();
      } else {
        storage.enterWith(this);
        this.body().then(finished);
      }
    }
  }
  const yieldOnce = {
    then(onFulfilled) {
      const task = storage.getStore();
      task.waiting = onFulfilled;
      queue.schedule(task);
      queue.endStep(task);
    },
  };
  let left = size;
  let done;
  const all = new Promise((resolve) => {
    done = resolve;
  });
  function finished() {
    left--;
    queue.endStep(storage.getStore());
    if (left === 0) done();
  }
  const tasks = Array.from({ length: size }, () => {
    const task = new OrderedTask(awaitsTwice(yieldOnce));
    queue.schedule(task);
    return task;
  });
  await all;
  return tasks.length;
}

async function shapedTasks(size) {
  // The ordered floor with asyncio's objects: a task is a future (state, outcome, done
  // callbacks) in a doubly linked pending list; each await makes a handle of its own that
  // the ready queue runs (then() returns it); a finished task schedules its done callbacks
  // on the ready queue, and a gather counts them. Still no cancellation, no Deque.
  const storage = new AsyncLocalStorage();
  const queue = steppedReadyQueue();
  const pending = { next: null };
  class Wakeup {
    constructor(task, onFulfilled) {
      this.task = task;
      this.onFulfilled = onFulfilled;
    }
    run() {
      queue.stepping = this.task;
      const resume = this.onFulfilled;
      this.onFulfilled = null;
      resume(undefined);
    }
  }
  class DoneCallback {
    constructor(callback, future) {
      this.callback = callback;
      this.future = future;
    }
    run() {
      this.callback(this.future);
    }
  }
  class ShapedTask {
    constructor(body) {
      this.state = 0;
      this.outcome = body;
      this.callbacks = null;
      this.previous = pending;
      this.next = pending.next;
      if (pending.next !== null) pending.next.previous = this;
      pending.next = this;
    }
    run() {
      const body = this.outcome;
      this.outcome = undefined;
      queue.stepping = this;
      storage.enterWith(this);
      body().then(bodyFulfilled);
    }
    finish(value) {
      this.previous.next = this.next;
      if (this.next !== null) this.next.previous = this.previous;
      this.state = 1;
      this.outcome = value;
      if (this.callbacks !== null) queue.schedule(new DoneCallback(this.callbacks, this));
      this.callbacks = null;
      queue.endStep(this);
    }
  }
  function bodyFulfilled(value) {
    storage.getStore().finish(value);
  }
  const yieldOnce = {
    then(onFulfilled) {
      const task = storage.getStore();
      const wakeup = new Wakeup(task, onFulfilled);
      queue.schedule(wakeup);
      queue.endStep(task);
      return wakeup;
    },
  };
  let left = size;
  let done;
  const all = new Promise((resolve) => {
    done = resolve;
  });
  const onChildDone = () => {
    if (--left === 0) done();
  };
  const tasks = Array.from({ length: size }, () => {
    const task = new ShapedTask(awaitsTwice(yieldOnce));
    task.callbacks = onChildDone;
    queue.schedule(task);
    return task;
  });
  await all;
  return tasks.length;
}
