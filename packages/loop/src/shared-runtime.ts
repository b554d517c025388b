/*
 * shared-runtime: the one runtime every copy of coro in a process shares.
 *
 * A process can hold two copies of a coro package: the ESM and the CJS build (one
 * dependency `import`s it, another `require`s it), or two versions. Each copy has its
 * own module state, so without this module each would have its own default loop, its
 * own current-task storage and its own pending tasks: a task of one copy would be
 * invisible to the other, `timeout()` of one could not cancel a `sleep()` of the other.
 * Instead every piece of process-wide state lives here, on `globalThis` under
 * `Symbol.for('coro.runtime.v2')`: the first copy to load creates it, later copies
 * adopt it.
 *
 * Invariants
 *   1. One registry per runtime version per process. A state slot (`sharedState(key)`)
 *      is created once, by the first copy that asks, and never replaced: every copy
 *      holds the same object for the life of the process.
 *   2. The version (`RUNTIME_VERSION`, in the key) covers the shape of every slot and
 *      every `@internal` member one copy calls on another's objects (Task.suspendOn,
 *      BaseLoop.enqueueHandle, Future.state, …). Change one of them and bump it: copies
 *      of different versions then refuse to load together (RuntimeConflictError,
 *      naming both) instead of corrupting each other's state.
 *   3. What any version may read of any other's registry is `version` and `copies`
 *      (`{ package, location }[]`): enough to name the copies in the error.
 *
 * What cannot be shared is the class objects themselves: `esm.Future !== cjs.Future`.
 * `instanceof` still works across copies (recognize-across-copies.ts), and a task of one copy that
 * awaits a future of the other registers it as its waiter, because the current task
 * comes from the shared storage.
 *
 * Tested by packages/futures/test/two-copies.test.ts (a second copy of the sources)
 * and tooling/package-check/test/packed.test.ts (the packed ESM and CJS builds).
 */

import { RuntimeConflictError, type RuntimeCopyDescription } from './errors.js';
import { RUNTIME_VERSION } from './recognize-across-copies.js';

const REGISTRY_PREFIX = 'coro.runtime.v';
const REGISTRY_KEY = Symbol.for(`${REGISTRY_PREFIX}${RUNTIME_VERSION}`);

/**
 * A copy of coro loaded in this process: its package and where it was loaded from.
 *
 * @example
 * ```ts
 * import { runtimeCopies, type RuntimeCopy } from '@coro/loop';
 *
 * const copies: RuntimeCopy[] = runtimeCopies();
 * console.log(copies[0]?.package); // @coro/loop
 * ```
 */
export interface RuntimeCopy {
  /** The package name, `@coro/loop`. */
  readonly package: string;
  /** The file the copy was loaded from (a path or a `file:` URL), or `'unknown'`. */
  readonly location: string;
}

interface Registry {
  readonly version: number;
  readonly copies: RuntimeCopy[];
  readonly slots: Map<string, unknown>;
}

/** Where this copy of the module was loaded from: `__filename` in CJS, else the stack. */
function whereThisCopyLives(): string {
  if (typeof __filename === 'string' && __filename !== '') return __filename;
  // ESM has no __filename, and `import.meta` does not exist in the CJS build: the
  // first stack frame names this file (`at file:///…/index.js:12:34`).
  for (const line of (new Error().stack ?? '').split('\n').slice(1)) {
    const frame = /((?:file:\/\/|\/|[A-Za-z]:\\).+?):\d+:\d+\)?$/.exec(line.trim());
    if (frame?.[1] !== undefined) return frame[1];
  }
  return 'unknown';
}

function findRegistries(): Array<[string, Partial<Registry>]> {
  const found: Array<[string, Partial<Registry>]> = [];
  for (const symbol of Object.getOwnPropertySymbols(globalThis)) {
    const key = Symbol.keyFor(symbol);
    if (key === undefined || !key.startsWith(REGISTRY_PREFIX)) continue;
    const value = (globalThis as Record<symbol, unknown>)[symbol];
    if (typeof value === 'object' && value !== null) found.push([key, value]);
  }
  return found;
}

