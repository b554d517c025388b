/*
 * taskGroup under random children (sleeps, failures, failures while being cancelled),
 * a body that may fail, and an outside cancellation: the ExceptionGroup holds exactly
 * the failures that happened, in the order they happened; none is lost.
 *
 * Timing classes keep the model exact: children finish at multiples of 10 ms, the body
 * at 10k + 3, the outside cancellation lands at 10k + 5.
 */
import { VirtualLoop } from '@coro/loop';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  ExceptionGroup,
  run,
  sleep,
  type Task,
  taskGroup,
} from '../src/index.js';

interface Child {
  delayMs: number;
  fail: boolean;
  failOnCancel: boolean;
}

interface Scenario {
  children: Child[];
  bodyDelayMs: number;
  bodyFails: boolean;
  outsideCancelAtMs: number | null;
}

class ChildFailure extends Error {
  constructor(readonly label: string) {
    super(label);
  }
}

const anyScenario: fc.Arbitrary<Scenario> = fc.record({
  children: fc.array(
    fc.record({
      delayMs: fc.integer({ min: 0, max: 5 }).map((k) => k * 10),
      fail: fc.boolean(),
      failOnCancel: fc.boolean(),
    }),
    { maxLength: 6 },
  ),
  bodyDelayMs: fc.integer({ min: 0, max: 6 }).map((k) => k * 10 + 3),
  bodyFails: fc.boolean(),
  outsideCancelAtMs: fc.option(fc.integer({ min: 0, max: 6 }).map((k) => k * 10 + 5)),
});

type Expected = { kind: 'value' } | { kind: 'cancelled' } | { kind: 'group'; labels: string[] };

/** The model: what the group ends with and what each child ends with. */
function model(scenario: Scenario): { group: Expected; children: string[] } {
  const { children, bodyDelayMs, bodyFails, outsideCancelAtMs } = scenario;
  const firstChildFailure = Math.min(
    ...children.filter((child) => child.fail).map((child) => child.delayMs),
    Number.POSITIVE_INFINITY,
  );
  const bodyFailure = bodyFails ? bodyDelayMs : Number.POSITIVE_INFINITY;
  // An outside cancellation after the group returned finds the runner done: no effect.
  const naturalEnd = Math.max(bodyDelayMs, ...children.map((child) => child.delayMs));
  const outsideCancel =
    outsideCancelAtMs !== null && outsideCancelAtMs < naturalEnd
      ? outsideCancelAtMs
      : Number.POSITIVE_INFINITY;
  const abortAt = Math.min(firstChildFailure, bodyFailure, outsideCancel);

  const labels: string[] = [];
  const outcomes = children.map((child, index) => {
    if (child.delayMs <= abortAt) {
      if (!child.fail) return 'value';
      labels.push(`child ${index}`); // fails at the first failure's time: before the abort
      return `failed: child ${index}`;
    }
    return child.failOnCancel ? `failed: child ${index} on cancel` : 'cancelled';
  });
  // Failures while being cancelled come after, in the order the children were created.
  children.forEach((child, index) => {
    if (child.delayMs > abortAt && child.failOnCancel) labels.push(`child ${index} on cancel`);
  });
  if (bodyFailure === abortAt && abortAt !== Number.POSITIVE_INFINITY) labels.push('body');
  if (labels.length > 0) return { group: { kind: 'group', labels }, children: outcomes };
  if (outsideCancel === abortAt && abortAt !== Number.POSITIVE_INFINITY) {
    return { group: { kind: 'cancelled' }, children: outcomes };
  }
  return { group: { kind: 'value' }, children: outcomes };
}

async function runScenario(scenario: Scenario) {
  const loop = new VirtualLoop({ autojump: true });
  const tasks: Task<string>[] = [];
  const body = async (group: Parameters<Parameters<typeof taskGroup>[0]>[0]): Promise<string> => {
    scenario.children.forEach((child, index) => {
      tasks.push(
        group.createTask(async () => {
          try {
            await sleep(child.delayMs);
          } catch (error) {
            if (child.failOnCancel) throw new ChildFailure(`child ${index} on cancel`);
            throw error;
          }
          if (child.fail) throw new ChildFailure(`child ${index}`);
          return 'value';
        }),
      );
    });
    await sleep(scenario.bodyDelayMs);
    if (scenario.bodyFails) throw new ChildFailure('body');
    return 'body value';
  };

  let outcome: Expected;
  try {
    await run(
      async () => {
        const runner = createTask(() => taskGroup(body));
        if (scenario.outsideCancelAtMs !== null)
          loop.callAt(scenario.outsideCancelAtMs, () => runner.cancel());
        return await runner;
      },
      { loop },
    );
    outcome = { kind: 'value' };
  } catch (error) {
    if (error instanceof ExceptionGroup) {
      outcome = { kind: 'group', labels: error.errors.map((each) => (each as ChildFailure).label) };
    } else if (error instanceof CancelledError) outcome = { kind: 'cancelled' };
    else throw error;
  }
  const children = tasks.map((task) => {
    if (task.cancelled()) return 'cancelled';
    const error = task.exception();
    return error === null ? task.result() : `failed: ${(error as ChildFailure).label}`;
  });
  return { loop, outcome, children };
}

describe('taskGroup (property)', () => {
  it('surfaces every failure that happened, in order, none lost, and leaves nothing pending', async () => {
    await fc.assert(
      fc.asyncProperty(anyScenario, async (scenario) => {
        const expected = model(scenario);

        const { loop, outcome, children } = await runScenario(scenario);

        expect(allTasks(loop).size).toBe(0);
        expect(children).toEqual(expected.children);
        expect(outcome).toEqual(expected.group);
      }),
      { numRuns: 1_000 },
    );
  });

  it('surfaces simultaneous failures and failures during the cancellation they cause (fixed example)', async () => {
    const scenario: Scenario = {
      children: [
        { delayMs: 20, fail: true, failOnCancel: false },
        { delayMs: 40, fail: false, failOnCancel: true },
        { delayMs: 20, fail: true, failOnCancel: true },
        { delayMs: 50, fail: true, failOnCancel: false },
        { delayMs: 10, fail: false, failOnCancel: true },
      ],
      bodyDelayMs: 33,
      bodyFails: true,
      outsideCancelAtMs: 45,
    };

    const { outcome, children } = await runScenario(scenario);

    expect(outcome).toEqual({ kind: 'group', labels: ['child 0', 'child 2', 'child 1 on cancel'] });
    expect(children).toEqual([
      'failed: child 0',
      'failed: child 1 on cancel',
      'failed: child 2',
      'cancelled',
      'value',
    ]);
    expect(model(scenario)).toEqual({ group: outcome, children });
  });
});
