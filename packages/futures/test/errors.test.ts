/*
 * The error classes of @coro/futures, and bad arguments across its API: each throws
 * TypeError (wrong kind) or RangeError (wrong value) as
 * `<argument> must be <expectation>; got <value>` (STYLE §5).
 */
import { describe, expect, it } from 'vitest';
import {
  allTasks,
  CancelledError,
  createTask,
  ExceptionGroup,
  ensureFuture,
  Future,
  InvalidStateError,
  Runner,
  sleep,
  TimeoutError,
} from '../src/index.js';

describe('error classes', () => {
  it.each([
    ['CancelledError', CancelledError],
    ['TimeoutError', TimeoutError],
    ['InvalidStateError', InvalidStateError],
  ] as const)(
    '%s has its name (on the prototype), is an Error, and keeps its message',
    (name, ErrorClass) => {
      const error = new ErrorClass('what happened');

      expect(error.name).toBe(name);
      expect(Object.hasOwn(error, 'name')).toBe(false);
      expect(error).toBeInstanceOf(ErrorClass);
      expect(error).toBeInstanceOf(Error);
      expect(error.message).toBe('what happened');
      expect(String(error)).toBe(`${name}: what happened`);
    },
  );

  it('TimeoutError has a default message and keeps a cause', () => {
    const cause = new CancelledError('inner');

    const error = new TimeoutError(undefined, { cause });

    expect(error.message).toBe('the operation timed out');
    expect(error.cause).toBe(cause);
  });

  it('CancelledError and TimeoutError are distinct: neither is an instance of the other', () => {
    expect(new CancelledError()).not.toBeInstanceOf(TimeoutError);
    expect(new TimeoutError()).not.toBeInstanceOf(CancelledError);
  });
});

describe('ExceptionGroup', () => {
  it('is an AggregateError named ExceptionGroup, with errors and their alias exceptions', () => {
    const first = new RangeError('a');
    const second = new TypeError('b');

    const group = new ExceptionGroup('two failures', [first, second]);

    expect(group).toBeInstanceOf(AggregateError);
    expect(group).toBeInstanceOf(Error);
    expect(group.name).toBe('ExceptionGroup');
    expect(group.message).toBe('two failures');
    expect(group.errors).toEqual([first, second]);
    expect(group.exceptions).toBe(group.errors);
  });

  it('accepts any iterable of errors and keeps a cause', () => {
    const cause = new Error('root');
    const errors = new Set([new Error('x')]);

    const group = new ExceptionGroup('from a set', errors, { cause });

    expect(group.errors).toEqual([...errors]);
    expect(group.cause).toBe(cause);
  });

  it('rejects an empty list with a TypeError naming errors', () => {
    expect(() => new ExceptionGroup('none', [])).toThrow(TypeError);
    expect(() => new ExceptionGroup('none', [])).toThrow(
      /^errors must hold at least one error; got none$/,
    );
  });

  it('subgroup() keeps the matching errors, searching nested groups, or returns undefined', () => {
    const range = new RangeError('r');
    const type = new TypeError('t');
    const nestedType = new TypeError('nested t');
    const nested = new ExceptionGroup('inner', [nestedType, new RangeError('nested r')]);
    const group = new ExceptionGroup('outer', [range, type, nested]);

    const types = group.subgroup((error) => error instanceof TypeError);
    const none = group.subgroup((error) => error instanceof SyntaxError);

    expect(types).toBeInstanceOf(ExceptionGroup);
    expect(types?.message).toBe('outer');
    expect(types?.errors[0]).toBe(type);
    expect(types?.errors[1]).toBeInstanceOf(ExceptionGroup);
    const nestedTypes = types?.errors[1] as ExceptionGroup | undefined;
    expect(nestedTypes?.message).toBe('inner');
    expect(nestedTypes?.errors).toEqual([nestedType]);
    expect(none).toBeUndefined();
  });

  it('split() returns [matching, rest], each a group of the same shape or undefined', () => {
    const range = new RangeError('r');
    const type = new TypeError('t');
    const nestedRange = new RangeError('nested r');
    const group = new ExceptionGroup('outer', [
      range,
      type,
      new ExceptionGroup('inner', [nestedRange]),
    ]);

    const [ranges, rest] = group.split((error) => error instanceof RangeError);
    const [all, nothing] = group.split((error) => error instanceof Error);

    expect(ranges?.errors[0]).toBe(range);
    expect((ranges?.errors[1] as ExceptionGroup | undefined)?.errors).toEqual([nestedRange]);
    expect(rest?.errors).toEqual([type]);
    expect(all).toBe(group); // the predicate matches the group itself
    expect(nothing).toBeUndefined();
  });

  it('split() keeps the cause on both halves', () => {
    const cause = new Error('root');
    const group = new ExceptionGroup('outer', [new RangeError('r'), new TypeError('t')], { cause });

    const [match, rest] = group.split((error) => error instanceof RangeError);

    expect(match?.cause).toBe(cause);
    expect(rest?.cause).toBe(cause);
  });
});

