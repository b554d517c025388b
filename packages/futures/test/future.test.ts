/*
 * Future: asyncio's test_futures.py behaviour, in coro's terms. Callbacks run on a
 * VirtualLoop that the tests step with `advance(0)`, so "not yet" and "now" are exact.
 */
import { type ExceptionContext, getRunningLoop, VirtualLoop } from '@coro/loop';
import { describe, expect, it } from 'vitest';
import { CancelledError, Future, InvalidStateError, run, sleep } from '../src/index.js';

/** Records what reaches `loop`'s exception handler. */
function collectExceptions(loop: VirtualLoop): ExceptionContext[] {
  const seen: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => {
    seen.push(context);
  });
  return seen;
}

describe('Future state', () => {
  it('starts pending: neither done nor cancelled', () => {
    const future = new Future({ loop: new VirtualLoop() });

    expect(future.done()).toBe(false);
    expect(future.cancelled()).toBe(false);
  });

  it('throws InvalidStateError from result() and exception() while pending', () => {
    const future = new Future({ loop: new VirtualLoop() });

    expect(() => future.result()).toThrow(InvalidStateError);
    expect(() => future.result()).toThrow(/result\(\) called on a pending Future/);
    expect(() => future.exception()).toThrow(InvalidStateError);
    expect(() => future.exception()).toThrow(/exception\(\) called on a pending Future/);
  });

  it('holds the result after setResult: result() returns it, exception() returns null', () => {
    const future = new Future<string>({ loop: new VirtualLoop() });

    future.setResult('pong');

    expect(future.done()).toBe(true);
    expect(future.cancelled()).toBe(false);
    expect(future.result()).toBe('pong');
    expect(future.exception()).toBeNull();
  });

  it('holds the exception after setException: result() throws it, exception() returns it', () => {
    const future = new Future<string>({ loop: new VirtualLoop() });
    const failure = new RangeError('out of range');

    future.setException(failure);

    expect(future.done()).toBe(true);
    expect(future.cancelled()).toBe(false);
    expect(() => future.result()).toThrow(failure);
    expect(future.exception()).toBe(failure);
  });

  it('accepts a non-Error value as the exception, as Promises accept any rejection reason', () => {
    const future = new Future({ loop: new VirtualLoop() });

    future.setException('plain string');

    expect(future.exception()).toBe('plain string');
  });

  it('is cancelled after cancel(): result() and exception() throw CancelledError', () => {
    const future = new Future({ loop: new VirtualLoop() });

    expect(future.cancel()).toBe(true);

    expect(future.done()).toBe(true);
    expect(future.cancelled()).toBe(true);
    expect(() => future.result()).toThrow(CancelledError);
    expect(() => future.exception()).toThrow(CancelledError);
  });

  it("gives CancelledError the cancel(msg) text as its message, '' without one", () => {
    const withMessage = new Future({ loop: new VirtualLoop() });
    const withoutMessage = new Future({ loop: new VirtualLoop() });

    withMessage.cancel('shutting down');
    withoutMessage.cancel();

    expect(() => withMessage.result()).toThrow(new CancelledError('shutting down'));
    expect(() => withMessage.exception()).toThrow(new CancelledError('shutting down'));
    expect(() => withoutMessage.result()).toThrow(new CancelledError(''));
  });

  it('returns false from cancel() once done, and keeps its outcome', () => {
    const fulfilled = new Future<number>({ loop: new VirtualLoop() });
    const cancelled = new Future<number>({ loop: new VirtualLoop() });
    fulfilled.setResult(1);
    cancelled.cancel('first');

    expect(fulfilled.cancel()).toBe(false);
    expect(cancelled.cancel('second')).toBe(false);

    expect(fulfilled.result()).toBe(1);
    expect(() => cancelled.result()).toThrow(new CancelledError('first'));
  });

  it.each([
    ['fulfilled', (future: Future<number>) => future.setResult(1)],
    ['rejected', (future: Future<number>) => future.setException(new Error('boom'))],
    ['cancelled', (future: Future<number>) => future.cancel()],
  ])('throws InvalidStateError from setResult and setException once %s', (state, complete) => {
    const future = new Future<number>({ loop: new VirtualLoop() });
    complete(future);

    expect(() => future.setResult(2)).toThrow(InvalidStateError);
    expect(() => future.setResult(2)).toThrow(
      `setResult() called on a Future that is already ${state}`,
    );
    expect(() => future.setException(new Error('late'))).toThrow(InvalidStateError);
    expect(() => future.setException(new Error('late'))).toThrow(
      `setException() called on a Future that is already ${state}`,
    );
  });

  it('rejects setException(CancelledError) with a TypeError: cancel() is the way to cancel', () => {
    const future = new Future({ loop: new VirtualLoop() });

    expect(() => future.setException(new CancelledError('no'))).toThrow(TypeError);
    expect(() => future.setException(new CancelledError('no'))).toThrow(/call cancel\(\)/);
    expect(future.done()).toBe(false);
  });

  it('binds to the loop it is given, else to the running loop', async () => {
    const given = new VirtualLoop();
    const running = new VirtualLoop({ autojump: true });

    const explicit = new Future({ loop: given });
    // Wrapped: returning the Future itself would make the task adopt (await) it.
    const { implicit } = await run(async () => ({ implicit: new Future() }), { loop: running });

    expect(explicit.getLoop()).toBe(given);
    expect(implicit.getLoop()).toBe(running);
  });

  it("describes itself by name and state: Future 'reply' pending", () => {
    const named = new Future<string>({ loop: new VirtualLoop(), name: 'reply' });
    const anonymous = new Future({ loop: new VirtualLoop() });

    expect(named.describe()).toBe("Future 'reply' pending");
    expect(Object.prototype.toString.call(named)).toBe("[object Future 'reply' pending]");
    named.setResult('ok');
    anonymous.cancel();
    expect(named.describe()).toBe("Future 'reply' fulfilled");
    expect(anonymous.describe()).toBe('Future cancelled');
  });
});

