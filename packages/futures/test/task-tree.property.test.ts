/*
 * Random trees of tasks with random sleeps, failures and outside cancellations, on a
 * VirtualLoop. A model computes what each task must end with; then nothing is left
 * pending and every failure is observed exactly once.
 *
 * Timing classes keep the model exact: sleeps end at multiples of 10 ms, cancellations
 * land at 10k + 5 ms (distinct from each other), so no cancellation ties with a
 * completion. Cancelling a task cancels its pending subtree at the same virtual time.
 */
import { VirtualLoop } from '@coro/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  gather,
  run,
  sleep,
  type Task,
} from '../src/index.js';

interface TreeNode {
  delayMs: number;
  fail: boolean;
  children: TreeNode[];
}

interface Cancellation {
  target: number; // an index into the preorder list of nodes (mod its length)
  atMs: number; // 10k + 5
}

class NodeFailure extends Error {
  readonly id: number;
  constructor(id: number) {
    super(`node ${id} failed`);
    this.id = id;
  }
}

function nodeArbitrary(depth: number): fc.Arbitrary<TreeNode> {
  return fc.record({
    delayMs: fc.integer({ min: 0, max: 5 }).map((k) => k * 10),
    fail: fc.boolean(),
    children: depth === 0 ? fc.constant([]) : fc.array(nodeArbitrary(depth - 1), { maxLength: 4 }),
  });
}

const anyTree = nodeArbitrary(3);
const anyCancellations = fc.uniqueArray(
  fc.record({
    target: fc.nat({ max: 200 }),
    atMs: fc.integer({ min: 0, max: 6 }).map((k) => k * 10 + 5),
  }),
  { maxLength: 4, selector: (cancellation) => cancellation.atMs },
);

/** The nodes in preorder; a node's id is its index here. */
function preorder(root: TreeNode): TreeNode[] {
  const nodes: TreeNode[] = [];
  const visit = (node: TreeNode): void => {
    nodes.push(node);
    for (const child of node.children) visit(child);
  };
  visit(root);
  return nodes;
}

type Outcome =
  | { kind: 'value'; value: number }
  | { kind: 'failure'; id: number }
  | { kind: 'cancelled' };

/** What each node ends with, by id: the model. */
function model(root: TreeNode, cancellations: Cancellation[]): Map<number, Outcome> {
  const nodes = preorder(root);
  const ownCancel = new Map<number, number>();
  for (const { target, atMs } of cancellations) {
    const id = target % nodes.length;
    ownCancel.set(id, Math.min(ownCancel.get(id) ?? Number.POSITIVE_INFINITY, atMs));
  }
  const outcomes = new Map<number, Outcome>();
  let next = 0;
  /** Returns the node's finish time. */
  const visit = (node: TreeNode, inheritedCancel: number): number => {
    const id = next++;
    const cancelAt = Math.min(ownCancel.get(id) ?? Number.POSITIVE_INFINITY, inheritedCancel);
    let finish = node.delayMs;
    for (const child of node.children) finish = Math.max(finish, visit(child, cancelAt));
    if (cancelAt <= finish) {
      // equal: a child cancelled by this very cancellation
      outcomes.set(id, { kind: 'cancelled' });
      return cancelAt;
    }
    outcomes.set(id, node.fail ? { kind: 'failure', id } : { kind: 'value', value: id });
    return finish;
  };
  visit(root, Number.POSITIVE_INFINITY);
  return outcomes;
}

