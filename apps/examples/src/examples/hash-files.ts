/*
 * hash-files: the SHA-256 of every file in a directory, computed on a thread pool,
 * with a progress bar.
 *
 * Hashing is CPU work: done on the loop's thread it would stop everything else (timers,
 * sockets) until it finished. A ThreadPoolExecutor runs each job in a worker thread;
 * `submit()` returns a Future at once. A done callback on each future moves the progress
 * bar as jobs finish (in any order); `gather()` collects the results in submission order.
 *
 * The job is sent to the worker as source code, so it must be self-contained: it uses
 * no variable from around it, and gets Node's modules itself (`process.getBuiltinModule`).
 *
 * `pnpm example hash-files --dir <directory>` hashes that directory (recursively);
 * without `--dir` the example makes a temporary directory of sample files, and removes it.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gather, ThreadPoolExecutor } from 'coro';
import { type Output, readOptions, seconds, startClock } from '../example.js';

export const name = 'hash-files';
export const title = "A directory's files hashed on a thread pool, with a progress bar";
export const usage = '[--dir <directory>]  (default: a temporary directory of sample files)';

/** The job: runs in a worker thread, so it takes a path and returns plain data. */
function sha256File(path: string): string {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const { readFileSync } = process.getBuiltinModule('node:fs');
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export interface HashOptions {
  /** Threads in the pool. @defaultValue 2 */
  maxWorkers?: number;
  /** Called after each file with how many are done. */
  onProgress?: (done: number, total: number) => void;
}

/** Hashes `paths` on a thread pool; resolves to path → hex SHA-256. */
export async function hashFiles(
  paths: readonly string[],
  { maxWorkers = 2, onProgress }: HashOptions = {},
): Promise<Map<string, string>> {
  // `await using`: the pool is shut down (its threads ended) when this block is left.
  await using pool = new ThreadPoolExecutor({ maxWorkers });
  let done = 0;
  const jobs = paths.map((path) => {
    const job = pool.submit(sha256File, path); // a Future, at once; the job is queued
    job.addDoneCallback(() => onProgress?.(++done, paths.length)); // as each one finishes
    return job;
  });
  const digests = await gather(jobs); // in the order of `paths`, whatever finished first
  return new Map(paths.map((path, index) => [path, digests[index]!]));
}

/** `[#########-----------]  9/20` */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const count = String(done).padStart(String(total).length);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total}`;
}

/** Writes `count` sample files (some in a subdirectory) with varied, repeatable content. */
export async function makeSampleFiles(directory: string, count = 24): Promise<void> {
  await mkdir(join(directory, 'more'), { recursive: true });
  for (let i = 0; i < count; i++) {
    const size = 50_000 + ((i * 7_919) % 13) * 60_000; // 50 KB to 770 KB
    const content = Buffer.alloc(size, `file ${i} `);
    await writeFile(join(directory, i % 3 === 0 ? 'more' : '', `sample-${i}.bin`), content);
  }
}

/** The regular files under `directory`, recursively, sorted. */
export async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

export async function main(out: Output = console.log, args: readonly string[] = []): Promise<void> {
  const { dir } = readOptions(args, { dir: '' });
  const directory = dir || (await mkdtemp(join(tmpdir(), 'coro-hash-files-')));
  try {
    if (!dir) {
      await makeSampleFiles(directory);
      out('made 24 sample files in a temporary directory (give --dir to hash your own)');
    }
    const paths = await listFiles(directory);
    let bytes = 0;
    for (const path of paths) bytes += (await stat(path)).size;
    out(`hashing ${paths.length} files (${(bytes / 1e6).toFixed(1)} MB) on 2 threads`);

    const elapsed = startClock();
    const bar = process.stderr.isTTY
      ? (done: number, total: number) => process.stderr.write(`\r${progressBar(done, total)}`)
      : undefined;
    const hashes = await hashFiles(paths, { onProgress: bar });
    if (bar) process.stderr.write('\n');
    for (const path of paths.slice(0, 5)) {
      out(`${hashes.get(path)!.slice(0, 16)}…  ${relative(directory, path)}`);
    }
    if (paths.length > 5) out(`… and ${paths.length - 5} more`);
    out(`done in ${seconds(elapsed())}`);
  } finally {
    if (!dir) await rm(directory, { recursive: true, force: true });
  }
}
