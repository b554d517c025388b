#!/usr/bin/env node
// Checks what each publishable package would ship, as a user would receive it:
// `pnpm pack` (which rewrites `workspace:^` to real versions), then on the tarball
//   publint --strict        package.json fields, exports, files present;
//   attw --profile node16   types resolve for `import` and `require` under node16 and
//                           bundler resolution (ESM and CJS both typed correctly).
// Run after a build: `pnpm check:packages` builds first.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    console.error(`\ncheck:packages failed: ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log('\ncheck:packages: every package passed publint and attw');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
