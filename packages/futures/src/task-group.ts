/*
 * taskGroup: structured concurrency (asyncio's TaskGroup).
 *
 * Invariants
 *   1. The group returns only when every child is done.
 *   2. The first child failure (not a cancellation) cancels the other children
 *      and the body (its parent task, once); every failure, the body's own
 *      included, surfaces as one ExceptionGroup, in the order they happened.
 *   3. The group's own cancellation of its parent is taken back (uncancel) on
 *      exit; an outside cancel() of the parent is never swallowed: it propagates
 *      as CancelledError when no child failed.
 *   4. After exit, createTask throws: the group is finished.
 *   5. A child that ends cancelled although nobody cancelled it (its cancelling()
 *      is 0: a CancelledError it raised itself, e.g. a `fetch` handed a signal
 *      that had aborted) while neither the group is aborting nor its task being
 *      cancelled, failed: its CancelledError counts as a failure (invariant 2),
 *      never as a quiet cancellation that would lose its work (issue 11, case 1).
 *      asyncio counts it as cancelled; coro does not, as nothing may be lost
 *      silently. (A child that stopped because the parent's signal aborted, as
 *      the parent is being cancelled, is still a cancellation.)
 *   6. `signal` (made on first read) aborts when the group aborts (its first
 *      failure, or the cancellation of its task), with a CancelledError reason,
 *      and never otherwise.
 */

import { describeValue, requireFunction } from '@coro/loop';
import { CancelledError, ExceptionGroup } from './errors.js';
import { Future } from './future.js';
import { PENDING, REJECTED } from './future-state.js';
import { createTask, type Task, type TaskOptions } from './task.js';
import { currentTask } from './task-context.js';

/**
 * The handle `taskGroup` passes to its body: start children with `createTask`;
 * hand `signal` to AbortSignal APIs to stop them when the group aborts.
 *
 * @example
 * ```ts
 * import { run, sleep, taskGroup } from '@coro/futures';
 *
 * await run(() =>
 *   taskGroup(async (group) => {
 *     group.createTask(() => sleep(10), { name: 'first' });
 *     group.createTask(() => sleep(20), { name: 'second' });
 *   }), // returns once both are done
 * );
 * ```
 */
export class TaskGroup {
  readonly #parent: Task<unknown>;
  readonly #tasks = new Set<Task<unknown>>();
  readonly #errors: unknown[] = [];
  #state: 'open' | 'exiting' | 'finished' = 'open';
  #aborting = false;
  #parentCancelRequested = false;
  #deliveredAtCancel = 0;
  #allDone: Future<void> | null = null;
  #controller: AbortController | null = null;

  /** Not for direct use: call `taskGroup`. */
  constructor(parent: Task<unknown>) {
    this.#parent = parent;
  }

