// Runs `pnpm example <name> [options]` as a real child process, on the packages' sources
// (tsx with tsconfig.json, whose `paths` point `coro` at packages/*/src: no build needed),
// and watches what it prints. For the examples that serve until a signal stops them.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const examplesDirectory = fileURLToPath(new URL('..', import.meta.url));

export class ExampleProcess {
  readonly child: ChildProcess;
  /** Every line printed on stdout so far. */
  readonly lines: string[] = [];
  stderr = '';
  #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(name: string, args: string[] = []) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', 'example', name, ...args],
      {
        cwd: examplesDirectory,
        env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      const parts = (partial + text).split('\n');
      partial = parts.pop()!;
      for (const line of parts) this.#addLine(line);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({ code, signal }));
  }

  #addLine(line: string): void {
    this.lines.push(line);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (!waiter.pattern.test(line)) return true;
      waiter.resolve(line);
      return false;
    });
  }

  /** The first line (printed so far or later) that matches `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const exit = () =>
        reject(new Error(`exited before printing ${pattern}; stderr:\n${this.stderr}`));
      this.child.once('exit', exit);
      this.#waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          this.child.off('exit', exit);
          resolve(line);
        },
      });
    });
  }

  /** Sends `signal` and waits for the process to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
