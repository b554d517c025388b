/*
 * A real redis-server (Debian's package) on 127.0.0.1 and a free port, for the tests and
 * the benchmarks of @coro/distributed: no persistence (its dump file is kept only by a
 * `stop({ keepData: true })`, to test a restart that keeps the data), its data directory
 * a fresh temporary one. Does not import vitest, so a benchmark can bundle it.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on 127.0.0.1 (the OS picks it; it is free again when this resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /**
   * Stops it (SHUTDOWN SAVE keeps the data for the next `start()`, NOSAVE loses it);
   * SIGKILL if it has not exited after 5 s. The data directory is removed unless
   * `keepData`.
   */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Starts it again on the same port and directory (with the data a `keepData` stop saved). */
  start(): Promise<void>;
}

/** Starts redis-server and resolves once it accepts connections; `stop()` it afterwards. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'coro-redis-'));
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    mkdirSync(directory, { recursive: true }); // a stop() without keepData removed it
    const arguments_ = ['--port', String(port), '--bind', '127.0.0.1'];
    arguments_.push('--save', '', '--appendonly', 'no', '--dir', directory);
    child = spawn('redis-server', arguments_, { stdio: ['ignore', 'pipe', 'pipe'] });
    await printed(child, /Ready to accept connections/, 'redis-server');
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    async stop({ keepData = false } = {}) {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null || running.signalCode !== null) {
        if (!keepData) rmSync(directory, { recursive: true, force: true });
        return;
      }
      const exited = new Promise((resolve) => running.once('exit', resolve));
      const how = keepData ? 'SAVE' : 'NOSAVE';
      const cli = spawn('redis-cli', ['-p', String(port), 'SHUTDOWN', how], { stdio: 'ignore' });
      cli.on('error', () => running.kill('SIGKILL'));
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      if (!keepData) rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Resolves once `child` printed `pattern` (its later output is drained, not kept). */
function printed(child: ChildProcess, pattern: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onExit = (code: number | null) => {
      reject(new Error(`${what} exited (${code}) before printing ${pattern}:\n${seen}`));
    };
    const onData = (text: string) => {
      seen += text;
      if (!pattern.test(seen)) return;
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.stdout?.resume();
      resolve();
    };
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', onData);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      seen += text;
    });
    child.once('exit', onExit);
    child.once('error', (error) => reject(error));
  });
}
