/*
 * The process-wide runtime every copy of coro shares (issue 11, case 5). A second copy
 * is the same sources evaluated again after `vi.resetModules()`, as the CJS build next
 * to the ESM one would be.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as first from '../src/index.js';

type LoopModule = typeof first;

async function loadAnotherCopy(): Promise<LoopModule> {
  vi.resetModules();
  return (await import('../src/index.js')) as LoopModule;
}

const foreignKey = Symbol.for('coro.runtime.v3'); // a later runtime than this copy's

afterEach(() => {
  delete (globalThis as Record<symbol, unknown>)[foreignKey];
  first.setEventLoop(null);
});

describe('sharedState', () => {
  it('gives every copy the object the first one made', async () => {
    const made = first.sharedState('test.slot', () => ({ hits: 0 }));
    const other = await loadAnotherCopy();

    const seen = other.sharedState('test.slot', () => ({ hits: 100 }));

    expect(seen).toBe(made);
  });
});

describe('a second copy of @coro/loop', () => {
  it('shares the event loop and the runtime hooks', async () => {
    const other = await loadAnotherCopy();
    const loop = new first.VirtualLoop();

    other.setEventLoop(loop);

    expect(first.getEventLoop()).toBe(loop);
    expect(other.runtimeCopies()).toEqual(first.runtimeCopies());
  });

  it('sees the loop whose callback is running as the running loop', async () => {
    const other = await loadAnotherCopy();
    const loop = new first.VirtualLoop();
    let seen: unknown;
    loop.callSoon(() => {
      seen = other.getRunningLoop();
    });

    await loop.advance(0);

    expect(seen).toBe(loop);
  });

  it('recognises its loops and errors with instanceof, and the first copy recognises its', async () => {
    const other = await loadAnotherCopy();

    expect(new other.VirtualLoop()).toBeInstanceOf(first.BaseLoop);
    expect(new first.NodeLoop()).toBeInstanceOf(other.BaseLoop);
    expect(new other.LoopClosedError()).toBeInstanceOf(first.LoopClosedError);
    expect(new other.DeadlockError('x')).not.toBeInstanceOf(first.LoopClosedError);
  });

  it('keeps the ordinary instanceof for subclasses', async () => {
    const other = await loadAnotherCopy();

    expect(new other.NodeLoop()).not.toBeInstanceOf(first.VirtualLoop);
    expect(new first.VirtualLoop()).toBeInstanceOf(first.VirtualLoop);
    expect({}).not.toBeInstanceOf(first.BaseLoop);
  });
});

describe('a copy of another runtime version', () => {
  it('refuses to load, naming both copies', async () => {
    (globalThis as Record<symbol, unknown>)[foreignKey] = {
      version: 3,
      copies: [
        { package: '@coro/loop', location: '/srv/app/node_modules/@coro/loop/dist/index.js' },
      ],
    };

    const error = await loadAnotherCopy().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(first.RuntimeConflictError);
    const conflict = error as InstanceType<typeof first.RuntimeConflictError>;
    expect(conflict.loaded).toEqual({
      package: '@coro/loop',
      version: null, // no package.json at that path
      location: '/srv/app/node_modules/@coro/loop/dist/index.js',
      runtimeVersion: 3,
    });
    expect(conflict.loading).toMatchObject({
      package: '@coro/loop',
      version: '0.0.0', // read from packages/loop/package.json
      runtimeVersion: first.RUNTIME_VERSION,
    });
    expect(conflict.loading.location).toMatch(/loop[\\/]src[\\/]shared-runtime\.ts$/);
    expect(conflict.message).toContain(
      '@coro/loop (runtime v3) at /srv/app/node_modules/@coro/loop/dist/index.js',
    );
    expect(conflict.message).toMatch(
      /two incompatible copies of coro in one process: @coro\/loop 0\.0\.0 \(runtime v2\) at /,
    );
  });
});
