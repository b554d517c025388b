/*
 * subprocessExec / subprocessShell: asyncio's loop.subprocess_exec and
 * loop.subprocess_shell on Node's child_process.spawn.
 *
 *   1. Read the arguments and options (STYLE §5 messages).
 *   2. For `stderr: 'stdout'` with a piped stdout, make a socket pair and give
 *      the child one end as both fd 1 and fd 2 (so its two outputs share one
 *      pipe at the OS level, in the order written); read the other end.
 *      Otherwise fd 2 gets whatever fd 1 gets ('inherit': the parent's stdout;
 *      'ignore': /dev/null; a descriptor number: that descriptor).
 *   3. Spawn (no shell for subprocessExec: each argument reaches the program as
 *      it is), hold the output pipes (Node would discard what a fast child wrote
 *      before we read: holdOutput), wait for Node's 'spawn' or 'error' event (a missing program
 *      rejects with Node's ENOENT error), make the protocol, wrap the child in a
 *      ChildProcessTransport, and resolve once the protocol's connectionMade ran.
 *
 * Every wait is a coro Future: cancelling the calling task, or aborting
 * `signal`, while the process is being started rejects the call, kills the
 * child (SIGKILL) and closes the pipes. The signal has no effect afterwards.
 *
 * Tested by test/subprocess.test.ts.
 */

import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { readSignal } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop, requireFunction } from '@coro/loop';
import { cancelRequests, deliverLateCancel, pendingIo } from './pending-io.js';
import type { ProtocolFactory, SubprocessProtocol } from './protocols.js';
import { socketPair } from './socket-pair.js';
import { ChildProcessTransport, holdOutput } from './subprocess-transport.js';
import type { SubprocessTransport } from './transport.js';

/**
 * What a child's stdin, stdout or stderr is connected to: `'pipe'` (a pipe the
 * parent reads or writes), `'inherit'` (the parent's own), `'ignore'` (`/dev/null`),
 * or an open file descriptor number of the parent.
 *
 * @example
 * ```ts
 * import type { StdioOption } from '@coro/transports';
 *
 * const quiet: StdioOption = 'ignore';
 * const toParentStderr: StdioOption = 2;
 * ```
 */
export type StdioOption = 'pipe' | 'inherit' | 'ignore' | number;

/**
 * Options of {@link subprocessExec} and {@link subprocessShell}.
 *
 * @example
 * ```ts
 * import { subprocessExec, type SubprocessProtocol } from '@coro/transports';
 *
 * let finished = () => {};
 * const done = new Promise<void>((resolve) => { finished = resolve; });
 * const protocol: SubprocessProtocol = {
 *   pipeDataReceived: (fd, data) => console.log(fd, String(data).trim()), // 1 warning
 *   connectionLost: () => finished(),
 * };
 * // stdin: 'ignore' gives the child /dev/null; stderr: 'stdout' merges its errors into fd 1;
 * // cwd and env: run in / with LANG as the only variable
 * await subprocessExec(() => protocol, process.execPath, ['-e', 'console.error("warning")'], {
 *   stdin: 'ignore', stderr: 'stdout', cwd: '/', env: { LANG: 'C' },
 * });
 * await done;
 * ```
 */