describe('Future done callbacks', () => {
  it('never calls a callback inline: it runs on the loop after completion', async () => {
    const loop = new VirtualLoop();
    const future = new Future<number>({ loop });
    const trace: string[] = [];
    future.addDoneCallback(() => trace.push('callback'));

    future.setResult(1);
    trace.push('setResult returned');
    await loop.advance(0);

    expect(trace).toEqual(['setResult returned', 'callback']);
  });

  it('calls callbacks with the future, in registration order, queued with other callSoon work', async () => {
    const loop = new VirtualLoop();
    const future = new Future<number>({ loop });
    const trace: string[] = [];
    future.addDoneCallback((done) => trace.push(`first ${done.result()}`));
    future.addDoneCallback((done) => trace.push(`second ${done === future}`));
    future.addDoneCallback(() => trace.push('third'));
    loop.callSoon(() => trace.push('callSoon before'));

    future.setResult(7);
    loop.callSoon(() => trace.push('callSoon after'));
    await loop.advance(0);

    expect(trace).toEqual(['callSoon before', 'first 7', 'second true', 'third', 'callSoon after']);
  });

  it('schedules a callback added to a done future (still not inline)', async () => {
    const loop = new VirtualLoop();
    const future = new Future<number>({ loop });
    future.cancel();
    const trace: string[] = [];

    future.addDoneCallback((done) => trace.push(`cancelled=${done.cancelled()}`));
    trace.push('added');
    await loop.advance(0);

    expect(trace).toEqual(['added', 'cancelled=true']);
  });

  it('runs callbacks for every way of completing: result, exception, cancel', async () => {
    const loop = new VirtualLoop();
    const futures = [new Future({ loop }), new Future({ loop }), new Future({ loop })];
    const calls: number[] = [];
    for (const [index, future] of futures.entries())
      future.addDoneCallback(() => calls.push(index));

    futures[0]?.setResult('ok');
    futures[1]?.setException(new Error('boom'));
    futures[2]?.cancel();
    await loop.advance(0);

    expect(calls).toEqual([0, 1, 2]);
    futures[1]?.exception(); // retrieved: no report when collected
  });

  it('removeDoneCallback removes every registration of the callback and returns the count', async () => {
    const loop = new VirtualLoop();
    const future = new Future<number>({ loop });
    const trace: string[] = [];
    const twice = () => trace.push('twice');
    const kept = () => trace.push('kept');
    future.addDoneCallback(twice);
    future.addDoneCallback(kept);
    future.addDoneCallback(twice);

    const removed = future.removeDoneCallback(twice);
    future.setResult(1);
    await loop.advance(0);

    expect(removed).toBe(2);
    expect(trace).toEqual(['kept']);
  });

  it('removeDoneCallback returns 0 for a callback that was never added', () => {
    const future = new Future({ loop: new VirtualLoop() });
    future.addDoneCallback(() => {});

    expect(future.removeDoneCallback(() => {})).toBe(0);
  });

  it('removeDoneCallback returns 0 once the future is done: its callbacks are already scheduled', async () => {
    const loop = new VirtualLoop();
    const future = new Future<number>({ loop });
    const trace: string[] = [];
    const callback = () => trace.push('callback');
    future.addDoneCallback(callback);
    future.setResult(1);

    expect(future.removeDoneCallback(callback)).toBe(0);
    await loop.advance(0);
    expect(trace).toEqual(['callback']);
  });

  it('keeps the order of the remaining callbacks after a removal', async () => {
    const loop = new VirtualLoop();
    const future = new Future<number>({ loop });
    const trace: string[] = [];
    const removed = () => trace.push('removed');
    future.addDoneCallback(removed);
    future.addDoneCallback(() => trace.push('a'));
    future.addDoneCallback(() => trace.push('b'));
    future.addDoneCallback(() => trace.push('c'));

    future.removeDoneCallback(removed);
    future.addDoneCallback(() => trace.push('d'));
    future.setResult(1);
    await loop.advance(0);

    expect(trace).toEqual(['a', 'b', 'c', 'd']);
  });

  it('reports an error thrown by a callback to the exception handler and runs the next one', async () => {
    const loop = new VirtualLoop();
    const seen = collectExceptions(loop);
    const future = new Future<number>({ loop });
    const failure = new Error('callback failed');
    const trace: string[] = [];
    future.addDoneCallback(() => {
      throw failure;
    });
    future.addDoneCallback(() => trace.push('next'));

    future.setResult(1);
    await loop.advance(0);

    expect(trace).toEqual(['next']);
    expect(seen.map((context) => context.exception)).toEqual([failure]);
  });

  it('rejects a callback that is not a function with a TypeError naming callback', () => {
    const future = new Future({ loop: new VirtualLoop() });

    expect(() => future.addDoneCallback('nope' as never)).toThrow(TypeError);
    expect(() => future.addDoneCallback('nope' as never)).toThrow(
      /^callback must be a function; got "nope"/,
    );
  });
});

