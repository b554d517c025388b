// The test setup every coro package shares. A package's vitest.config.ts is one line:
//
//   export default vitestPreset();
//
// Workspace packages resolve to their `src/index.ts` through aliases, so tests run on the
// sources and never need a build. The aliases are read from packages/*/package.json at
// load time: a new package is picked up without editing this file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';

const packagesDirectory = fileURLToPath(new URL('../../packages/', import.meta.url));

/** `{ find, replacement }` for every workspace package that has a `src/index.ts`. */
export function workspaceAliases() {
  const aliases = [];
  for (const entry of readdirSync(packagesDirectory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifestPath = join(packagesDirectory, entry.name, 'package.json');
    const sourcePath = join(packagesDirectory, entry.name, 'src', 'index.ts');
    if (!existsSync(manifestPath) || !existsSync(sourcePath)) continue;
    const { name } = JSON.parse(readFileSync(manifestPath, 'utf8'));
    // Exact match only: `@coro/loop` must not also capture `@coro/loop-something`.
    const find = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
    aliases.push({ find, replacement: sourcePath });
  }
  return aliases;
}

/**
 * @param {import('vitest/config').ViteUserConfig} [overrides] merged over the defaults.
 */
export function vitestPreset(overrides = {}) {
  const base = defineConfig({
    resolve: { alias: workspaceAliases() },
    test: {
      include: ['test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 20_000,
      hookTimeout: 20_000,
      reporters: ['default'],
      // A package whose tests are still to be written must not fail the whole run.
      passWithNoTests: true,
    },
  });
  return mergeConfig(base, overrides);
}
