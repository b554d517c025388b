import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BrowserLoop,
  getEventLoop,
  getRunningLoop,
  installRuntimeHooks,
  type Loop,
  NodeLoop,
  newEventLoop,
  setEventLoop,
  VirtualLoop,
} from '../src/index.js';
import { type RuntimeHooks, runtimeHooks } from '../src/runtime-hooks.js';

let savedHooks: RuntimeHooks;
beforeEach(() => {
  savedHooks = { ...runtimeHooks };
  setEventLoop(null);
});
afterEach(() => {
  installRuntimeHooks(savedHooks);
  setEventLoop(null);
  vi.unstubAllGlobals();
});

describe('newEventLoop', () => {
  it('makes a new NodeLoop on Node.js each time', () => {
    const first = newEventLoop();
    const second = newEventLoop();

    expect(first).toBeInstanceOf(NodeLoop);
    expect(second).toBeInstanceOf(NodeLoop);
    expect(first).not.toBe(second);
  });

  it('makes a BrowserLoop where there is no setImmediate', () => {
    vi.stubGlobal('setImmediate', undefined);

    expect(newEventLoop()).toBeInstanceOf(BrowserLoop);
  });
});

describe('getEventLoop and setEventLoop', () => {
  it('returns the same default NodeLoop every time', () => {
    const loop = getEventLoop();

    expect(loop).toBeInstanceOf(NodeLoop);
    expect(getEventLoop()).toBe(loop);
  });

  it('returns the loop given to setEventLoop', () => {
    const loop = new VirtualLoop();

    setEventLoop(loop);

    expect(getEventLoop()).toBe(loop);
  });

  it('makes a fresh default loop on next use after setEventLoop(null)', () => {
    const before = getEventLoop();

    setEventLoop(null);
    const after = getEventLoop();

    expect(after).toBeInstanceOf(NodeLoop);
    expect(after).not.toBe(before);
  });

  it('rejects something that is not a loop with a TypeError naming loop', () => {
    for (const bad of [42, 'loop', {}, undefined]) {
      expect(() => setEventLoop(bad as never)).toThrow(TypeError);
      expect(() => setEventLoop(bad as never)).toThrow(/loop must be a Loop or null/);
    }
  });

  it('keeps the previous loop when it rejects the argument', () => {
    const loop = new VirtualLoop();
    setEventLoop(loop);

    expect(() => setEventLoop({} as never)).toThrow(TypeError);

    expect(getEventLoop()).toBe(loop);
  });
});

describe('getRunningLoop', () => {
  it('outside any task or callback, is the event loop', () => {
    const loop = new VirtualLoop();
    setEventLoop(loop);

    expect(getRunningLoop()).toBe(loop);
  });

  it("inside a loop's callback, is that loop even when another is the event loop", async () => {
    const eventLoop = new VirtualLoop();
    const other = new VirtualLoop();
    setEventLoop(eventLoop);
    const seen: Loop[] = [];
    other.callSoon(() => seen.push(getRunningLoop()));
    other.callLater(5, () => seen.push(getRunningLoop()));

    await other.advance(5);

    expect(seen).toEqual([other, other]);
    expect(getRunningLoop()).toBe(eventLoop);
  });

  it('inside a callback that throws, is that loop, and the event loop again afterwards', async () => {
    const eventLoop = new VirtualLoop();
    const other = new VirtualLoop();
    setEventLoop(eventLoop);
    other.setExceptionHandler(() => {});
    const seen: Loop[] = [];
    other.callSoon(() => {
      seen.push(getRunningLoop());
      throw new Error('boom');
    });

    await other.advance(0);

    expect(seen).toEqual([other]);
    expect(getRunningLoop()).toBe(eventLoop);
  });

  it("prefers the current task's loop, from the runtime hook", async () => {
    const taskLoop = new VirtualLoop();
    const callbackLoop = new VirtualLoop();
    installRuntimeHooks({ currentLoop: () => taskLoop });
    let seen: Loop | undefined;
    callbackLoop.callSoon(() => {
      seen = getRunningLoop();
    });

    await callbackLoop.advance(0);

    expect(seen).toBe(taskLoop);
    expect(getRunningLoop()).toBe(taskLoop);
  });

  it('makes the default loop when nothing else applies', () => {
    const loop = getRunningLoop();

    expect(loop).toBeInstanceOf(NodeLoop);
    expect(getEventLoop()).toBe(loop);
  });
});
