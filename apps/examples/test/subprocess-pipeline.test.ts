import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubprocessExec, run } from 'coro';
import { describe, expect, it } from 'vitest';
import * as pipeline from '../src/examples/subprocess-pipeline.js';
import { printedLines } from './run-example.js';

describe('subprocess-pipeline', () => {
  it('runs ls | grep 7 | wc -l on 100 files and counts the 19 names with a 7', async () => {
    const lines = await printedLines(pipeline);

    expect(lines).toEqual([
      'in a temporary directory of 100 files, file-000.txt to file-099.txt:',
      'ls -1 | grep 7 | wc -l',
      // ls lists 100 names of 12 bytes and a newline; grep keeps 19 of them
      'copied 1300 bytes from ls to grep, 247 from grep to wc',
      'wc -l says 19: the names with a 7 in them',
      'exit codes: ls 0, grep 0, wc 0',
    ]);
  });

  it('copies a large stream through a slow consumer without losing a byte', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'coro-pipeline-test-'));
    try {
      const file = join(directory, 'big');
      await writeFile(file, Buffer.alloc(8 * 1024 * 1024, 'coro ')); // 8 MiB: far more than a pipe holds
      const { copied, output } = await run(async () => {
        const cat = await createSubprocessExec('cat', [file], { stdout: 'pipe' });
        const wc = await createSubprocessExec('wc', ['-c'], { stdin: 'pipe', stdout: 'pipe' });
        const bytes = await pipeline.copy(cat.stdout!, wc.stdin!);
        const count = (await wc.stdout!.read()).toString().trim();
        await cat.wait();
        await wc.wait();
        return { copied: bytes, output: count };
      });
      expect(copied).toBe(8 * 1024 * 1024);
      expect(output).toBe(String(8 * 1024 * 1024));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