describe('bad arguments', () => {
  it.each([
    [42, /^body must be a function; got 42$/],
    ['run me', /^body must be a function; got "run me" \(a string\)$/],
    [null, /^body must be a function; got null$/],
    [Promise.resolve(1), /^body must be a function; got a Promise$/],
  ])('createTask(%s) throws a TypeError naming body', (body, message) => {
    expect(() => createTask(body as never)).toThrow(TypeError);
    expect(() => createTask(body as never)).toThrow(message);
  });

  it.each([
    [{ name: 5 }, /^options\.name must be a string; got 5$/],
    [{ eager: 'yes' }, /^options\.eager must be a boolean; got "yes" \(a string\)$/],
    [{ loop: {} }, /^options\.loop must be a coro loop \(a BaseLoop\); got an object$/],
    ['fast', /^options must be an object; got "fast" \(a string\)$/],
  ])('createTask(fn, %o) throws a TypeError naming the option', (options, message) => {
    const before = allTasks().size; // the default loop's, where such a task would go

    expect(() => createTask(async () => {}, options as never)).toThrow(TypeError);
    expect(() => createTask(async () => {}, options as never)).toThrow(message);
    expect(allTasks().size).toBe(before);
  });

  it.each([
    [Number.NaN, 'ms must be a finite number; got NaN'],
    [Number.POSITIVE_INFINITY, 'ms must be a finite number; got Infinity'],
  ])('sleep(%s) throws a RangeError naming ms', (ms, message) => {
    expect(() => sleep(ms)).toThrow(RangeError);
    expect(() => sleep(ms)).toThrow(message);
  });

  it('sleep() of a non-number throws a TypeError naming ms', () => {
    expect(() => sleep('10' as never)).toThrow(TypeError);
    expect(() => sleep('10' as never)).toThrow(
      /^ms must be a number of milliseconds; got "10" \(a string\)$/,
    );
  });

  it('new Future({ loop }) with something that is not a coro loop throws a TypeError naming options.loop', () => {
    expect(() => new Future({ loop: { callSoon() {} } as never })).toThrow(TypeError);
    expect(() => new Future({ loop: { callSoon() {} } as never })).toThrow(
      /^options\.loop must be a coro loop/,
    );
  });

  it('allTasks(x) with something that is not a coro loop throws a TypeError naming loop', () => {
    expect(() => allTasks('main' as never)).toThrow(TypeError);
    expect(() => allTasks('main' as never)).toThrow(/^loop must be a coro loop/);
  });

  it('ensureFuture of a non-awaitable throws a TypeError naming awaitable', () => {
    expect(() => ensureFuture(42 as never)).toThrow(TypeError);
    expect(() => ensureFuture(42 as never)).toThrow(
      /^awaitable must be a Future, a Promise or thenable/,
    );
  });

  it.each([
    [{ debug: 1 }, /^options\.debug must be a boolean; got 1$/],
    [{ loop: 'main' }, /^options\.loop must be a coro loop/],
    [null, /^options must be an object; got null$/],
  ])('new Runner(%o) throws a TypeError naming the option', (options, message) => {
    expect(() => new Runner(options as never)).toThrow(TypeError);
    expect(() => new Runner(options as never)).toThrow(message);
  });
});