  /**
   * An AbortSignal aborted when the group aborts: at its first failure (when it
   * cancels the other children and the body) or when the task running it is
   * cancelled, with a `CancelledError` reason; never otherwise. Hand it to
   * `fetch` and other AbortSignal APIs the children call. (Each child's own
   * `currentTask().signal` aborts when that child is cancelled.)
   *
   * @example
   * ```ts
   * import { run, sleep, taskGroup } from '@coro/futures';
   *
   * await run(() =>
   *   taskGroup(async (group) => {
   *     group.signal.addEventListener('abort', () => console.log('group aborted'));
   *     group.createTask(() => sleep(10));
   *     console.log(group.signal.aborted); // false: nothing failed
   *   }),
   * );
   * ```
   */
  get signal(): AbortSignal {
    let controller = this.#controller;
    if (controller === null) {
      controller = new AbortController();
      this.#controller = controller;
      if (this.#aborting) controller.abort(new CancelledError(''));
    }
    return controller.signal;
  }

  /**
   * Starts `body` as a child task of the group.
   * @throws Error if the group has finished or is shutting down after a failure.
   */
  createTask<T>(
    body: () => T | PromiseLike<T>,
    options?: Omit<TaskOptions, 'loop'>,
  ): Task<Awaited<T>> {
    requireFunction(body, 'body');
    if (this.#state === 'finished')
      throw new Error('TaskGroup is finished: createTask() after it returned');
    if (this.#aborting) throw new Error('TaskGroup is shutting down after a failure: no new tasks');
    if (this.#state === 'exiting' && this.#tasks.size === 0) {
      throw new Error('TaskGroup is finished: createTask() after every task ended');
    }
    const task = createTask(body, { ...options, loop: this.#parent.loop });
    this.#tasks.add(task as Task<unknown>);
    task.addDoneCallback(this.#onTaskDone);
    return task;
  }

  readonly #onTaskDone = (task: Task<unknown>): void => {
    this.#tasks.delete(task);
    if (this.#allDone !== null && this.#tasks.size === 0 && this.#allDone.state === PENDING) {
      this.#allDone.resolveNow(undefined);
    }
    let failure: unknown;
    if (task.state === REJECTED) failure = task.exception();
    else if (
      task.cancelled() &&
      task.cancelling() === 0 &&
      !this.#aborting &&
      this.#parent.cancelling() === 0
    ) {
      // Invariant 5: a CancelledError nobody asked for is a failure, not a cancellation.
      failure = new CancelledError(task.settled as string);
    } else return;
    this.#errors.push(failure);
    if (this.#parent.done()) {
      this.#parent.loop.callExceptionHandler({
        message: 'a TaskGroup child failed after its parent task finished',
        exception: failure,
        task,
      });
      return;
    }
    if (!this.#aborting && !this.#parentCancelRequested) {
      this.#abort();
      this.#parentCancelRequested = true;
      this.#deliveredAtCancel = this.#parent.cancelsDelivered;
      this.#parent.cancel();
    }
  };

  #abort(): void {
    this.#aborting = true;
    this.#controller?.abort(new CancelledError(''));
    for (const task of this.#tasks) if (!task.done()) task.cancel();
  }

  /** @internal The body ended (`failed` with `error`); waits for the children and throws what must surface. */
  async exit(failed: boolean, error: unknown): Promise<void> {
    this.#state = 'exiting';
    let propagateCancellation: CancelledError | null =
      failed && error instanceof CancelledError ? error : null;
    if (failed && !this.#aborting) this.#abort();
    while (this.#tasks.size > 0) {
      this.#allDone = new Future<void>({ loop: this.#parent.loop });
      try {
        await this.#allDone;
      } catch (cancelled) {
        if (!(cancelled instanceof CancelledError)) throw cancelled;
        if (!this.#aborting) {
          propagateCancellation = cancelled;
          this.#abort();
        }
      }
      this.#allDone = null;
    }
    this.#state = 'finished';
    if (this.#parentCancelRequested) {
      if (this.#parent.uncancel() === 0) propagateCancellation = null;
      if (
        !failed &&
        this.#parent.cancelsDelivered > this.#deliveredAtCancel &&
        this.#parent.loop.getDebug()
      ) {
        this.#parent.loop.callExceptionHandler({
          message: `${this.#parent.describeKind()} swallowed the CancelledError of a TaskGroup: it caught it and returned normally without uncancel()`,
          task: this.#parent,
        });
      }
    }
    if (propagateCancellation !== null && this.#errors.length === 0) throw propagateCancellation;
    if (failed && !(error instanceof CancelledError)) this.#errors.push(error);
    if (this.#errors.length > 0) {
      // An outside cancel() of the parent is still owed: take it back and request
      // it again, so it lands at the parent's next await (cancelling() unchanged).
      if (this.#parent.cancelling() > 0) {
        this.#parent.uncancel();
        this.#parent.cancel();
      }
      throw new ExceptionGroup('unhandled errors in a TaskGroup', this.#errors);
    }
  }
}

/**
 * Structured concurrency: runs `body` with a `TaskGroup`; children started with
 * `group.createTask` run concurrently, and the call returns (with the body's
 * value) only when all are done. The first failure cancels the other children
 * and the body; every failure surfaces in one `ExceptionGroup`. Called outside
 * a task, the group runs in a new task.
 *
 * @throws {@link ExceptionGroup} of every child (and body) error.
 * @example
 * ```ts
 * import { ExceptionGroup, run, sleep, taskGroup } from '@coro/futures';
 *
 * await run(async () => {
 *   try {
 *     await taskGroup(async (group) => {
 *       group.createTask(async () => { await sleep(10); throw new Error('disk full'); });
 *       group.createTask(() => sleep(60_000)); // cancelled when its sibling fails
 *     });
 *   } catch (error) {
 *     console.log(error instanceof ExceptionGroup, (error as ExceptionGroup).errors.length); // true 1
 *   }
 * });
 * ```
 */
export async function taskGroup<T>(
  body: (group: TaskGroup) => T | PromiseLike<T>,
): Promise<Awaited<T>> {
  if (typeof body !== 'function')
    throw new TypeError(`body must be a function; got ${describeValue(body)}`);
  const parent = currentTask();
  if (parent === undefined) return createTask(() => taskGroup(body)) as PromiseLike<Awaited<T>>;
  const group = new TaskGroup(parent);
  let value: Awaited<T> | undefined;
  let failed = false;
  let error: unknown;
  try {
    value = await body(group);
  } catch (thrown) {
    failed = true;
    error = thrown;
  }
  await group.exit(failed, error);
  return value as Awaited<T>;
}
