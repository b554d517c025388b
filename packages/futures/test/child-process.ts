/*
 * Runs a script in a real child `node` process against this package's sources
 * (and @coro/loop's), transpiled to plain ESM: for what only a process shows —
 * its exit code, its signals, what it prints on the way out.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface ChildOutcome {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function transpileInto(sources: string, target: string): void {
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(sources)) {
    if (!file.endsWith('.ts')) continue;
    const { outputText } = ts.transpileModule(readFileSync(join(sources, file), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(target, file.replace(/\.ts$/, '.js')), outputText);
  }
  writeFileSync(
    join(target, 'package.json'),
    JSON.stringify({ type: 'module', exports: './index.js' }),
  );
}

/** A directory holding `@coro/loop` (as a package) and `./futures/`; call `remove()` after. */
export function makeChildWorkspace(): {
  directory: string;
  run: (body: string, options?: { killAfterMs?: number }) => ChildHandle;
  remove: () => void;
} {
  const directory = mkdtempSync(join(tmpdir(), 'coro-futures-'));
  transpileInto(
    fileURLToPath(new URL('../../loop/src/', import.meta.url)),
    join(directory, 'node_modules', '@coro', 'loop'),
  );
  transpileInto(fileURLToPath(new URL('../src/', import.meta.url)), join(directory, 'futures'));
  writeFileSync(join(directory, 'package.json'), '{ "type": "module" }');
  return {
    directory,
    run: (body, options) => startChild(directory, body, options?.killAfterMs ?? 20_000),
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

export interface ChildHandle {
  child: ChildProcess;
  /** Resolves once the child printed `text` on stdout. */
  printed(text: string): Promise<void>;
  outcome: Promise<ChildOutcome>;
}

function startChild(directory: string, body: string, killAfterMs: number): ChildHandle {
  const path = join(directory, `child-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(path, body);
  const child = spawn(process.execPath, [path], { cwd: directory, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  const watchers: { text: string; resolve: () => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const watcher of watchers) if (stdout.includes(watcher.text)) watcher.resolve();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const outcome = new Promise<ChildOutcome>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ stdout, stderr, code, signal });
    });
  });
  return {
    child,
    outcome,
    printed: (text) =>
      new Promise<void>((resolve, reject) => {
        if (stdout.includes(text)) resolve();
        else watchers.push({ text, resolve });
        void outcome.then(() =>
          reject(
            new Error(
              `the child ended without printing ${JSON.stringify(text)}:\n${stdout}\n${stderr}`,
            ),
          ),
        );
      }),
  };
}
