/*
 * The docs cannot rot: every TypeScript block of the guide, the package pages and the
 * READMEs is type-checked against the workspace packages' sources, and every block marked
 * `ts run` is run, its printed lines compared with what the page says it prints.
 *
 * Runnable blocks run here on a VirtualLoop: `newEventLoop()` (what `run()` uses) makes a
 * VirtualLoop with autojump, so a block that sleeps for seconds takes microseconds and
 * prints the exact times a page shows. A block marked `ts run io` does real I/O (sockets,
 * threads, processes), which a virtual clock cannot wait for: it gets a real loop.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import ts from 'typescript';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  blockId,
  type CodeBlock,
  docsDirectory,
  documentationFiles,
  repositoryDirectory,
  typescriptBlocks,
} from './markdown.js';

/** Set while a `ts run io` block runs: its `run()` gets a real loop. */
const loopChoice = vi.hoisted(() => ({ real: false }));

vi.mock('@coro/loop', async (importOriginal) => {
  const original = await importOriginal<typeof import('@coro/loop')>();
  return {
    ...original,
    newEventLoop: () =>
      loopChoice.real ? original.newEventLoop() : new original.VirtualLoop({ autojump: true }),
  };
});

const blocksDirectory = join(docsDirectory, 'test-results', 'blocks');
const blocks: CodeBlock[] = documentationFiles().flatMap(typescriptBlocks);
const fileOf = new Map<CodeBlock, string>();

rmSync(blocksDirectory, { recursive: true, force: true });
mkdirSync(blocksDirectory, { recursive: true });
writeFileSync(
  join(blocksDirectory, 'tsconfig.json'),
  JSON.stringify({
    extends: join(repositoryDirectory, 'tsconfig.base.json'),
    compilerOptions: { noEmit: true, noUnusedLocals: false },
    include: ['*.ts'],
  }),
);
for (const block of blocks) {
  const path = join(blocksDirectory, `${blockId(block)}.ts`);
  // `export {}` makes every block a module, so top-level await is allowed in all of them.
  writeFileSync(path, `${block.code}\nexport {};\n`);
  fileOf.set(block, path);
}

describe('the TypeScript blocks of the docs', () => {
  it('are found on the guide, the package pages and the READMEs', () => {
    const files = new Set(blocks.map((block) => block.file));
    expect(files).toContain('README.md');
    expect(files).toContain('apps/docs/guide/first-coroutine.md');
    expect(blocks.filter((block) => block.runnable).length).toBeGreaterThan(10);
  });

  it('type-check against the workspace packages', () => {
    const configPath = join(blocksDirectory, 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(
      configPath,
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        },
      },
    );
    if (!config) throw new Error('could not read the tsconfig of the blocks');
    const program = ts.createProgram(config.fileNames, config.options);
    const blockOfFile = new Map([...fileOf].map(([block, path]) => [path, block]));
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((diagnostic) => diagnostic.file && blockOfFile.has(diagnostic.file.fileName))
      .map((diagnostic) => {
        const block = blockOfFile.get(diagnostic.file!.fileName)!;
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
        return `${block.file}:${block.line + 1 + line}: ${message}`;
      });
    expect(problems).toEqual([]);
  }, 240_000); // one TypeScript program over every package's sources: slow on a busy 2-core CI
});

describe('the runnable blocks of the docs', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  for (const block of blocks.filter((candidate) => candidate.runnable)) {
    it(`${block.file}:${block.line} runs and prints what the page shows`, async () => {
      const printed: string[] = [];
      const capture = (...args: unknown[]) => {
        printed.push(...format(...args).split('\n'));
      };
      vi.spyOn(console, 'log').mockImplementation(capture);
      vi.spyOn(console, 'info').mockImplementation(capture);

      loopChoice.real = block.realLoop;
      try {
        await import(pathToFileURL(fileOf.get(block)!).href);
      } finally {
        loopChoice.real = false;
      }

      if (block.expected !== undefined) {
        expect(printed.map((line) => line.trimEnd())).toEqual(block.expected);
      }
    });
  }
});