/** Runs the tree; returns each node's task, the failures observed, and run()'s outcome. */
async function runTree(tree: TreeNode, cancellations: Cancellation[]) {
  const loop = new VirtualLoop({ autojump: true });
  const root = structuredClone(tree); // one object per node (fast-check may share some), so ids are unique
  const nodes = preorder(root);
  const ids = new Map(nodes.map((node, index) => [node, index]));
  const tasks = new Map<number, Task<unknown>>();
  const observed: number[] = [];

  const observe = (children: Task<number>[]): void => {
    for (const child of children) {
      if (child.cancelled()) continue;
      const error = child.exception();
      if (error instanceof NodeFailure) observed.push(error.id);
      else if (error !== null) throw error; // not a failure of the model: surfaces in run()
    }
  };

  const body = async (node: TreeNode): Promise<number> => {
    const id = ids.get(node) as number;
    tasks.set(id, currentTask() as Task<unknown>);
    const children = node.children.map((child) => createTask(() => body(child)));
    try {
      await sleep(node.delayMs);
      await gather(children, { returnExceptions: true });
    } catch (error) {
      // Cancelled (the only error possible above): stop the subtree, wait for it.
      for (const child of children) child.cancel();
      await gather(children, { returnExceptions: true });
      observe(children);
      throw error;
    }
    observe(children);
    if (node.fail) throw new NodeFailure(id);
    return id;
  };

  for (const { target, atMs } of cancellations) {
    loop.callAt(atMs, () => tasks.get(target % nodes.length)?.cancel());
  }
  let runOutcome: Outcome;
  try {
    runOutcome = { kind: 'value', value: await run(() => body(root), { loop }) };
  } catch (error) {
    if (error instanceof NodeFailure) {
      observed.push(error.id); // the root's failure is observed by whoever called run()
      runOutcome = { kind: 'failure', id: error.id };
    } else if (error instanceof CancelledError) runOutcome = { kind: 'cancelled' };
    else throw error;
  }
  return { loop, tasks, observed, runOutcome };
}

function outcomeOf(task: Task<unknown>): Outcome {
  if (task.cancelled()) return { kind: 'cancelled' };
  const error = task.exception();
  if (error instanceof NodeFailure) return { kind: 'failure', id: error.id };
  if (error !== null) throw error;
  return { kind: 'value', value: task.result() as number };
}

const ascending = (a: number, b: number): number => a - b;

function sortedEntries<T>(map: Map<number, T>): [number, T][] {
  return [...map].sort(([a], [b]) => a - b);
}

function outcomesById(tasks: Map<number, Task<unknown>>): [number, Outcome][] {
  return sortedEntries(new Map([...tasks].map(([id, task]) => [id, outcomeOf(task)])));
}

describe('random task trees', () => {
  it('end as the model says, leave no task pending, and every failure is observed exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(anyTree, anyCancellations, async (root, cancellations) => {
        const expected = model(root, cancellations);

        const { loop, tasks, observed, runOutcome } = await runTree(root, cancellations);

        expect(allTasks(loop).size).toBe(0);
        expect(outcomesById(tasks)).toEqual(sortedEntries(expected));
        expect(runOutcome).toEqual(expected.get(0));
        const failures = [...expected]
          .filter(([, outcome]) => outcome.kind === 'failure')
          .map(([id]) => id);
        expect(observed.toSorted(ascending)).toEqual(failures.toSorted(ascending));
      }),
      { numRuns: 1_000 },
    );
  });

  it('matches the model on a fixed example: a cancelled parent waits for its cancelled subtree', async () => {
    const leaf = (delayMs: number, fail: boolean): TreeNode => ({ delayMs, fail, children: [] });
    const root: TreeNode = {
      delayMs: 10,
      fail: false,
      children: [
        { delayMs: 40, fail: true, children: [leaf(10, true), leaf(50, false)] },
        leaf(20, true),
      ],
    };
    const cancellations = [{ target: 1, atMs: 25 }]; // node 1 (the inner parent) at 25 ms

    const { loop, tasks, observed } = await runTree(root, cancellations);

    expect(model(root, cancellations)).toEqual(
      new Map<number, Outcome>([
        [0, { kind: 'value', value: 0 }],
        [1, { kind: 'cancelled' }],
        [2, { kind: 'failure', id: 2 }],
        [3, { kind: 'cancelled' }],
        [4, { kind: 'failure', id: 4 }],
      ]),
    );
    expect(outcomesById(tasks)).toEqual(sortedEntries(model(root, cancellations)));
    expect(observed.toSorted(ascending)).toEqual([2, 4]);
    expect(loop.time()).toBe(25);
  });
});
