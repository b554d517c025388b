import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from 'coro';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as hashFiles from '../src/examples/hash-files.js';
import { printedLines } from './run-example.js';

let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'coro-hash-test-'));
  await hashFiles.makeSampleFiles(directory, 12);
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('hash-files', () => {
  it('hashes every file on worker threads, as node:crypto does on this thread', async () => {
    const paths = await hashFiles.listFiles(directory);
    const progress: string[] = [];
    const hashes = await run(() =>
      hashFiles.hashFiles(paths, {
        onProgress: (done, total) => progress.push(`${done}/${total}`),
      }),
    );

    expect(paths).toHaveLength(12);
    for (const path of paths) {
      const expected = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      expect(hashes.get(path)).toBe(expected);
    }
    expect(progress).toEqual(Array.from({ length: 12 }, (_, index) => `${index + 1}/12`));
  });

  it('draws a progress bar', () => {
    expect(hashFiles.progressBar(0, 20, 10)).toBe('[----------]  0/20');
    expect(hashFiles.progressBar(9, 20, 10)).toBe('[#####-----]  9/20');
    expect(hashFiles.progressBar(20, 20, 10)).toBe('[##########] 20/20');
  });

  it('hashes the directory given with --dir and leaves it in place', async () => {
    const lines: string[] = [];
    await run(() => hashFiles.main((line) => lines.push(line), ['--dir', directory]));

    expect(lines[0]).toMatch(/^hashing 12 files \([\d.]+ MB\) on 2 threads$/);
    expect(lines.slice(1, 6).every((line) => /^[0-9a-f]{16}… {2}\S+$/.test(line))).toBe(true);
    expect(lines[6]).toBe('… and 7 more');
    expect(lines[7]).toMatch(/^done in [\d.]+ s$/);
    expect(await readdir(directory)).toHaveLength(9); // 8 files and the subdirectory
  });

  it('makes and removes its own sample files without --dir', async () => {
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith('coro-hash-files-'));
    const lines = await printedLines(hashFiles);

    expect(lines[0]).toBe(
      'made 24 sample files in a temporary directory (give --dir to hash your own)',
    );
    expect(lines[1]).toMatch(/^hashing 24 files/);
    const after = (await readdir(tmpdir())).filter((name) => name.startsWith('coro-hash-files-'));
    expect(after).toEqual(before);
  });
});
