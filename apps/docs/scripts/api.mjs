// Generates the API reference (api/<package>/…) from the packages' doc comments with TypeDoc
// and typedoc-plugin-markdown, one run per package, each with a sidebar file
// (typedoc-sidebar.json) that .vitepress/config.ts reads. The output is not committed.
// `coro` only re-exports the others, so it has no reference of its own.
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Application } from 'typedoc';
import { docsDirectory, workspacePackages } from './packages.mjs';

const apiDirectory = join(docsDirectory, 'api');
rmSync(apiDirectory, { recursive: true, force: true });

const documented = workspacePackages().filter((pkg) => !pkg.umbrella);
for (const pkg of documented) {
  const out = join(apiDirectory, pkg.short);
  const app = await Application.bootstrapWithPlugins({
    entryPoints: [pkg.entry],
    tsconfig: join(pkg.directory, 'tsconfig.json'),
    plugin: ['typedoc-plugin-markdown', 'typedoc-vitepress-theme'],
    out,
    name: pkg.name,
    readme: 'none',
    excludePrivate: true,
    excludeInternal: true,
    excludeExternals: true,
    hideGenerator: true,
    disableSources: true,
    // Type errors are the packages' typecheck's to report; the reference is built regardless.
    skipErrorChecking: true,
    hideBreadcrumbs: true,
    hidePageHeader: true,
    useCodeBlocks: true,
    entryFileName: 'index',
    logLevel: 'Warn',
    docsRoot: docsDirectory,
    sidebar: { autoConfiguration: true, format: 'vitepress', pretty: false, collapsed: true },
  });
  const project = await app.convert();
  if (!project) throw new Error(`TypeDoc could not convert ${pkg.name}`);
  await app.generateOutputs(project);
  console.log(`API reference of ${pkg.name} → ${relative(docsDirectory, out)}/`);
}

// The index page of the reference, listing what was generated.
const lines = [
  '# API reference',
  '',
  "Generated from the packages' doc comments by TypeDoc at build time: every public",
  'symbol, with its summary, behaviour, errors and an example.',
  '',
  ...documented.map((pkg) => `- [\`${pkg.name}\`](./${pkg.short}/): ${pkg.description}`),
  '',
  '`coro` re-exports all of them, so each name below is also importable from `coro`.',
  '',
];
writeFileSync(join(apiDirectory, 'index.md'), lines.join('\n'));
