/*
 * coro in a real browser (issue 15). Vite bundles index.html + src/page.ts as a user's
 * bundler would, resolving @coro/loop, futures, sync and queues through their package
 * `exports` (to the built dist/); the page runs src/program.ts on a BrowserLoop in Debian's
 * Chromium, driven by playwright-core, against a server on 127.0.0.1; the same program runs
 * here on a NodeLoop; both traces must be equal. The bundle must not pull in a Node
 * built-in. The gzipped size of a tree-shaken page that uses only createTask, sleep and
 * run is printed (and quoted in apps/docs/browser.md).
 *
 * Run it with `pnpm --filter @coro/browser-test test:browser` (builds the packages first).
 * CHROMIUM_PATH overrides /usr/bin/chromium.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { run } from '@coro/futures';
import { NodeLoop } from '@coro/loop';
import { chromium } from 'playwright-core';
import { build, type Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { program } from '../src/program.js';

const appDirectory = fileURLToPath(new URL('..', import.meta.url));
const repositoryRoot = fileURLToPath(new URL('../../..', import.meta.url));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};

/** Every module id the bundle resolved (externals included), recorded by a Vite plugin. */
interface Bundle {
  outDir: string;
  moduleIds: string[];
  externals: string[];
}

function recordModules(into: { moduleIds: string[]; externals: string[] }): Plugin {
  return {
    name: 'record-modules',
    generateBundle() {
      for (const id of this.getModuleIds()) {
        into.moduleIds.push(id);
        if (this.getModuleInfo(id)?.isExternal) into.externals.push(id);
      }
    },
  };
}

async function bundle(input: string, outDir: string): Promise<Bundle> {
  const recorded = { moduleIds: [] as string[], externals: [] as string[] };
  await build({
    root: appDirectory,
    configFile: false,
    logLevel: 'warn',
    plugins: [recordModules(recorded)],
    build: {
      outDir,
      emptyOutDir: true,
      minify: true,
      rollupOptions: { input: join(appDirectory, input) },
    },
  });
  return { outDir, ...recorded };
}

/** Ids that are Node built-ins, or Vite's empty stand-in for one in a browser bundle. */
function nodeBuiltins(ids: readonly string[]): string[] {
  const builtins = new Set(builtinModules);
  return ids.filter((id) => {
    const bare = id.replace(/^\0/, '');
    return (
      bare.startsWith('node:') ||
      bare.includes('__vite-browser-external') ||
      builtins.has(bare.split('/')[0] as string)
    );
  });
}

/** The JavaScript files of a build, read. */
function javascriptOf(outDir: string): Buffer[] {
  const files: Buffer[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory)) {
      const path = join(directory, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (path.endsWith('.js')) files.push(readFileSync(path));
    }
  };
  walk(outDir);
  return files;
}