export interface SubprocessOptions {
  /** The child's stdin. @defaultValue 'pipe' */
  stdin?: StdioOption;
  /** The child's stdout. @defaultValue 'pipe' */
  stdout?: StdioOption;
  /** The child's stderr; `'stdout'` sends it wherever stdout goes, merged. @defaultValue 'pipe' */
  stderr?: StdioOption | 'stdout';
  /** The child's working directory. @defaultValue the parent's */
  cwd?: string | URL;
  /** The child's whole environment (it replaces the parent's; undefined values are left out). @defaultValue the parent's */
  env?: Readonly<Record<string, string | undefined>>;
  /** The loop that runs the protocol's callbacks. @defaultValue the running loop */
  loop?: Loop;
  /**
   * Gives up starting the process: the call rejects with `signal.reason` and the
   * child, if it was spawned already, is killed. No effect once the call resolved.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Runs `program` with `args` (asyncio's `loop.subprocess_exec`), with no shell:
 * every argument reaches the program as it is, so `'$(rm -rf ~)'` is just text.
 * Calls `protocolFactory()` for the protocol and resolves to
 * `[transport, protocol]` once the protocol's `connectionMade` has run. The
 * protocol hears `pipeDataReceived(fd, data)` for output of piped stdout (1)
 * and stderr (2), `pipeConnectionLost(fd, error)` as each pipe closes,
 * `processExited()` when the child exits, and `connectionLost()` once both
 * happened. `transport.getPipeTransport(0)` writes to a piped stdin.
 *
 * Cancelling the calling task, or aborting `options.signal`, while the process
 * starts rejects the call and kills the child.
 *
 * @throws (rejects with) TypeError/RangeError for a bad argument or option; Node's
 *   spawn error for a program that cannot run (`code` 'ENOENT', 'EACCES'…).
 * @example
 * ```ts
 * import { subprocessExec, type SubprocessProtocol } from '@coro/transports';
 *
 * let finished = () => {};
 * const done = new Promise<void>((resolve) => { finished = resolve; });
 * const collect: SubprocessProtocol = {
 *   pipeDataReceived: (fd, data) => console.log(fd, String(data).trim()), // 1 hello
 *   connectionLost: () => finished(),
 * };
 * const [transport] = await subprocessExec(() => collect, process.execPath, ['-e', 'console.log("hello")']);
 * await done;
 * console.log(transport.getReturncode()); // 0
 * transport.close();
 * ```
 */
export function subprocessExec<P extends SubprocessProtocol>(
  protocolFactory: ProtocolFactory<P>,
  program: string,
  args: readonly string[] = [],
  options?: SubprocessOptions,
): Promise<[SubprocessTransport<P>, P]> {
  return start(protocolFactory, options, () => {
    requireProgram(program, 'program');
    requireArgs(args);
    return { file: program, args: [...args], shell: false };
  });
}

/**
 * Runs `command` through the system shell (`/bin/sh -c command`; `cmd.exe` on
 * Windows), asyncio's `loop.subprocess_shell`. Quoting is the caller's job:
 * never build `command` from untrusted text; use {@link subprocessExec} for that.
 * Otherwise as {@link subprocessExec}.
 *
 * @throws (rejects with) TypeError/RangeError for a bad argument or option.
 * @example
 * ```ts
 * import { subprocessShell, type SubprocessProtocol } from '@coro/transports';
 *
 * let finished = () => {};
 * const done = new Promise<void>((resolve) => { finished = resolve; });
 * const protocol: SubprocessProtocol = { connectionLost: () => finished() };
 * const [transport] = await subprocessShell(() => protocol, 'exit 7', { stdin: 'ignore' });
 * await done;
 * console.log(transport.getReturncode()); // 7
 * transport.close();
 * ```
 */
export function subprocessShell<P extends SubprocessProtocol>(
  protocolFactory: ProtocolFactory<P>,
  command: string,
  options?: SubprocessOptions,
): Promise<[SubprocessTransport<P>, P]> {
  return start(protocolFactory, options, () => {
    requireProgram(command, 'command');
    return { file: command, args: [], shell: true };
  });
}

interface Command {
  file: string;
  args: string[];
  shell: boolean;
}

async function start<P extends SubprocessProtocol>(
  protocolFactory: ProtocolFactory<P>,
  options: SubprocessOptions | undefined,
  readCommand: () => Command,
): Promise<[SubprocessTransport<P>, P]> {
  requireFunction(protocolFactory, 'protocolFactory');
  const command = readCommand();
  const signal = readSignal(options);
  const settings = readSubprocessOptions(options ?? {});
  const loop = settings.loop;
  if (signal?.aborted) throw signal.reason;

  const merged = settings.stderr === 'stdout';
  let ours: Socket | undefined;
  let theirs: Socket | undefined;
  if (merged && settings.stdout === 'pipe') [ours, theirs] = await socketPair(loop, signal);
  const stdoutTarget = theirs ?? settings.stdout;
  const stdio: StdioOptions = [
    settings.stdin,
    stdoutTarget,
    merged ? (stdoutTarget === 'inherit' ? 1 : stdoutTarget) : settings.stderr,
  ] as StdioOptions;

  let child: ChildProcess;
  try {
    child = spawn(command.file, command.args, {
      stdio,
      shell: command.shell,
      windowsHide: true,
      ...(settings.cwd === undefined ? {} : { cwd: settings.cwd }),
      ...(settings.env === undefined ? {} : { env: settings.env }),
    });
  } catch (error) {
    ours?.destroy();
    throw error;
  } finally {
    theirs?.destroy(); // the child has its own copy now
  }

  // Keep what the child writes before the transport is ready (see holdOutput).
  child.stdout?.on('readable', holdOutput);
  child.stderr?.on('readable', holdOutput);
  const pipes = { 0: child.stdin, 1: ours ?? child.stdout, 2: merged ? null : child.stderr };
  try {
    await spawned(child, loop, signal);
  } catch (error) {
    abandon(child, ours);
    throw error;
  }

  let protocol: P;
  try {
    protocol = protocolFactory();
  } catch (error) {
    abandon(child, ours);
    throw error;
  }
  const started = pendingIo<void>(loop, signal);
  const transport = new ChildProcessTransport(loop, child, protocol, pipes, () => {
    if (!started.done()) started.setResult(undefined);
  });
  const requests = cancelRequests();
  try {
    await started;
    await deliverLateCancel(requests);
  } catch (error) {
    transport.close(); // kills the child (invariant 4 of ChildProcessTransport)
    throw error;
  }
  return [transport, protocol];
}

/** Waits for Node's 'spawn' event, or rejects with its 'error' (ENOENT…). */
async function spawned(
  child: ChildProcess,
  loop: Loop,
  signal: AbortSignal | undefined,
): Promise<void> {
  const ready = pendingIo<void>(loop, signal);
  const onSpawn = () => {
    if (!ready.done()) ready.setResult(undefined);
  };
  const onError = (error: Error) => {
    if (!ready.done()) ready.setException(error);
  };
  child.once('spawn', onSpawn);
  child.once('error', onError);
  try {
    await ready;
  } finally {
    child.off('spawn', onSpawn);
    child.off('error', onError);
  }
}

/** Undoes a start that failed after the spawn: kill the child, close its pipes. */
function abandon(child: ChildProcess, ours: Socket | undefined): void {
  child.on('error', () => {}); // a late spawn or kill error must not become uncaught
  if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
  }
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
  ours?.destroy();
}

