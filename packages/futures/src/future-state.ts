/*
 * future-state: the four states of a Future (future.ts invariant 1), in a module
 * of their own so that the step protocol (step.ts) and the Future share them
 * without importing each other at load time.
 */

/** @internal Not done yet. */ export const PENDING = 0;
/** @internal Done with a value. */ export const FULFILLED = 1;
/** @internal Done with an error. */ export const REJECTED = 2;
/** @internal Done as cancelled (`settled` holds the cancel message). */ export const CANCELLED = 3;
