/*
 * The packages as a user gets them: `pnpm pack` every package in packages/*, install the
 * tarballs with npm into a scratch project outside the workspace, then load each one with
 * `import()` and with `require()` under plain Node, and type-check a consumer against the
 * packed declarations (node16 from ESM and from CJS, and bundler resolution).
 *
 * `expectedExports` lists, per package, runtime names its users rely on (DESIGN §3).
 * A package whose src/index.ts still has no exports is only checked to load.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalMentions, pack, publishablePackages } from '../check-packages.mjs';

const loopExports = [
  'NodeLoop',
  'VirtualLoop',
  'BrowserLoop',
  'Handle',
  'TimerHandle',
  'Deque',
  'getRunningLoop',
  'getEventLoop',
  'setEventLoop',
  'newEventLoop',
];
const futuresExports = [
  'Future',
  'Task',
  'CancelledError',
  'TimeoutError',
  'InvalidStateError',
  'ExceptionGroup',
  'createTask',
  'currentTask',
  'allTasks',
  'sleep',
  'gather',
  'wait',
  'waitFor',
  'timeout',
  'timeoutAt',
  'shield',
  'asCompleted',
  'taskGroup',
  'ensureFuture',
  'run',
  'Runner',
  'FIRST_COMPLETED',
  'FIRST_EXCEPTION',
  'ALL_COMPLETED',
  'captureCallGraph',
  'formatCallGraph',
  'enableIntrospection',
  'snapshotTasks',
  'introspectionSocketPath',
];

const syncExports = [
  'Lock',
  'Event',
  'Condition',
  'Semaphore',
  'BoundedSemaphore',
  'Barrier',
  'BrokenBarrierError',
  'Held',
];

const queuesExports = [
  'Queue',
  'PriorityQueue',
  'LifoQueue',
  'QueueEmpty',
  'QueueFull',
  'QueueShutDown',
];

/**
 * Runtime names each package must export; a new package adds its line here. The umbrella
 * `coro` is checked against what the packages it depends on really export (test below).
 */
const transportsExports = [
  'createConnection',
  'createServer',
  'createUnixConnection',
  'createUnixServer',
  'createDatagramEndpoint',
  'connectReadPipe',
  'connectWritePipe',
  'subprocessExec',
  'subprocessShell',
  'startTls',
  'Server',
];
const streamsExports = [
  'openConnection',
  'startServer',
  'openUnixConnection',
  'startUnixServer',
  'StreamReader',
  'StreamWriter',
  'StreamReaderProtocol',
  'IncompleteReadError',
  'LimitOverrunError',
];
const workersExports = [
  'ThreadPoolExecutor',
  'ProcessPoolExecutor',
  'runInExecutor',
  'toThread',
  'BrokenExecutorError',
  'createSubprocessExec',
  'createSubprocessShell',
  'Process',
];

/** The Executor API over BullMQ + Redis (DESIGN §3); not re-exported by `coro`. */
const distributedExports = ['QueueExecutor', 'serveQueue'];

const expectedExports: Record<string, string[]> = {
  '@coro/loop': loopExports,
  '@coro/futures': futuresExports,
  '@coro/sync': syncExports,
  '@coro/queues': queuesExports,
  '@coro/transports': transportsExports,
  '@coro/streams': streamsExports,
  '@coro/workers': workersExports,
  '@coro/distributed': distributedExports,
  coro: [],
};

const root = fileURLToPath(new URL('../../../', import.meta.url));
/** The runtime version the packed @coro/loop speaks, read from its source. */
const RUNTIME_VERSION = Number(
  /RUNTIME_VERSION = (\d+)/.exec(
    readFileSync(join(root, 'packages', 'loop', 'src', 'recognize-across-copies.ts'), 'utf8'),
  )?.[1],
);
const binaries = join(root, 'node_modules', '.bin');

interface PackedPackage {
  name: string;
  directory: string;
  tarball: string;
  /** False while src/index.ts exports nothing yet (a placeholder). */
  implemented: boolean;
}

let scratch = '';
let packages: PackedPackage[] = [];