interface Settings {
  stdin: 'pipe' | 'inherit' | 'ignore' | number;
  stdout: 'pipe' | 'inherit' | 'ignore' | number;
  stderr: 'pipe' | 'inherit' | 'ignore' | 'stdout' | number;
  cwd: string | URL | undefined;
  env: Record<string, string> | undefined;
  loop: Loop;
}

/**
 * @internal Reads the options both subprocess functions take, with `fallback` as
 * the stdio default (asyncio's loop functions pipe all three; its
 * create_subprocess_* functions inherit them).
 */
export function readSubprocessOptions(
  options: SubprocessOptions,
  fallback: 'pipe' | 'inherit' = 'pipe',
): Settings {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object; got ${describeValue(options)}`);
  }
  const loop = options.loop ?? getRunningLoop();
  if (typeof loop !== 'object' || loop === null || typeof loop.callSoon !== 'function') {
    throw new TypeError(`options.loop must be a Loop; got ${describeValue(loop)}`);
  }
  return {
    stdin: readStdio(options.stdin, 'options.stdin', fallback, false) as Settings['stdin'],
    stdout: readStdio(options.stdout, 'options.stdout', fallback, false) as Settings['stdout'],
    stderr: readStdio(options.stderr, 'options.stderr', fallback, true),
    cwd: readCwd(options.cwd),
    env: readEnv(options.env),
    loop,
  };
}

function readStdio(
  value: unknown,
  argument: string,
  fallback: 'pipe' | 'inherit',
  mayMerge: boolean,
): Settings['stderr'] {
  if (value === undefined) return fallback;
  const expected = `'pipe', 'inherit', 'ignore'${mayMerge ? ", 'stdout'" : ''} or a file descriptor number`;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`${argument} must be ${expected}; got ${value}`);
    }
    return value;
  }
  if (
    value === 'pipe' ||
    value === 'inherit' ||
    value === 'ignore' ||
    (mayMerge && value === 'stdout')
  ) {
    return value;
  }
  throw new TypeError(`${argument} must be ${expected}; got ${describeValue(value)}`);
}

function readCwd(value: unknown): string | URL | undefined {
  if (value === undefined) return undefined;
  if (value instanceof URL || (typeof value === 'string' && value !== '')) return value;
  throw new TypeError(
    `options.cwd must be a non-empty path string or a URL; got ${describeValue(value)}`,
  );
}

function readEnv(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`options.env must be an object of strings; got ${describeValue(value)}`);
  }
  const env: Record<string, string> = {};
  for (const [name, entry] of Object.entries(value)) {
    if (entry === undefined) continue;
    if (typeof entry !== 'string') {
      throw new TypeError(`options.env.${name} must be a string; got ${describeValue(entry)}`);
    }
    env[name] = entry;
  }
  return env;
}

/** @internal A program or shell command: a non-empty string. */
export function requireProgram(value: unknown, argument: string): asserts value is string {
  if (typeof value !== 'string') {
    throw new TypeError(`${argument} must be a non-empty string; got ${describeValue(value)}`);
  }
  if (value === '') throw new RangeError(`${argument} must be a non-empty string; got ''`);
}

/** @internal The program's arguments: an array of strings. */
export function requireArgs(value: unknown): asserts value is readonly string[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`args must be an array of strings; got ${describeValue(value)}`);
  }
  value.forEach((arg: unknown, index) => {
    if (typeof arg !== 'string') {
      throw new TypeError(`args[${index}] must be a string; got ${describeValue(arg)}`);
    }
  });
}