describe('Future as a PromiseLike', () => {
  it('resolves await with the result', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const future = new Future<string>({ loop });
    loop.callSoon(() => future.setResult('pong'));

    expect(await future).toBe('pong');
  });

  it('rejects await with the exception, and counts that as retrieving it', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const future = new Future<string>({ loop });
    const failure = new TypeError('bad reply');
    loop.callSoon(() => future.setException(failure));

    await expect(future).rejects.toBe(failure);
  });

  it('rejects await of a cancelled future with CancelledError carrying the message', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const future = new Future<string>({ loop });
    loop.callSoon(() => future.cancel('no reply'));

    const error = await Promise.resolve(future).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).message).toBe('no reply');
  });

  it('returns a working PromiseLike from then(): chains transform the value', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const future = new Future<number>({ loop });

    const chained = future.then((value) => value * 2).then((value) => `${value}!`);
    future.setResult(21);

    expect(await chained).toBe('42!');
  });

  it('routes a rejection to then(_, onRejected) and catch(), whose value continues the chain', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const failing = new Future<number>({ loop });
    const caught = new Future<number>({ loop });

    const recovered = failing.then(
      () => 'fulfilled',
      (error) => `recovered from ${(error as Error).message}`,
    );
    const viaCatch = caught.catch((error) => `caught ${(error as Error).message}`);
    failing.setException(new Error('first'));
    caught.setException(new Error('second'));

    expect(await recovered).toBe('recovered from first');
    expect(await viaCatch).toBe('caught second');
  });

  it('rejects the chained PromiseLike when a then() callback throws', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const future = new Future<number>({ loop });
    const failure = new Error('callback threw');

    const chained = future.then(() => {
      throw failure;
    });
    future.setResult(1);

    await expect(Promise.resolve(chained)).rejects.toBe(failure);
  });

  it('reports a then() rejection nobody chains on to the exception handler', async () => {
    const loop = new VirtualLoop();
    const seen = collectExceptions(loop);
    const future = new Future<number>({ loop });
    const failure = new Error('lost');

    future.then((value) => value);
    future.setException(failure);
    await loop.advance(0);

    expect(seen).toHaveLength(1);
    expect(seen[0]?.exception).toBe(failure);
    expect(seen[0]?.message).toMatch(/Unhandled rejection of a Future awaited with then\(\)/);
  });

  it('resolves await of an already-done future without a loop iteration', async () => {
    const loop = new VirtualLoop({ autojump: true });
    const trace: string[] = [];

    await run(
      async () => {
        const future = new Future<number>();
        future.setResult(1);
        getRunningLoop().callSoon(() => trace.push('callback'));
        trace.push(`got ${await future}`);
        await sleep(0);
      },
      { loop },
    );

    expect(trace).toEqual(['got 1', 'callback']);
  });

  it('resolves await of an already-done future outside any task without running the loop', async () => {
    const loop = new VirtualLoop(); // never advanced: the loop cannot run a thing
    const future = new Future<string>({ loop });
    future.setResult('ready');

    expect(await future).toBe('ready');
    expect(loop.readyCount).toBe(0);
  });

  it('rejects await of a pending future whose loop is closed instead of hanging', async () => {
    const loop = new VirtualLoop();
    const future = new Future({ loop });
    loop.close();

    await expect(Promise.resolve(future)).rejects.toThrow(/loop is closed/);
  });
});