/** The page's files, `/api/hello`, and `/api/slow` (never answers; counts aborted requests). */
function serve(outDir: string, slowAborted: { count: number }): Promise<Server> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/api/hello') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('hello from 127.0.0.1');
      return;
    }
    if (path === '/favicon.ico') {
      response.writeHead(204).end(); // no icon, and no 404 in the console
      return;
    }
    if (path === '/api/slow') {
      response.on('close', () => {
        slowAborted.count++;
      });
      return; // no answer: only an abort ends it
    }
    const file = normalize(join(outDir, path === '/' ? 'index.html' : path));
    if (!file.startsWith(outDir + sep) || !existsSync(file) || statSync(file).isDirectory()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let scratch: string;
let page: Bundle;
let server: Server;
let baseUrl: string;
const slowAborted = { count: 0 };

beforeAll(async () => {
  for (const name of ['loop', 'futures', 'sync', 'queues']) {
    if (!existsSync(join(repositoryRoot, 'packages', name, 'dist', 'index.js'))) {
      throw new Error(`packages/${name}/dist is missing: run \`pnpm build\` first`);
    }
  }
  scratch = mkdtempSync(join(tmpdir(), 'coro-browser-test-'));
  page = await bundle('index.html', join(scratch, 'page'));
  server = await serve(page.outDir, slowAborted);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  baseUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('the page bundle', () => {
  it('resolves each coro package through its exports to the built dist/index.js', () => {
    const fromPackages = page.moduleIds
      .filter((id) => id.includes(`${sep}packages${sep}`))
      .map((id) => relative(repositoryRoot, id).split(sep).join('/'));

    expect(fromPackages.sort()).toEqual([
      'packages/futures/dist/index.js',
      'packages/loop/dist/index.js',
      'packages/queues/dist/index.js',
      'packages/sync/dist/index.js',
    ]);
  });

  it('pulls in no Node built-in and leaves nothing external', () => {
    expect(nodeBuiltins(page.moduleIds)).toEqual([]);
    expect(page.externals).toEqual([]);
  });
});

describe('the same program in Chromium (BrowserLoop) and in Node (NodeLoop)', () => {
  it('returns the same trace', async () => {
    expect(existsSync(executablePath), `no Chromium at ${executablePath}`).toBe(true);
    const inNode = await run(() => program({ baseUrl }), { loop: new NodeLoop() });

    const userDataDir = mkdtempSync(join(tmpdir(), 'coro-browser-test-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    const problems: string[] = [];
    let inBrowser: { trace?: string[]; error?: string };
    try {
      const tab = context.pages()[0] ?? (await context.newPage());
      tab.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      tab.on('console', (message) => {
        if (message.type() === 'error' && !message.text().includes('/api/slow')) {
          problems.push(`console error: ${message.text()}`);
        }
      });
      await tab.goto(`${baseUrl}/`);
      const ended = await tab
        .waitForFunction(() => 'coroResult' in window, undefined, { timeout: 60_000 })
        .then(() => true)
        .catch(() => false);
      if (!ended) {
        const partial = await tab.evaluate(
          () => (window as unknown as { coroTrace: string[] }).coroTrace,
        );
        throw new Error(
          `the page's program did not end in 60 s; its trace:\n${partial.join('\n')}`,
        );
      }
      inBrowser = await tab.evaluate(() => (window as unknown as { coroResult: never }).coroResult);
    } finally {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }

    console.log(`trace (Node and Chromium):\n  ${inNode.join('\n  ')}`);
    expect(inBrowser.error).toBeUndefined();
    expect(problems).toEqual([]);
    expect(inBrowser.trace).toEqual(inNode);
    expect(inNode).toEqual([
      'tasks: 3; main goes on, first starts, second runs, first resumes',
      'gather: slow, fast, a task',
      'timeout: TimeoutError',
      'timeout in time: done',
      'taskGroup: ExceptionGroup [boom]; sibling got CancelledError',
      'queue: w1:1 w2:4 w1:9 w2:16 w1:25 w2:36',
      'lock: x+ x- y+ y- z+ z-',
      "cancel inside: CancelledError 'user left'",
      "cancel outside: CancelledError 'user left'; reply cancelled: true",
      'fetch: 200 hello from 127.0.0.1',
      "fetch aborted: CancelledError 'too slow'; signal aborted: true",
      'fetch task: cancelled',
    ]);
    // Both runs aborted their /api/slow request: the server saw each connection close.
    expect(slowAborted.count).toBe(2);
  });
});

describe('the size of @coro/futures in a page', () => {
  it('is printed for a page that uses only createTask, sleep and run (tree-shaken)', async () => {
    const small = await bundle('src/size-entry.ts', join(scratch, 'size'));
    const code = Buffer.concat(javascriptOf(small.outDir));
    const gzipped = gzipSync(code, { level: 9 }).length;
    const whole = Buffer.concat(javascriptOf(page.outDir));

    console.log(
      `createTask + sleep + run: ${(code.length / 1024).toFixed(1)} KiB minified, ` +
        `${(gzipped / 1024).toFixed(1)} KiB min+gzip; the test page (loop, futures, sync, ` +
        `queues): ${(whole.length / 1024).toFixed(1)} KiB minified, ` +
        `${(gzipSync(whole, { level: 9 }).length / 1024).toFixed(1)} KiB min+gzip`,
    );
    expect(nodeBuiltins(small.moduleIds)).toEqual([]);
    expect(gzipped).toBeGreaterThan(0);
    expect(gzipped).toBeLessThan(code.length);
  });
});
