#!/usr/bin/env node
// Checks what each publishable package would ship, as a user would receive it:
// `pnpm pack` (which rewrites `workspace:^` to real versions), then on the tarball
//   publint --strict        package.json fields, exports, files present;
//   attw --profile node16   types resolve for `import` and `require` under node16 and
//                           bundler resolution (ESM and CJS both typed correctly);
// and on the built dist/: no declaration file still says `@internal` (the shared tsup
// preset strips internal members; a tag left means one leaked into the published types).
// Run after a build: `pnpm check:packages` builds first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const packagesDirectory = join(root, 'packages');
const binaries = join(root, 'node_modules', '.bin');

/** Directories of the packages that get published (packages/*, not private). */
export function publishablePackages() {
  return readdirSync(packagesDirectory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDirectory, entry.name))
    .filter((directory) => existsSync(join(directory, 'package.json')))
    .filter(
      (directory) => !JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).private,
    );
}

/** `pnpm pack` the package in `directory` into `destination`; returns the tarball path. */
export function pack(directory, destination) {
  const output = execFileSync('pnpm', ['pack', '--json', '--pack-destination', destination], {
    cwd: directory,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(output).filename;
}

/**
 * Each line that mentions `@internal` in the declaration files (`*.d.ts`, `*.d.cts`)
 * under `directory`, recursively, its node_modules/ left out: `<file>:<line>: <text>`,
 * the file relative to `directory`. Empty when the published types hold no internal
 * member.
 */
export function internalMentions(directory) {
  const found = [];
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.d\.c?ts$/.test(entry.name)) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if (relative(directory, path).split(/[\\/]/).includes('node_modules')) continue;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (line.includes('@internal')) {
          found.push(`${relative(directory, path)}:${index + 1}: ${line.trim()}`);
        }
      });
  }
  return found;
}

function run(command, args) {
  console.log(`$ ${command.replace(`${binaries}/`, '')} ${args.join(' ')}`);
  execFileSync(command, args, { stdio: 'inherit', cwd: root });
}

function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'coro-package-check-'));
  const failures = [];
  try {
    for (const directory of publishablePackages()) {
      const { name } = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'));
      if (!existsSync(join(directory, 'dist'))) {
        failures.push(`${name}: no dist/ (run pnpm build first)`);
        continue;
      }
      console.log(`\n── ${name}`);
      const leaked = internalMentions(join(directory, 'dist'));
      if (leaked.length > 0) {
        console.error(`@internal in the published declarations:\n  ${leaked.join('\n  ')}`);
        failures.push(name);
      }
      const tarball = pack(directory, scratch);
      try {
        run(join(binaries, 'publint'), ['run', tarball, '--strict']);
        run(join(binaries, 'attw'), [
          tarball,
          '--profile',
          'node16',
          '--format',
          'table-flipped',
          '--no-color',
        ]);
      } catch {
        failures.push(name);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  if (failures.length > 0) {
    console.error(`\ncheck:packages failed: ${[...new Set(failures)].join(', ')}`);
    process.exit(1);
  }
  console.log('\ncheck:packages: every package passed publint and attw, no @internal in its types');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
