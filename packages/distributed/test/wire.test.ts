import { CancelledError, TimeoutError } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { errorForWire, errorFromWire, readJobData } from '../src/wire.js';

/** What BullMQ stores of a thrown error, read back as a client gets it. */
function roundTrip(error: unknown): Error {
  const wire = errorForWire(error);
  return errorFromWire(wire.message, wire.stack);
}

class ValidationError extends Error {
  static {
    this.prototype.name = 'ValidationError';
  }
}

describe('the error wire format', () => {
  it('keeps a built-in class, its message and the stack', () => {
    const original = new RangeError('size must be positive');
    const error = roundTrip(original);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('size must be positive');
    expect(error.stack).toBe(original.stack);
  });

  it("keeps another class's name", () => {
    const error = roundTrip(new ValidationError('no email: given'));
    expect(error.name).toBe('ValidationError');
    expect(error.message).toBe('no email: given');
  });

  it("rebuilds coro's TimeoutError and CancelledError as those classes", () => {
    expect(roundTrip(new TimeoutError('too slow'))).toBeInstanceOf(TimeoutError);
    expect(roundTrip(new CancelledError('stop'))).toBeInstanceOf(CancelledError);
  });

  it('puts the name on the first line when the stack lacks it', () => {
    const error = new Error('renamed');
    error.name = 'LateName';
    const wire = errorForWire(error);
    expect(wire.stack?.split('\n')[0]).toBe('LateName: renamed');
    expect(errorFromWire(wire.message, wire.stack).name).toBe('LateName');
  });

  it('turns a thrown non-Error into an Error that names it', () => {
    expect(roundTrip('plain text').message).toMatch(/a job threw a non-Error value: .*plain text/);
  });

  it('reads an error of a plain BullMQ worker (message and stack only)', () => {
    const thrown = new TypeError('bad input');
    const error = errorFromWire(thrown.message, thrown.stack);
    expect(error).toBeInstanceOf(TypeError);
    expect(errorFromWire('no stack', undefined).name).toBe('Error');
  });
});

describe('readJobData', () => {
  it('reads { args, timeoutMs }, and no data as no arguments', () => {
    expect(readJobData({ args: [1, 2], timeoutMs: 5 })).toEqual({ args: [1, 2], timeoutMs: 5 });
    expect(readJobData(undefined)).toEqual({ args: [] });
    expect(readJobData({})).toEqual({ args: [] });
  });

  it('refuses data of another shape', () => {
    expect(() => readJobData([1])).toThrow('job data must be an object { args: [...] }');
    expect(() => readJobData({ args: 1 })).toThrow('job data.args must be an array; got 1');
  });
});
