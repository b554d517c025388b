// The workspace packages the docs cover, read from packages/*/package.json at run time, so a
// package that lands is picked up without editing the docs' code. `page` is its docs page
// (`<short>.md` next to index.md) when one exists; only packages with a page get a
// sidebar entry.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const docsDirectory = fileURLToPath(new URL('../', import.meta.url));
export const repositoryDirectory = join(docsDirectory, '..', '..');
export const packagesDirectory = join(repositoryDirectory, 'packages');

/** The dependency order of DESIGN §1; packages not listed come after, by name. */
const order = [
  'loop',
  'futures',
  'sync',
  'queues',
  'transports',
  'streams',
  'workers',
  'distributed',
  'coro',
];

/**
 * @returns {{ short: string, name: string, description: string, directory: string,
 *   entry: string, hasPage: boolean, umbrella: boolean }[]}
 */
export function workspacePackages() {
  const found = [];
  for (const entry of readdirSync(packagesDirectory, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const directory = join(packagesDirectory, entry.name);
    const manifest = join(directory, 'package.json');
    const source = join(directory, 'src', 'index.ts');
    if (!existsSync(manifest) || !existsSync(source)) continue;
    const { name, description = '' } = JSON.parse(readFileSync(manifest, 'utf8'));
    found.push({
      short: entry.name,
      name,
      description,
      directory,
      entry: source,
      hasPage: existsSync(join(docsDirectory, `${entry.name}.md`)),
      umbrella: name === 'coro',
    });
  }
  const rank = (short) => (order.includes(short) ? order.indexOf(short) : order.length);
  return found.sort((a, b) => rank(a.short) - rank(b.short) || a.short.localeCompare(b.short));
}
