/*
 * "Coming from Python asyncio" (python.md) cannot list a coro name that does not exist:
 * every name in its coro column is looked up in the packages' real exports (a value, a
 * member of the class a receiver stands for, or an exported type), and every row without
 * one says **not yet** (naming the package that will hold it) or **no equivalent**. The
 * table also has to cover all of asyncio's public names.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with the build scripts.
import { workspacePackages } from '../scripts/packages.mjs';
import { docsDirectory } from './markdown.js';

interface Row {
  line: number;
  asyncio: string;
  coro: string;
}

/** The rows of every name table of python.md (tables whose header starts `| asyncio | coro |`). */
function nameTableRows(): Row[] {
  const lines = readFileSync(join(docsDirectory, 'python.md'), 'utf8').split('\n');
  const rows: Row[] = [];
  let inTable = false;
  lines.forEach((text, index) => {
    if (/^\| asyncio \| coro \| difference \|/.test(text)) {
      inTable = true;
      return;
    }
    if (!text.startsWith('|')) {
      inTable = false;
      return;
    }
    if (!inTable || /^\|\s*---/.test(text)) return;
    const cells = text
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());
    rows.push({ line: index + 1, asyncio: cells[0]!, coro: cells[1]! });
  });
  return rows;
}

const codeSpans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]!);

const packages = workspacePackages() as { name: string; entry: string }[];
const modules = await Promise.all(
  packages.map(
    async (pkg) => (await import(/* @vite-ignore */ pkg.name)) as Record<string, unknown>,
  ),
);
const values = new Map<string, unknown>();
for (const module of modules)
  for (const [name, value] of Object.entries(module)) values.set(name, value);
const typeNames = new Set(
  packages.flatMap((pkg) => exportedTypeNames(readFileSync(pkg.entry, 'utf8'))),
);

/** The names an index.ts exports as types: `type X` inside an export list, `export type { … }`. */
function exportedTypeNames(source: string): string[] {
  const names: string[] = [];
  for (const match of source.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const item of match[2]!.split(',')) {
      const parts = item.trim().split(/\s+/);
      if (match[1] && parts[0]) names.push(parts.at(-1)!);
      else if (parts[0] === 'type' && parts[1]) names.push(parts.at(-1)!);
    }
  }
  for (const match of source.matchAll(/export\s+(?:interface|type)\s+([A-Za-z_$][\w$]*)/g)) {
    names.push(match[1]!);
  }
  return names;
}

/** What a receiver in the coro column stands for: an instance of one of these classes. */
function receiverInstance(receiver: string): object {
  const exported = (name: string) => {
    const value = values.get(name);
    if (typeof value !== 'function') throw new Error(`${name} is not an exported class`);
    return value as new (
      ...args: unknown[]
    ) => object;
  };
  switch (receiver) {
    case 'loop':
      return new (exported('VirtualLoop'))();
    case 'task':
      return exported('Task').prototype;
    case 'future':
      return exported('Future').prototype;
    case 'tg':
      return exported('TaskGroup').prototype;
    case 'scope':
      return exported('TimeoutScope').prototype;
    case 'runner':
      return exported('Runner').prototype;
    case 'lock':
      return exported('Lock').prototype;
    case 'event':
      return exported('Event').prototype;
    case 'condition':
      return exported('Condition').prototype;
    case 'barrier':
      return exported('Barrier').prototype;
    case 'queue':
      return exported('Queue').prototype;
    default:
      throw new Error(`unknown receiver \`${receiver}\`: add it to receiverInstance()`);
  }
}

/** Why `name` (as written in the coro column) does not exist, or `undefined` if it does. */
function missing(name: string): string | undefined {
  const member = /^([a-z]\w*)\.([A-Za-z_$][\w$]*)$/.exec(name);
  if (member) {
    const instance = receiverInstance(member[1]!);
    return member[2]! in instance ? undefined : `${name}: no member ${member[2]}`;
  }
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `${name}: not a name (write names only)`;
  if (values.has(name) || typeNames.has(name)) return undefined;
  return `${name}: not exported by ${packages.map((pkg) => pkg.name).join(', ')}`;
}

