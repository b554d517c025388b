/*
 * recognize-across-copies: `instanceof` that holds across copies of coro in a process
 * (the ESM and the CJS build, or two compatible versions; see shared-runtime.ts).
 *
 * Invariants
 *   1. `recognizeAcrossCopies(Class, name)` puts a brand, `Symbol.for('coro.class.<name>.v<N>')`,
 *      on Class.prototype, and gives Class a `Symbol.hasInstance` that is the ordinary
 *      check first, then, for Class itself only, the brand: an instance of the same
 *      class from another copy is recognised, subclasses keep the ordinary check.
 *   2. The brand carries RUNTIME_VERSION: classes of incompatible runtimes never
 *      recognise each other (they cannot be loaded together anyway: RuntimeConflictError).
 *
 * Cost: same-copy instances pass the ordinary check first; one extra call per
 * `instanceof`, which V8 inlines.
 *
 * Tested by packages/futures/test/two-copies.test.ts.
 */

/**
 * The version of the runtime that copies of coro share: the layout of the shared
 * state and the members one copy calls on another's objects. Copies of one version
 * share one runtime; copies of different versions refuse to load together.
 *
 * @example
 * ```ts
 * import { RUNTIME_VERSION, runtimeCopies } from '@coro/loop';
 *
 * // In a bug report about two copies of coro in one bundle, say which runtime they share
 * console.log(`coro runtime v${RUNTIME_VERSION}, ${runtimeCopies().length} copy loaded`);
 * // prints: coro runtime v2, 1 copy loaded
 * ```
 */
export const RUNTIME_VERSION = 2;

const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

/**
 * Makes `instanceof target` recognise instances of the same class from any copy
 * of coro in the process (`name` identifies the class), so a `CancelledError` thrown
 * by the CJS build is a `CancelledError` for the ESM build. Subclasses keep the
 * ordinary `instanceof`. Call it once, in the class's static block.
 *
 * @example
 * ```ts
 * import { recognizeAcrossCopies } from '@coro/loop';
 *
 * class ParseError extends Error {
 *   static {
 *     recognizeAcrossCopies(this, 'example.ParseError');
 *   }
 * }
 * console.log(new ParseError() instanceof ParseError); // true
 * ```
 */
export function recognizeAcrossCopies(
  target: abstract new (...args: never[]) => unknown,
  name: string,
): void {
  const brand = Symbol.for(`coro.class.${name}.v${RUNTIME_VERSION}`);
  Object.defineProperty(target.prototype, brand, { value: true });
  Object.defineProperty(target, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      if (ordinaryHasInstance.call(this, value)) return true;
      return (
        this === target &&
        typeof value === 'object' &&
        value !== null &&
        (value as Record<symbol, unknown>)[brand] === true
      );
    },
  });
}
