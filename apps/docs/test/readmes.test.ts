/*
 * The root README, each package's README and the docs agree: one install line per
 * package, the same example (about ten lines, run by code-blocks.test.ts), links to the
 * guide and to the package's page.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with the build scripts.
import { workspacePackages } from '../scripts/packages.mjs';
import { docsDirectory, repositoryDirectory, typescriptBlocks } from './markdown.js';

interface WorkspacePackage {
  short: string;
  name: string;
  directory: string;
  hasPage: boolean;
}

const documented = (workspacePackages() as WorkspacePackage[]).filter((pkg) => pkg.hasPage);
const read = (path: string) => readFileSync(path, 'utf8');
const installLines = (text: string) => [
  ...new Set([...text.matchAll(/^\s*(pnpm add [^\n`]+?)\s*$/gm)].map((match) => match[1]!)),
];

describe('the READMEs and the docs', () => {
  it('show the same example on the root README and the docs home', () => {
    const readme = typescriptBlocks(join(repositoryDirectory, 'README.md'))[0]!;
    const home = typescriptBlocks(join(docsDirectory, 'index.md'))[0]!;
    expect(home.code).toEqual(readme.code);
    expect(readme.runnable).toBe(true);
  });

  for (const pkg of documented) {
    describe(pkg.name, () => {
      const readmePath = join(pkg.directory, 'README.md');
      const readme = read(readmePath);
      const page = read(join(docsDirectory, `${pkg.short}.md`));

      it('has one install line, the same in its README, on its page and on the docs home', () => {
        const lines = installLines(readme);
        expect(lines).toHaveLength(1);
        expect(lines[0]!.startsWith(`pnpm add ${pkg.name}`)).toBe(true);
        expect(installLines(page)).toEqual(lines);
        expect(read(join(docsDirectory, 'index.md'))).toContain(`\`${lines[0]}\``);
        expect(read(join(repositoryDirectory, 'README.md'))).toContain(`\`${lines[0]}\``);
      });

      it('shows the same runnable example of about ten lines in its README and on its page', () => {
        const example = typescriptBlocks(readmePath)[0]!;
        expect(example.runnable).toBe(true);
        expect(example.code.trimEnd().split('\n').length).toBeLessThanOrEqual(14);
        expect(typescriptBlocks(join(docsDirectory, `${pkg.short}.md`))[0]!.code).toEqual(
          example.code,
        );
      });

      it('links from its README to its docs page and to the guide, both existing', () => {
        const links = [...readme.matchAll(/\]\((\.\.\/\.\.\/apps\/docs\/[^)#]+)\)/g)].map((match) =>
          resolve(dirname(readmePath), match[1]!),
        );
        expect(links).toContain(join(docsDirectory, `${pkg.short}.md`));
        expect(links).toContain(join(docsDirectory, 'guide', 'index.md'));
        for (const link of links) expect(existsSync(link), link).toBe(true);
      });
    });
  }

  it('links from the root README to the guide', () => {
    const readme = read(join(repositoryDirectory, 'README.md'));
    expect(readme).toContain('](apps/docs/guide/index.md)');
    expect(existsSync(join(docsDirectory, 'guide', 'index.md'))).toBe(true);
  });
});
