/*
 * subprocess-pipeline: `ls -1 <dir> | grep 7 | wc -l`, three processes wired together
 * by the example itself, through streams.
 *
 * createSubprocessExec starts a program with a list of arguments (no shell: nothing in
 * them is interpreted). With `stdout: 'pipe'` the process's output is a StreamReader;
 * with `stdin: 'pipe'` its input is a StreamWriter. Connecting two processes is a copy
 * loop: read what the first wrote, write it to the second, `await drain()` so that a
 * slow consumer makes us stop reading (and the producer then blocks on a full pipe:
 * back-pressure all the way), and close the writer at the end, which the next process
 * sees as end of input. The two copies run as tasks of one task group.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSubprocessExec, type StreamReader, type StreamWriter, taskGroup } from 'coro';
import type { Output } from '../example.js';

export const name = 'subprocess-pipeline';
export const title = 'ls | grep | wc as three subprocesses, connected through streams';

/** Copies `from` into `to` until `from` ends, then closes `to`; returns the bytes copied. */
export async function copy(from: StreamReader, to: StreamWriter): Promise<number> {
  let total = 0;
  for (;;) {
    const chunk = await from.read(65_536); // whatever is there, up to 64 KiB
    if (chunk.length === 0) break; // end of input: the producer exited or closed its stdout
    to.write(chunk);
    await to.drain(); // the consumer is behind: wait before reading more
    total += chunk.length;
  }
  to.close(); // the consumer sees end of input
  return total;
}

/** Runs `ls -1 directory | grep pattern | wc -l`; resolves to wc's output and the byte counts. */
export async function countMatches(directory: string, pattern: string) {
  const ls = await createSubprocessExec('ls', ['-1', directory], { stdout: 'pipe' });
  const grep = await createSubprocessExec('grep', [pattern], { stdin: 'pipe', stdout: 'pipe' });
  const wc = await createSubprocessExec('wc', ['-l'], { stdin: 'pipe', stdout: 'pipe' });

  const copied: number[] = [];
  await taskGroup(async (tasks) => {
    const first = tasks.createTask(() => copy(ls.stdout!, grep.stdin!));
    const second = tasks.createTask(() => copy(grep.stdout!, wc.stdin!));
    copied.push(await first, await second);
  });
  const output = (await wc.stdout!.read()).toString().trim(); // read() with no size: until EOF
  const codes = [await ls.wait(), await grep.wait(), await wc.wait()];
  return { output, copied, codes };
}

export async function main(out: Output = console.log): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), 'coro-pipeline-'));
  try {
    for (let i = 0; i < 100; i++) {
      await writeFile(join(directory, `file-${String(i).padStart(3, '0')}.txt`), '');
    }
    out('in a temporary directory of 100 files, file-000.txt to file-099.txt:');
    out('ls -1 | grep 7 | wc -l');
    const { output, copied, codes } = await countMatches(directory, '7');
    out(`copied ${copied[0]} bytes from ls to grep, ${copied[1]} from grep to wc`);
    out(`wc -l says ${output}: the names with a 7 in them`);
    out(`exit codes: ls ${codes[0]}, grep ${codes[1]}, wc ${codes[2]}`);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