function readJson(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function hasExports(directory: string): boolean {
  const source = readFileSync(join(directory, 'src', 'index.ts'), 'utf8');
  return /^\s*export\s+(?!\{\s*\};?\s*$)/m.test(source);
}

/** Runs `node` on a file in the scratch project; returns its stdout. */
function node(file: string): string {
  return execFileSync(process.execPath, [file], { cwd: scratch, encoding: 'utf8' });
}

function exportedNames(name: string, via: 'import' | 'require'): string[] {
  const file = join(
    scratch,
    `names-${via}-${name.replace(/[@/]/g, '_')}.${via === 'import' ? 'mjs' : 'cjs'}`,
  );
  const load =
    via === 'import'
      ? `const module_ = await import(${JSON.stringify(name)});`
      : `const module_ = require(${JSON.stringify(name)});`;
  writeFileSync(
    file,
    `${load}\nprocess.stdout.write(JSON.stringify(Object.keys(module_).filter((key) => key !== 'default' && key !== '__esModule').sort()));\n`,
  );
  return JSON.parse(node(file));
}

beforeAll(() => {
  const directories: string[] = publishablePackages();
  // Under `turbo run test` the packages were just built (^build); run alone, build them
  // here (turbo's cache makes that quick when nothing changed).
  const missingBuild = directories.some((directory) => !existsSync(join(directory, 'dist')));
  if (process.env.TURBO_HASH === undefined || missingBuild) {
    execFileSync('pnpm', ['exec', 'turbo', 'run', 'build', '--filter=./packages/*'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    });
  }

  scratch = mkdtempSync(join(tmpdir(), 'coro-packed-'));
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  packages = directories.map((directory) => ({
    name: readJson(join(directory, 'package.json')).name,
    directory,
    tarball: pack(directory, tarballs),
    implemented: hasExports(directory),
  }));

  const project = join(scratch, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'coro-consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  // All tarballs in one command: their `@coro/*` dependencies (pnpm pack wrote real versions)
  // resolve to each other, not to the registry.
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--no-package-lock',
      '--loglevel=error',
      ...packages.map((entry) => entry.tarball),
    ],
    { cwd: project, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  scratch = project;
}, 300_000);

afterAll(() => {
  if (scratch) rmSync(join(scratch, '..'), { recursive: true, force: true });
});

// Spawns node, npm and tsc (checking the packed .d.ts files in full): slower than unit tests.
describe('packed packages', { timeout: 180_000 }, () => {
  it('installs from the tarballs outside the workspace', () => {
    expect(packages.map((entry) => entry.name).sort()).toEqual(Object.keys(expectedExports).sort());
    for (const entry of packages) {
      const installed = join(scratch, 'node_modules', ...entry.name.split('/'), 'package.json');
      expect(readJson(installed).name).toBe(entry.name);
      expect(basename(entry.tarball)).toMatch(/\.tgz$/);
    }
  });

  it('rewrites workspace: dependencies to versions', () => {
    for (const entry of packages) {
      const installed = readJson(
        join(scratch, 'node_modules', ...entry.name.split('/'), 'package.json'),
      );
      for (const range of Object.values<string>(installed.dependencies ?? {})) {
        expect(range).not.toMatch(/^workspace:/);
      }
    }
  });

  it('loads with import() and with require(), with the same names', () => {
    for (const entry of packages) {
      const viaImport = exportedNames(entry.name, 'import');
      const viaRequire = exportedNames(entry.name, 'require');
      expect(viaRequire, entry.name).toEqual(viaImport);
    }
  });

  it('exports the names of the API contract (DESIGN §3)', () => {
    for (const entry of packages) {
      if (!entry.implemented) continue; // src/index.ts is still `export {}`
      const names = new Set(exportedNames(entry.name, 'import'));
      const missing = (expectedExports[entry.name] ?? []).filter((name) => !names.has(name));
      expect(missing, `${entry.name} is missing exports`).toEqual([]);
    }
  });

  it('re-exports every name of its @coro dependencies from coro', () => {
    const umbrella = new Set(exportedNames('coro', 'import'));
    const installed = readJson(join(scratch, 'node_modules', 'coro', 'package.json'));
    const dependencies = Object.keys(installed.dependencies ?? {}).filter((name) =>
      name.startsWith('@coro/'),
    );
    expect(dependencies.length).toBeGreaterThan(0);
    for (const dependency of dependencies) {
      const missing = exportedNames(dependency, 'import').filter((name) => !umbrella.has(name));
      expect(missing, `coro does not re-export these names of ${dependency}`).toEqual([]);
    }
  });

  it('runs a job on a worker thread and in a worker process from the packed @coro/workers', () => {
    // The pools start their workers from the installed package, not from the workspace:
    // this is where a worker entry missing from `files` or an ESM/CJS mismatch shows.
    const job = `
      const { ProcessPoolExecutor, ThreadPoolExecutor, run } = LOAD;
      run(async () => {
        const results = [];
        for (const Pool of [ThreadPoolExecutor, ProcessPoolExecutor]) {
          const pool = new Pool({ maxWorkers: 1 });
          results.push(await pool.submit((x) => x + 1, 41));
          await pool.shutdown();
        }
        process.stdout.write(JSON.stringify(results));
      });
    `;
    for (const [extension, load] of [
      ['mjs', "await import('coro')"],
      ['cjs', "require('coro')"],
    ] as const) {
      const file = join(scratch, `pool-job.${extension}`);
      const body =
        extension === 'mjs'
          ? job.replace('LOAD', load)
          : `(async () => {${job.replace('LOAD', load)}})();`;
      writeFileSync(file, body);
      expect(JSON.parse(node(file)), extension).toEqual([42, 42]);
    }
  });

  describe('two copies in one process: the ESM build next to the CJS build (issue 11, case 5)', () => {
    /** Runs test/fixtures/<name> from the scratch project (so it loads the packed packages). */
    function fixture(name: string, ...args: string[]): Record<string, unknown> {
      copyFileSync(
        fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)),
        join(scratch, name),
      );
      const output = execFileSync(process.execPath, [name, ...args], {
        cwd: scratch,
        encoding: 'utf8',
      });
      return JSON.parse(output);
    }

    it.each([
      ['esm-first', 'ESM outside, CJS inside'],
      ['cjs-first', 'CJS outside, ESM inside'],
    ])('share one runtime (%s: %s)', (order) => {
      const findings = fixture('two-copies.mjs', order);

      expect(findings.twoCopies).toBe(true); // really two copies: their classes differ
      expect([...(findings.copies as string[])].sort()).toEqual(['index.cjs', 'index.js']);
      expect(findings.sameEventLoop).toBe(true);
      // A timeout of one copy around a sleep of the other ends at the deadline.
      expect(findings.timeout).toEqual({ outcome: 'TimeoutError', at: 20, sleepCancelled: true });
      expect(findings.timeoutOnNodeLoop).toEqual({ isTimeoutError: true, sleepCancelled: true });
      // A task's cancel() reaches its await on the other copy's Future.
      expect(findings.cancel).toEqual({
        taskCancelled: true,
        futureCancelled: true,
        errorIsCancelledError: true,
        message: 'stop waiting',
      });
      expect(findings.currentTask).toEqual({ innerSeesOuter: true, outerSeesInner: true });
      expect(findings.allTasksListsInner).toBe(true);
      expect(findings.run).toEqual({ total: 42, leftoverCancelled: true });
      // Every package's errors are caught by class whichever copy threw them.
      for (const [name, recognised] of Object.entries(findings.errorsAcrossCopies as object)) {
        expect(recognised, name).toBe(true);
      }
    });

    it('refuses to load next to a copy of another runtime version, naming both', () => {
      const findings = fixture('runtime-conflict.mjs');

      for (const via of ['import', 'require']) {
        const failure = findings[via] as { name: string; message: string; loading: unknown };
        expect(failure.name, via).toBe('RuntimeConflictError');
        expect(failure.message, via).toContain(
          '@coro/loop (runtime v99) at /opt/other-app/node_modules/@coro/loop/dist/index.js',
        );
        const version = readJson(
          join(scratch, 'node_modules', '@coro', 'loop', 'package.json'),
        ).version;
        expect(failure.loading, via).toMatchObject({
          package: '@coro/loop',
          version,
          runtimeVersion: RUNTIME_VERSION,
        });
        expect(failure.message, via).toMatch(
          new RegExp(
            `@coro/loop ${version.replace(/\./g, '\\.')} \\(runtime v${RUNTIME_VERSION}\\) at \\S*node_modules/@coro/loop/dist/index\\.c?js`,
          ),
        );
      }
    });
  });

  it('publishes no member marked @internal in its declarations (.d.ts, .d.cts)', () => {
    // The tsup preset builds with stripInternal: what coro's packages need from each other
    // is documented API, so an `@internal` left in a published file is a leak.
    for (const entry of packages) {
      const installed = join(scratch, 'node_modules', ...entry.name.split('/'));
      expect(internalMentions(installed), entry.name).toEqual([]);
    }
  });

  it('type-checks a consumer against the packed declarations', () => {
    // Each package in its own consumer file (coro re-exports the others' names), importing
    // every runtime name it really has: each must come with a type.
    packages.forEach((entry, index) => {
      const names = exportedNames(entry.name, 'import');
      const fromImport = [
        `import * as everything from '${entry.name}';`,
        ...(names.length > 0 ? [`import { ${names.join(', ')} } from '${entry.name}';`] : []),
        `void everything;`,
        ...names.map((name) => `void ${name};`),
        'export {};',
      ].join('\n');
      const fromRequire = [
        `import everything = require('${entry.name}');`,
        ...names.map((name) => `void everything.${name};`),
      ].join('\n');
      writeFileSync(join(scratch, `consumer-${index}.mts`), `${fromImport}\n`);
      writeFileSync(join(scratch, `consumer-${index}.cts`), `${fromRequire}\n`);
      writeFileSync(join(scratch, `consumer-bundler-${index}.ts`), `${fromImport}\n`);
    });

    const common = {
      strict: true,
      noEmit: true,
      target: 'ES2022',
      lib: ['ES2023'],
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      skipLibCheck: false,
    };
    writeFileSync(
      join(scratch, 'tsconfig.node16.json'),
      JSON.stringify({
        compilerOptions: { ...common, module: 'node16', moduleResolution: 'node16' },
        include: ['consumer-*.mts', 'consumer-*.cts'],
      }),
    );
    writeFileSync(
      join(scratch, 'tsconfig.bundler.json'),
      JSON.stringify({
        compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler' },
        include: ['consumer-bundler-*.ts'],
      }),
    );
    for (const config of ['tsconfig.node16.json', 'tsconfig.bundler.json']) {
      let diagnostics = '';
      try {
        execFileSync(join(binaries, 'tsc'), ['-p', config], { cwd: scratch, encoding: 'utf8' });
      } catch (error) {
        diagnostics = String((error as { stdout?: string }).stdout ?? error);
      }
      expect(diagnostics, `tsc -p ${config}`).toBe('');
    }
  });
});