/** The `version` of the package.json of `packageName` above `location`, if it can be read. */
function packageVersionAt(location: string, packageName: string): string | null {
  try {
    const fs = (
      globalThis as {
        process?: { getBuiltinModule?: (id: string) => unknown };
      }
    ).process?.getBuiltinModule?.('node:fs') as
      | { readFileSync(path: string, encoding: 'utf8'): string }
      | undefined;
    if (fs === undefined) return null;
    let directory = location.startsWith('file:')
      ? decodeURIComponent(new URL(location).pathname)
      : location;
    for (let depth = 0; depth < 6; depth++) {
      const cut = Math.max(directory.lastIndexOf('/'), directory.lastIndexOf('\\'));
      if (cut <= 0) return null;
      directory = directory.slice(0, cut);
      try {
        const manifest = JSON.parse(fs.readFileSync(`${directory}/package.json`, 'utf8'));
        if (manifest?.name === packageName) return String(manifest.version);
      } catch {
        // no package.json at this level: go up
      }
    }
  } catch {
    // no file system (a browser): the error names the copies without versions
  }
  return null;
}

function describeCopy(
  copy: RuntimeCopy | undefined,
  runtimeVersion: unknown,
): RuntimeCopyDescription {
  const packageName = typeof copy?.package === 'string' ? copy.package : '@coro/loop';
  const location = typeof copy?.location === 'string' ? copy.location : 'unknown';
  return {
    package: packageName,
    version: packageVersionAt(location, packageName),
    location,
    runtimeVersion: typeof runtimeVersion === 'number' ? runtimeVersion : Number.NaN,
  };
}

function openRegistry(): Registry {
  const here: RuntimeCopy = { package: '@coro/loop', location: whereThisCopyLives() };
  for (const [key, other] of findRegistries()) {
    if (key === REGISTRY_KEY.description) continue;
    const loadedFirst = Array.isArray(other.copies) ? other.copies[0] : undefined;
    throw new RuntimeConflictError(
      describeCopy(loadedFirst, other.version),
      describeCopy(here, RUNTIME_VERSION),
    );
  }
  const host = globalThis as Record<symbol, Registry | undefined>;
  let registry = host[REGISTRY_KEY];
  if (registry === undefined) {
    registry = { version: RUNTIME_VERSION, copies: [], slots: new Map() };
    Object.defineProperty(globalThis, REGISTRY_KEY, { value: registry, enumerable: false });
  }
  if (!registry.copies.some((copy) => copy.location === here.location)) registry.copies.push(here);
  return registry;
}

const registry = openRegistry();

/**
 * The process-wide state slot `key`: made by `create()` the first time any copy of
 * coro asks for it, the same object for every copy afterwards. How a package keeps
 * state that must not be per copy (the default loop, the current-task storage, the
 * pending tasks). Keys are namespaced by package: `'futures.pendingTasks'`.
 *
 * @example
 * ```ts
 * import { sharedState } from '@coro/loop';
 *
 * const counter = sharedState('example.counter', () => ({ value: 0 }));
 * counter.value++;
 * console.log(sharedState('example.counter', () => ({ value: 0 })) === counter); // true
 * ```
 */
export function sharedState<T extends object>(key: string, create: () => T): T {
  const slots = registry.slots;
  let value = slots.get(key) as T | undefined;
  if (value === undefined) {
    value = create();
    slots.set(key, value);
  }
  return value;
}

/**
 * The copies of coro loaded in this process, in load order: one entry per copy of
 * `@coro/loop` (the ESM and CJS builds count as two). More than one is fine (they
 * share one runtime); it tells where each comes from when a bundle holds several.
 *
 * @example
 * ```ts
 * import { runtimeCopies } from '@coro/loop';
 *
 * // A bundle that holds both the ESM and the CJS build loads two copies: say where each is from
 * const copies = runtimeCopies();
 * if (copies.length > 1) {
 *   for (const copy of copies) console.warn(`${copy.package} loaded from ${copy.location}`);
 * }
 * console.log(copies[0]?.package); // @coro/loop
 * ```
 */
export function runtimeCopies(): RuntimeCopy[] {
  return registry.copies.map((copy) => ({ ...copy }));
}
