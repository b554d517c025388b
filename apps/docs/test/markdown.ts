/*
 * Reading the docs' Markdown: which pages there are, their fenced code blocks, and the
 * output a runnable block promises.
 *
 * Conventions (the page authors' side is in README.md of apps/docs):
 *   ```ts            a TypeScript block: type-checked against the workspace packages
 *   ```ts run        also run; what it prints is compared with
 *                      - its `// prints: <line>` comments, in order, one printed line each, or
 *                      - the ```text block right after it (blank lines between only).
 *   ```ts run io     run on a real loop instead of the virtual one: the block does real I/O
 *                    (sockets, threads, processes), which a virtual clock cannot wait for.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const docsDirectory = fileURLToPath(new URL('../', import.meta.url));
export const repositoryDirectory = join(docsDirectory, '..', '..');

export interface CodeBlock {
  /** The file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  meta: string;
  code: string;
  runnable: boolean;
  /** `ts run io`: run on a real `NodeLoop`, because the block waits for real I/O. */
  realLoop: boolean;
  /** What the block must print, line by line; `undefined` when the page does not say. */
  expected: string[] | undefined;
}

/** The guide, the package pages and every other hand-written page, plus the READMEs. */
export function documentationFiles(): string[] {
  const files: string[] = [];
  for (const name of readdirSync(docsDirectory)) {
    if (name.endsWith('.md') && name !== 'README.md') files.push(join(docsDirectory, name));
  }
  for (const name of readdirSync(join(docsDirectory, 'guide'))) {
    if (name.endsWith('.md')) files.push(join(docsDirectory, 'guide', name));
  }
  files.push(join(repositoryDirectory, 'README.md'));
  const packages = join(repositoryDirectory, 'packages');
  for (const name of readdirSync(packages)) {
    const readme = join(packages, name, 'README.md');
    if (existsSync(readme)) files.push(readme);
  }
  return files.sort();
}

const FENCE = /^```([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;

/** Every fenced block of `text`, in order. */
export function fencedBlocks(
  text: string,
): { info: string; code: string; start: number; end: number }[] {
  const blocks = [];
  for (const match of text.matchAll(FENCE)) {
    blocks.push({
      info: match[1]!.trim(),
      code: match[2]!,
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return blocks;
}

/** The TypeScript blocks of one Markdown file. */
export function typescriptBlocks(path: string): CodeBlock[] {
  const text = readFileSync(path, 'utf8');
  const blocks = fencedBlocks(text);
  const result: CodeBlock[] = [];
  blocks.forEach((block, index) => {
    const [lang = '', ...rest] = block.info.split(/\s+/);
    if (lang !== 'ts' && lang !== 'typescript') return;
    const meta = rest.join(' ');
    const runnable = rest.includes('run');
    let expected: string[] | undefined;
    if (runnable) {
      const comments = [...block.code.matchAll(/\/\/ prints: (.*)$/gm)].map((m) => m[1]!.trimEnd());
      const next = blocks[index + 1];
      const between = next ? text.slice(block.end, next.start) : '';
      if (comments.length > 0) expected = comments;
      else if (next && next.info.split(/\s+/)[0] === 'text' && between.trim() === '') {
        expected = next.code
          .replace(/\n$/, '')
          .split('\n')
          .map((line) => line.trimEnd());
      }
    }
    result.push({
      file: relative(repositoryDirectory, path),
      line: text.slice(0, block.start).split('\n').length,
      lang,
      meta,
      code: block.code,
      runnable,
      realLoop: runnable && rest.includes('io'),
      expected,
    });
  });
  return result;
}

/** A file-name-safe id for a block: `apps-docs-guide-index-md-L42`. */
export function blockId(block: CodeBlock): string {
  return `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-L${block.line}`;
}
