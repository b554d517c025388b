/*
 * captureCallGraph / formatCallGraph (Python 3.14's capture_call_graph): what each
 * task waits for, who awaits whom; and VirtualLoop's deadlock report built on it.
 * Times come from a VirtualLoop stepped with advance(), so "ms left" is exact.
 */
import { DeadlockError, type ExceptionContext, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import {
  type CallGraph,
  captureCallGraph,
  createTask,
  Future,
  formatCallGraph,
  gather,
  run,
  sleep,
} from '../src/index.js';

interface Shape {
  description: string;
  awaitedBy: Shape[];
}

/** The graph without its `future` fields, to compare descriptions and edges. */
function shape(graph: CallGraph | undefined): Shape | undefined {
  if (graph === undefined) return undefined;
  return {
    description: graph.description,
    awaitedBy: graph.awaitedBy.map((child) => shape(child) as Shape),
  };
}

describe('captureCallGraph', () => {
  it('describes a sleeping task with the time left on the sleep: sleep(500 ms, 320 ms left)', async () => {
    const loop = new VirtualLoop();
    const sleeper = createTask(() => sleep(500), { loop, name: 'sleeper' });

    await loop.advance(180);

    expect(shape(captureCallGraph(sleeper))).toEqual({
      description: "Task 'sleeper' waiting for sleep(500 ms, 320 ms left)",
      awaitedBy: [],
    });
    sleeper.cancel();
    await loop.advance(0);
  });

  it("describes a task waiting on a named future: Future 'reply' pending", async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop, name: 'reply' });
    const waiter = createTask(() => reply, { loop, name: 'waiter' });

    await loop.advance(0);

    expect(captureCallGraph(waiter)?.description).toBe(
      "Task 'waiter' waiting for Future 'reply' pending",
    );
    reply.setResult('ok');
    await loop.advance(0);
  });

  it('follows awaitedBy from a future through the chain of tasks awaiting it', async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop, name: 'reply' });
    const inner = createTask(() => reply, { loop, name: 'inner' });
    const outer = createTask(() => inner, { loop, name: 'outer' });
    await loop.advance(0);

    const graph = captureCallGraph(reply);

    expect(graph?.future).toBe(reply);
    expect(graph?.awaitedBy[0]?.future).toBe(inner);
    expect(graph?.awaitedBy[0]?.awaitedBy[0]?.future).toBe(outer);
    expect(shape(graph)).toEqual({
      description: "Future 'reply' pending",
      awaitedBy: [
        {
          description: "Task 'inner' waiting for Future 'reply' pending",
          awaitedBy: [
            {
              description: expect.stringMatching(/^Task 'outer' waiting for Task 'inner'/),
              awaitedBy: [],
            },
          ],
        },
      ],
    });
    reply.setResult('ok');
    await loop.advance(0);
  });

  it('lists every task awaiting the same future', async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop, name: 'reply' });
    const first = createTask(() => reply, { loop, name: 'first' });
    const second = createTask(() => reply, { loop, name: 'second' });
    await loop.advance(0);

    const awaitedBy = captureCallGraph(reply)?.awaitedBy.map((graph) => graph.future);

    expect(awaitedBy).toEqual([first, second]);
    reply.setResult('ok');
    await loop.advance(0);
  });

  it('goes through gather: a child is awaited by the gather, which is awaited by its task', async () => {
    const loop = new VirtualLoop();
    const a = createTask(() => sleep(100), { loop, name: 'a' });
    const b = createTask(() => sleep(200), { loop, name: 'b' });
    const parent = createTask(() => gather([a, b]), { loop, name: 'parent' });
    await loop.advance(0);

    const graph = captureCallGraph(a);

    expect(graph?.awaitedBy).toHaveLength(1);
    expect(graph?.awaitedBy[0]?.description).toBe('gather(2 awaitables, 2 pending)');
    expect(graph?.awaitedBy[0]?.awaitedBy.map((each) => each.future)).toEqual([parent]);
    await loop.advance(200);
    expect(parent.result()).toEqual([undefined, undefined]);
  });

  it('is the current task graph without an argument inside a task, undefined outside one', async () => {
    const inside = await run(
      async () => {
        const graph = captureCallGraph();
        return { graph };
      },
      { loop: new VirtualLoop({ autojump: true }) },
    );

    expect(inside.graph?.description).toMatch(/^Task 'Task-\d+'/);
    expect(inside.graph?.awaitedBy).toEqual([]);
    expect(captureCallGraph()).toBeUndefined();
  });

  it('rejects something that is not a future with a TypeError', () => {
    expect(() => captureCallGraph({} as never)).toThrow(TypeError);
  });
});

describe('formatCallGraph', () => {
  it('indents who awaits a future, as Python prints format_call_graph', async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop, name: 'reply' });
    const inner = createTask(() => reply, { loop, name: 'inner' });
    createTask(() => inner, { loop, name: 'outer' });
    await loop.advance(0);

    const text = formatCallGraph(reply);

    expect(text.split('\n')).toEqual([
      "* Future 'reply' pending",
      '  awaited by:',
      "  * Task 'inner' waiting for Future 'reply' pending",
      '    awaited by:',
      expect.stringMatching(/^ {4}\* Task 'outer' waiting for Task 'inner'/),
    ]);
    reply.setResult('ok');
    await loop.advance(0);
  });

  it("lists a loop's pending tasks, each under the task that waits for it", async () => {
    const loop = new VirtualLoop();
    const reply = new Future<string>({ loop, name: 'reply' });
    const inner = createTask(() => reply, { loop, name: 'inner' });
    createTask(() => inner, { loop, name: 'outer' });
    const sleeper = createTask(() => sleep(500), { loop, name: 'sleeper' });
    await loop.advance(180);

    const text = formatCallGraph(undefined, { loop });

    expect(text.split('\n')).toEqual([
      '3 pending tasks:',
      expect.stringMatching(/^\* Task 'outer' waiting for Task 'inner'/),
      "  * Task 'inner' waiting for Future 'reply' pending",
      "* Task 'sleeper' waiting for sleep(500 ms, 320 ms left)",
    ]);
    reply.setResult('ok');
    sleeper.cancel();
    await loop.advance(0);
  });
});

describe('deadlock detection on a VirtualLoop', () => {
  it('rejects the run with DeadlockError instead of hanging, and gives the exception handler the graph', async () => {
    const loop = new VirtualLoop({ autojump: true, deadlockTimeoutMs: 50 });
    const seen: ExceptionContext[] = [];
    loop.setExceptionHandler((_loop, context) => {
      seen.push(context);
    });

    const outcome = run(
      async () => {
        await new Future<string>({ name: 'never' });
      },
      { loop },
    );

    const error = await outcome.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DeadlockError);
    expect((error as DeadlockError).diagnosis).toMatch(/waiting for Future 'never' pending/);
    const report = seen.find((context) => context.exception === error);
    expect(report?.callGraph).toBe((error as DeadlockError).diagnosis);
  });

  it('does not call a long sleep a deadlock: the clock jumps to it', async () => {
    const loop = new VirtualLoop({ autojump: true, deadlockTimeoutMs: 50 });

    const value = await run(() => sleep(3_600_000, 'an hour later'), { loop });

    expect(value).toBe('an hour later');
    expect(loop.time()).toBe(3_600_000);
  });
});
