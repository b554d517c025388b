/*
 * Reading the `@example` blocks of the packages' TSDoc comments, so the docs' harness
 * type-checks them as it does the pages' blocks (test/tsdoc-examples.test.ts).
 *
 * An example is the fenced ```ts block that follows an `@example` tag inside a `/** … *\/`
 * comment of a file under packages/<name>/src; its lines lose their leading ` * `.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repositoryDirectory } from './markdown.js';

/** One `@example` block: where it is and its code. */
export interface TsdocExample {
  /** The source file, relative to the repository root. */
  file: string;
  /** 1-based line of the block's opening fence in that file. */
  line: number;
  code: string;
}

/** Every `.ts` source file of every package (tests and generated files excluded). */
export function packageSourceFiles(): string[] {
  const packages = join(repositoryDirectory, 'packages');
  const files: string[] = [];
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
    }
  };
  for (const name of readdirSync(packages)) walk(join(packages, name, 'src'));
  return files.sort();
}

const DOC_COMMENT = /\/\*\*[\s\S]*?\*\//g;
const EXAMPLE_FENCE =
  /@example[^\n]*\n((?:[ \t]*\*[^\n]*\n)*?)[ \t]*\* ?```(?:ts|typescript)[^\n]*\n([\s\S]*?)[ \t]*\* ?```/g;

/** The `@example` blocks of one source file, in order. */
export function tsdocExamples(path: string): TsdocExample[] {
  const text = readFileSync(path, 'utf8');
  const examples: TsdocExample[] = [];
  for (const comment of text.matchAll(DOC_COMMENT)) {
    for (const example of comment[0].matchAll(EXAMPLE_FENCE)) {
      const fenceOffset = comment.index + example.index + example[0].indexOf('```');
      const code = example[2]!
        .split('\n')
        .map((line) => line.replace(/^[ \t]*\* ?/, ''))
        .join('\n');
      examples.push({
        file: relative(repositoryDirectory, path),
        line: text.slice(0, fenceOffset).split('\n').length,
        code,
      });
    }
  }
  return examples;
}
