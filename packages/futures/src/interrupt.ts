/*
 * interrupt: Ctrl-C (SIGINT) and SIGTERM end `run()` the way asyncio.run ends on
 * Ctrl-C: the first signal cancels the main task, so its `finally` blocks run,
 * then run() cleans up (leftover tasks cancelled, loop shutdown callbacks such as
 * the default executor's shutdown) and rejects with KeyboardInterrupt; uncaught,
 * that ends the process by the same signal. Node's default would end it at once,
 * with no cleanup at all (issue 11, case 15).
 *
 * Invariants
 *   1. Listeners are installed only while Runner.run() waits for its main task,
 *      only on the main thread, only for a signal nobody listens to already (a
 *      program that handles SIGINT itself keeps doing so; asyncio likewise
 *      installs its handler only over Python's default one), never with
 *      `handleSignals: false`. A listener the program adds later, inside main,
 *      takes the signal over: ours then does nothing (asyncio's
 *      loop.add_signal_handler likewise replaces asyncio.run's handler). Both
 *      are removed when run() stops waiting, so a signal during the cleanup
 *      after it gets Node's default: the end, at once.
 *   2. The first signal cancels the main task, once. A signal while the main task
 *      is already done, and a second signal, remove the listeners and raise the
 *      signal again: the process ends at once, by that signal.
 *   3. A KeyboardInterrupt that reaches no catch ends the process by its signal
 *      (exit status 130 for SIGINT, 143 for SIGTERM in a shell), as Python ends
 *      on an uncaught KeyboardInterrupt: a supervisor sees "killed by SIGTERM",
 *      not "exited 1".
 *
 * Tested by test/run-signals.test.ts (real child processes, real signals).
 */

import { recognizeAcrossCopies, sharedState } from '@coro/loop';
import type { Task } from './task.js';

/** The signals `run()` turns into a cancellation of its main task. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

const SIGNALS: readonly InterruptSignal[] = ['SIGINT', 'SIGTERM'];

/**
 * `run()` was interrupted by SIGINT (Ctrl-C) or SIGTERM: its main task was
 * cancelled, the cleanup ran, and this is what `run()` rejects with (Python's
 * KeyboardInterrupt). `signal` names the signal. If nothing catches it, the
 * process ends by that same signal once it reaches the top level.
 *
 * @example
 * ```ts
 * import { KeyboardInterrupt, run, sleep } from '@coro/futures';
 *
 * try {
 *   await run(async () => {
 *     await sleep(10);
 *   });
 * } catch (error) {
 *   if (error instanceof KeyboardInterrupt) console.log('stopped by', error.signal);
 *   else throw error;
 * }
 * ```
 */
export class KeyboardInterrupt extends Error {
  static {
    this.prototype.name = 'KeyboardInterrupt';
    recognizeAcrossCopies(this, 'KeyboardInterrupt');
  }
  /** The signal that interrupted `run()`. */
  readonly signal: InterruptSignal;
  constructor(signal: InterruptSignal) {
    super(`run() was interrupted by ${signal}; the main task was cancelled and cleaned up`);
    this.signal = signal;
  }
}

interface NodeProcess {
  pid: number;
  on(event: string, listener: (argument: never) => void): unknown;
  removeListener(event: string, listener: (argument: never) => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
  getBuiltinModule?: (id: string) => { isMainThread?: boolean } | undefined;
  stderr?: { write(text: string): unknown };
}

function nodeProcess(): NodeProcess | null {
  const candidate = (globalThis as unknown as { process?: NodeProcess }).process;
  return typeof candidate?.on === 'function' && typeof candidate.kill === 'function'
    ? candidate
    : null;
}

function isMainThread(host: NodeProcess): boolean {
  try {
    return host.getBuiltinModule?.('node:worker_threads')?.isMainThread ?? true;
  } catch {
    return true;
  }
}

/** One hook per process, whichever copy of coro installs it (a slot of the shared runtime). */
const hooks = sharedState('futures.interrupt', () => ({ uncaughtHookInstalled: false }));

/** Invariant 3: an uncaught KeyboardInterrupt ends the process by its signal. */
function installUncaughtHook(host: NodeProcess): void {
  if (hooks.uncaughtHookInstalled) return;
  hooks.uncaughtHookInstalled = true;
  host.on('uncaughtExceptionMonitor', (error: unknown) => {
    if (!(error instanceof KeyboardInterrupt)) return;
    host.stderr?.write(`${error.name}: ${error.message}\n`);
    raiseAgain(host, error.signal);
  });
}

function raiseAgain(host: NodeProcess, signal: InterruptSignal): void {
  host.kill(host.pid, signal);
}

/**
 * @internal Watches SIGINT and SIGTERM while Runner.run() waits for `mainTask`
 * (invariants 1, 2); `null` when it must not (not Node, not the main thread, or
 * every signal already has a listener).
 */
export class SignalWatch {
  /** The first signal received, if any. */
  received: InterruptSignal | null = null;
  readonly #host: NodeProcess;
  readonly #mainTask: Task<unknown>;
  /** The listeners it installed, by signal: each knows its signal, since `process.emit('SIGINT')` passes none. */
  readonly #installed = new Map<InterruptSignal, () => void>();

  #onSignal(signal: InterruptSignal): void {
    // Invariant 1: a listener the program added after run() started (a server's
    // graceful shutdown, installed inside main) owns the signal; leave it alone.
    if (this.#host.listenerCount(signal) > 1) return;
    if (this.received === null && !this.#mainTask.done()) {
      this.received = signal;
      installUncaughtHook(this.#host);
      this.#mainTask.cancel(`interrupted by ${signal}`);
      return;
    }
    // Invariant 2: a second signal, or one with nothing left to cancel.
    this.remove();
    raiseAgain(this.#host, signal);
  }

  private constructor(host: NodeProcess, mainTask: Task<unknown>) {
    this.#host = host;
    this.#mainTask = mainTask;
  }

  static start(mainTask: Task<unknown>): SignalWatch | null {
    const host = nodeProcess();
    if (host === null || !isMainThread(host)) return null;
    const watch = new SignalWatch(host, mainTask);
    for (const signal of SIGNALS) {
      if (host.listenerCount(signal) > 0) continue; // the program handles it itself
      const listener = () => watch.#onSignal(signal);
      host.on(signal, listener);
      watch.#installed.set(signal, listener);
    }
    return watch.#installed.size > 0 ? watch : null;
  }

  /** Removes the listeners (idempotent). */
  remove(): void {
    for (const [signal, listener] of this.#installed) this.#host.removeListener(signal, listener);
    this.#installed.clear();
  }
}