/** asyncio's public names, 3.11 to 3.14 (`__all__` without the underscore names). */
const ASYNCIO_NAMES = `
  ALL_COMPLETED AbstractChildWatcher AbstractEventLoop AbstractEventLoopPolicy AbstractServer
  Barrier BaseEventLoop BaseProtocol BaseTransport BoundedSemaphore BrokenBarrierError
  BufferedProtocol CancelledError Condition DatagramProtocol DatagramTransport
  DefaultEventLoopPolicy Event EventLoop FIRST_COMPLETED FIRST_EXCEPTION FastChildWatcher
  FrameCallGraphEntry Future FutureCallGraph Handle IncompleteReadError InvalidStateError
  IocpProactor LifoQueue LimitOverrunError Lock MultiLoopChildWatcher PidfdChildWatcher
  PriorityQueue ProactorEventLoop Protocol Queue QueueEmpty QueueFull QueueShutDown
  ReadTransport Runner SafeChildWatcher SelectorEventLoop Semaphore SendfileNotAvailableError
  Server StreamReader StreamReaderProtocol StreamWriter SubprocessProtocol SubprocessTransport
  Task TaskGroup ThreadedChildWatcher Timeout TimeoutError TimerHandle Transport
  WindowsProactorEventLoopPolicy WindowsSelectorEventLoopPolicy WriteTransport all_tasks
  as_completed capture_call_graph create_eager_task_factory create_subprocess_exec
  create_subprocess_shell create_task current_task eager_task_factory ensure_future
  format_call_graph future_add_to_awaited_by future_discard_from_awaited_by gather
  get_child_watcher get_event_loop get_event_loop_policy get_running_loop iscoroutine
  iscoroutinefunction isfuture new_event_loop open_connection open_unix_connection
  print_call_graph run run_coroutine_threadsafe set_child_watcher set_event_loop
  set_event_loop_policy shield sleep start_server start_unix_server timeout timeout_at
  to_thread wait wait_for wrap_future
`
  .split(/\s+/)
  .filter(Boolean);

/** The local Python's asyncio.__all__, when python3 is there (CI installs it). */
function localPythonNames(): string[] {
  try {
    const output = execFileSync(
      'python3',
      ['-c', 'import asyncio, json; print(json.dumps(sorted(asyncio.__all__)))'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    );
    return (JSON.parse(output) as string[]).filter((name) => !name.startsWith('_'));
  } catch {
    return [];
  }
}

describe('the asyncio name table (python.md)', () => {
  const rows = nameTableRows();

  it('has rows', () => {
    expect(rows.length).toBeGreaterThan(50);
  });

  it('names only coro names that the packages export', () => {
    const problems: string[] = [];
    for (const row of rows) {
      if (/^(not yet|no equivalent)/.test(row.coro)) continue;
      const names = codeSpans(row.coro);
      if (names.length === 0)
        problems.push(`python.md:${row.line}: no coro name in \`${row.coro}\``);
      for (const name of names) {
        const why = missing(name);
        if (why) problems.push(`python.md:${row.line}: ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('marks what coro does not have: not yet (with its package) or no equivalent (with why)', () => {
    const problems: string[] = [];
    const existing = new Set(packages.map((pkg) => pkg.name));
    for (const row of rows) {
      const notYet = /^not yet: `(@coro\/[a-z-]+)`$/.exec(row.coro);
      if (notYet) {
        if (existing.has(notYet[1]!)) {
          // The package landed: the row should now name its exports. A warning, not a
          // failure, so that the package's own landing commit does not turn CI red.
          console.warn(`python.md:${row.line}: ${notYet[1]} exists now; name its exports`);
        }
        continue;
      }
      if (row.coro.startsWith('not yet')) {
        problems.push(`python.md:${row.line}: write "not yet: \`@coro/<package>\`"`);
      }
      if (row.coro === 'no equivalent' && row.coro.length > 0) {
        const difference = readFileSync(join(docsDirectory, 'python.md'), 'utf8')
          .split('\n')
          [row.line - 1]!.split('|')
          .at(-2)!
          .trim();
        if (difference === '')
          problems.push(`python.md:${row.line}: say why there is no equivalent`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("covers every public name of asyncio (and of the local Python's asyncio)", () => {
    const covered = new Set(
      rows.flatMap((row) =>
        codeSpans(row.asyncio).flatMap((span) => span.match(/[A-Za-z_]\w*/g) ?? []),
      ),
    );
    const expected = [...new Set([...ASYNCIO_NAMES, ...localPythonNames()])];
    expect(expected.filter((name) => !covered.has(name))).toEqual([]);
  });
});
