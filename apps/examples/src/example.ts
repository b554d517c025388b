/*
 * What every example module exports, and the small helpers they share.
 *
 * An example never calls `run()` itself: its `main(out)` is what gets run. The CLI
 * runs it with `run(() => example.main(console.log))` on a real loop; a test runs it
 * with `run(() => example.main(lines.push), { loop: new VirtualLoop({ autojump: true }) })`,
 * where its one-second sleeps take no time and its clock readings are exact.
 */
import { parseArgs } from 'node:util';
import { getRunningLoop } from 'coro';

/** Where an example prints: one line per call (`console.log` by default). */
export type Output = (line: string) => void;

/** An example: a module exporting `name`, `title` and `main`. */
export interface Example {
  /** What to type after `pnpm example`: kebab-case, unique. */
  readonly name: string;
  /** One line saying what it shows, for the demo's headers and the list of examples. */
  readonly title: string;
  /**
   * The options it takes after its name (`pnpm example mini-redis --port 7000`), as a
   * usage line; examples without it take none.
   */
  readonly usage?: string;
  /** The example itself; prints with `out` and must run inside `run()`. */
  main(out?: Output, args?: readonly string[]): Promise<void>;
}

/** A command line an example cannot use: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  static {
    this.prototype.name = 'UsageError';
  }
}

/**
 * Reads `--name value` options from `args`: every option is a string, so give each a
 * default (as a string too) and convert it; an unknown option throws {@link UsageError}.
 */
export function readOptions<const Name extends string>(
  args: readonly string[],
  defaults: Record<Name, string>,
): Record<Name, string> {
  const options = Object.fromEntries(
    Object.entries(defaults).map(([option, value]) => [option, { type: 'string', default: value }]),
  ) as Record<Name, { type: 'string'; default: string }>;
  for (const arg of args) {
    const option = arg.split('=')[0]!;
    if (option.startsWith('--') && !Object.hasOwn(defaults, option.slice(2))) {
      throw new UsageError(`unknown option ${option}`);
    }
  }
  try {
    const { values } = parseArgs({ args: [...args], options, strict: true });
    return values as unknown as Record<Name, string>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** A port number option: an integer from 0 (any free port) to 65535. */
export function portOption(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new UsageError(`--port must be an integer from 0 to 65535; got ${value}`);
  }
  return port;
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
