/*
 * Examples in the API reference cannot rot either: every `@example` block of every package's
 * TSDoc is type-checked against the workspace packages' sources, as the pages' blocks are
 * (code-blocks.test.ts). They are not run: many build a server or a pool to show a call.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { docsDirectory, repositoryDirectory } from './markdown.js';
import { packageSourceFiles, type TsdocExample, tsdocExamples } from './tsdoc-examples.js';

const examplesDirectory = join(docsDirectory, 'test-results', 'tsdoc-examples');
const examples: TsdocExample[] = packageSourceFiles().flatMap(tsdocExamples);
const exampleOfFile = new Map<string, TsdocExample>();

rmSync(examplesDirectory, { recursive: true, force: true });
mkdirSync(examplesDirectory, { recursive: true });
writeFileSync(
  join(examplesDirectory, 'tsconfig.json'),
  JSON.stringify({
    extends: join(repositoryDirectory, 'tsconfig.base.json'),
    compilerOptions: { noEmit: true, noUnusedLocals: false, noUnusedParameters: false },
    include: ['*.ts'],
  }),
);
for (const example of examples) {
  const name = `${example.file.replace(/[^A-Za-z0-9]+/g, '-')}-L${example.line}.ts`;
  const path = join(examplesDirectory, name);
  // `export {}` makes every example a module: top-level await, no name clashes.
  writeFileSync(path, `${example.code}\nexport {};\n`);
  exampleOfFile.set(path, example);
}

describe('the @example blocks of the TSDoc', () => {
  it('are found in every package', () => {
    const packages = new Set(examples.map((example) => example.file.split('/')[1]));
    for (const name of ['loop', 'futures', 'sync', 'queues', 'transports', 'streams', 'workers']) {
      expect(packages).toContain(name);
    }
    expect(examples.length).toBeGreaterThan(200);
  });

  it('type-check against the workspace packages', () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(examplesDirectory, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        },
      },
    );
    if (!config) throw new Error('could not read the tsconfig of the examples');
    const program = ts.createProgram(config.fileNames, config.options);
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file && exampleOfFile.has(diagnostic.file.fileName))
      .map((diagnostic) => {
        const example = exampleOfFile.get(diagnostic.file!.fileName)!;
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        return `${example.file}:${example.line + 1 + line}: ${message}`;
      });
    expect(problems).toEqual([]);
  }, 240_000); // one TypeScript program over every package's sources: slow on a busy 2-core CI
});
