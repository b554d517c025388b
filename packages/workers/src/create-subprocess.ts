/*
 * createSubprocessExec / createSubprocessShell: asyncio's create_subprocess_exec and
 * create_subprocess_shell. They start the child through @coro/transports'
 * subprocessExec/subprocessShell with a SubprocessStreamProtocol and wrap the pair
 * in a Process.
 *
 *   - stdio defaults to 'inherit' for all three (asyncio's None), unlike the
 *     transport functions, which pipe all three (asyncio's loop.subprocess_*).
 *   - No shell unless createSubprocessShell: each argument reaches the program as
 *     it is.
 *   - Starting is cancellable (task or `signal`): a child already spawned is
 *     killed, so a cancelled start leaves no process behind.
 *
 * Tested by test/subprocess.test.ts.
 */

import { readSignal } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop, requireInteger } from '@coro/loop';
import {
  type StdioOption,
  type SubprocessOptions,
  subprocessExec,
  subprocessShell,
} from '@coro/transports';
import { Process } from './process.js';
import { SubprocessStreamProtocol } from './subprocess-protocol.js';

/**
 * Options of {@link createSubprocessExec} and {@link createSubprocessShell}.
 *
 * @example
 * ```ts
 * import type { CreateSubprocessOptions } from '@coro/workers';
 *
 * const piped: CreateSubprocessOptions = { stdin: 'pipe', stdout: 'pipe', stderr: 'stdout' };
 * const quiet: CreateSubprocessOptions = { stdout: 'ignore', stderr: 'ignore', cwd: '/tmp' };
 * ```
 */
export interface CreateSubprocessOptions {
  /** `'pipe'` makes `process.stdin` a StreamWriter. @defaultValue 'inherit' */
  stdin?: StdioOption;
  /** `'pipe'` makes `process.stdout` a StreamReader. @defaultValue 'inherit' */
  stdout?: StdioOption;
  /**
   * `'pipe'` makes `process.stderr` a StreamReader; `'stdout'` merges it into
   * stdout (one stream, in the order written). @defaultValue 'inherit'
   */
  stderr?: StdioOption | 'stdout';
  /** The child's working directory. @defaultValue the parent's */
  cwd?: string | URL;
  /** The child's whole environment (it replaces the parent's). @defaultValue the parent's */
  env?: Readonly<Record<string, string | undefined>>;
  /** The buffer limit of the stdout and stderr StreamReaders, in bytes (>= 1). @defaultValue 65536 */
  limit?: number;
  /** The loop of the process's streams and waits. @defaultValue the running loop */
  loop?: Loop;
  /** Gives up starting the process (it is killed if it had started); no effect afterwards. */
  signal?: AbortSignal | undefined;
}

/**
 * Starts `program` with `args` and no shell (asyncio's `create_subprocess_exec`):
 * each argument reaches the program exactly as given, so text like
 * `'$(rm -rf ~)'` is only text. Resolves to a {@link Process} once the child runs.
 *
 * @param program - The program: a path, or a name looked up in `PATH`.
 * @param args - Its arguments (not including the program itself).
 * @throws (rejects with) TypeError/RangeError for a bad argument or option; Node's
 *   spawn error (`code` 'ENOENT', 'EACCES'…) if the program cannot run; the signal's
 *   reason, or CancelledError, when given up.
 * @example
 * ```ts
 * import { createSubprocessExec } from '@coro/workers';
 *
 * const child = await createSubprocessExec(process.execPath, ['-e', 'console.log(process.argv[1])', '$(echo hi)'], {
 *   stdout: 'pipe',
 * });
 * const { stdout } = await child.communicate();
 * console.log(String(stdout).trim()); // $(echo hi)
 * ```
 */
export async function createSubprocessExec(
  program: string,
  args: readonly string[] = [],
  options?: CreateSubprocessOptions,
): Promise<Process> {
  requireNonEmptyString(program, 'program');
  if (!Array.isArray(args)) {
    throw new TypeError(`args must be an array of strings; got ${describeValue(args)}`);
  }
  args.forEach((arg: unknown, index) => {
    if (typeof arg !== 'string') {
      throw new TypeError(`args[${index}] must be a string; got ${describeValue(arg)}`);
    }
  });
  const { limit, loop, transportOptions } = readOptions(options);
  const [transport, protocol] = await subprocessExec(
    () => new SubprocessStreamProtocol(limit, loop),
    program,
    args,
    transportOptions,
  );
  return new Process(transport, protocol, loop);
}

/**
 * Runs `command` through the system shell (`/bin/sh -c`; asyncio's
 * `create_subprocess_shell`). The shell interprets the whole string: never build it
 * from untrusted text (use {@link createSubprocessExec}). Resolves to a
 * {@link Process} once the shell runs.
 *
 * @throws (rejects with) TypeError/RangeError for a bad argument or option; the
 *   signal's reason, or CancelledError, when given up.
 * @example
 * ```ts
 * import { createSubprocessShell } from '@coro/workers';
 *
 * const child = await createSubprocessShell('echo one; echo two >&2', { stdout: 'pipe', stderr: 'pipe' });
 * const { stdout, stderr } = await child.communicate();
 * console.log(String(stdout).trim(), String(stderr).trim()); // one two
 * ```
 */
export async function createSubprocessShell(
  command: string,
  options?: CreateSubprocessOptions,
): Promise<Process> {
  requireNonEmptyString(command, 'command');
  const { limit, loop, transportOptions } = readOptions(options);
  const [transport, protocol] = await subprocessShell(
    () => new SubprocessStreamProtocol(limit, loop),
    command,
    transportOptions,
  );
  return new Process(transport, protocol, loop);
}

function requireNonEmptyString(value: unknown, argument: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`${argument} must be a non-empty string; got ${describeValue(value)}`);
  }
  if (value === '') throw new RangeError(`${argument} must be a non-empty string; got ''`);
}

function readOptions(options: CreateSubprocessOptions | undefined): {
  limit: number | undefined;
  loop: Loop;
  transportOptions: SubprocessOptions;
} {
  const signal = readSignal(options); // checks that options is an object
  const given = options ?? {};
  const limit = given.limit;
  if (limit !== undefined) requireInteger(limit, 'options.limit', 1);
  const loop = given.loop ?? getRunningLoop();
  const transportOptions: SubprocessOptions = {
    stdin: given.stdin ?? 'inherit',
    stdout: given.stdout ?? 'inherit',
    stderr: given.stderr ?? 'inherit',
    loop,
    signal,
  };
  if (given.cwd !== undefined) transportOptions.cwd = given.cwd;
  if (given.env !== undefined) transportOptions.env = given.env;
  return { limit, loop, transportOptions };
}
