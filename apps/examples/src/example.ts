/*
 * What every example module exports, and the small helpers they share.
 *
 * An example never calls `run()` itself: its `main(out)` is what gets run. The CLI
 * runs it with `run(() => example.main(console.log))` on a real loop; a test runs it
 * with `run(() => example.main(lines.push), { loop: new VirtualLoop({ autojump: true }) })`,
 * where its one-second sleeps take no time and its clock readings are exact.
 */
import { getRunningLoop } from 'coro';

/** Where an example prints: one line per call (`console.log` by default). */
export type Output = (line: string) => void;

/** An example: a module exporting `name`, `title` and `main`. */
export interface Example {
  /** What to type after `pnpm example`: kebab-case, unique. */
  readonly name: string;
  /** One line saying what it shows, for the demo's headers and the list of examples. */
  readonly title: string;
  /** The example itself; prints with `out` and must run inside `run()`. */
  main(out?: Output): Promise<void>;
}

/**
 * A stopwatch on the running loop's clock: returns a function giving the ms
 * elapsed since `startClock()` was called. The loop's clock, not the wall clock,
 * so under a `VirtualLoop` the readings are exact.
 */
export function startClock(): () => number {
  const loop = getRunningLoop();
  const start = loop.time();
  return () => loop.time() - start;
}

/**
 * `ms` as seconds rounded to a tenth, for output that reads the same on every
 * run: a real timer firing at 1003 ms prints as `1 s`, 498 ms as `0.5 s`.
 */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** `error` as Python prints an exception's repr: `CancelledError('stop, please')`. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message === '' ? '' : `'${error.message}'`;
  return `${error.name}(${message})`;
}
