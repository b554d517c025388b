// Runs an example as the CLI does, but on a VirtualLoop: its sleeps take no real
// time and the loop's clock, read when it ends, is exact.
import { run, VirtualLoop } from 'coro';
import type { Example } from '../src/example.js';

export interface ExampleRun {
  /** Every line the example printed, in order. */
  lines: string[];
  /** The loop's clock when the example returned: how long it took, in virtual ms. */
  elapsedMs: number;
}

export async function runExample(example: Example): Promise<ExampleRun> {
  const loop = new VirtualLoop({ autojump: true });
  const lines: string[] = [];
  await run(() => example.main((line) => lines.push(line)), { loop });
  return { lines, elapsedMs: loop.time() };
}

/** Runs an I/O example on a real loop (it uses sockets or processes) and returns what it printed. */
export async function printedLines(example: Pick<Example, 'main'>): Promise<string[]> {
  const lines: string[] = [];
  await run(() => example.main((line) => lines.push(line)));
  return lines;
}
