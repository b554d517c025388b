import { CancelledError, createTask, sleep } from '@coro/futures';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IncompleteReadError, LimitOverrunError, StreamReader } from '../src/index.js';
import { runVirtual } from './helpers.js';

/** A small alphabet, so separators (and near-separators) occur often. */
const anyText = fc
  .array(fc.constantFrom('a', 'b', 'X', '\n', '\r'), { maxLength: 160 })
  .map((characters) => characters.join(''));

const anySeparator = fc.constantFrom('\n', '\r\n', 'ab', 'aXa', 'XX', 'b');

type Read =
  | { kind: 'readLine' }
  | { kind: 'readUntil'; separators: string[] }
  | { kind: 'readExactly'; n: number };

const anyRead: fc.Arbitrary<Read> = fc.oneof(
  fc.constant({ kind: 'readLine' as const }),
  fc.record({
    kind: fc.constant('readUntil' as const),
    separators: fc.array(anySeparator, { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant('readExactly' as const), n: fc.integer({ min: 0, max: 40 }) }),
);

const NO_LINE_READS: fc.Arbitrary<Read> = anyRead.filter((read) => read.kind !== 'readLine');

/** Where to cut the text: sorted distinct positions strictly inside it. */
function fragments(text: Buffer, cuts: number[]): Buffer[] {
  const positions = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const position of [...positions, text.length]) {
    if (position > start) pieces.push(text.subarray(start, position));
    start = position;
  }
  return pieces;
}

/** What a read returned or threw, comparable across runs. */
async function outcome(reader: StreamReader, read: Read): Promise<string> {
  try {
    let data: Buffer;
    if (read.kind === 'readLine') data = await reader.readLine();
    else if (read.kind === 'readUntil') data = await reader.readUntil(read.separators);
    else data = await reader.readExactly(read.n);
    return `ok ${JSON.stringify(String(data))}`;
  } catch (error) {
    if (error instanceof IncompleteReadError) {
      return `incomplete ${JSON.stringify(String(error.partial))} of ${error.expected}`;
    }
    if (error instanceof LimitOverrunError) return 'limit overrun';
    throw error;
  }
}

/** A task that feeds `pieces` to `reader` one loop iteration apart, then its EOF. */
function feedOnePerIteration(reader: StreamReader, pieces: Buffer[]) {
  return createTask(async () => {
    for (const piece of pieces) {
      reader.feedData(Buffer.from(piece)); // a copy: the reader keeps what it is fed
      await sleep(0);
    }
    reader.feedEof();
  });
}

/** Runs `reads` on a reader fed `pieces` one loop iteration apart (or all at once). */
async function runReads(pieces: Buffer[], reads: Read[], limit: number): Promise<string[]> {
  return runVirtual(async () => {
    const reader = new StreamReader({ limit });
    const feeder = feedOnePerIteration(reader, pieces);
    const outcomes: string[] = [];
    for (const read of reads) outcomes.push(await outcome(reader, read));
    outcomes.push(`rest ${JSON.stringify(String(await reader.read()))}`);
    await feeder;
    return outcomes;
  });
}

describe('StreamReader under random fragmentation', () => {
  it('returns the same from readLine/readUntil/readExactly however the bytes are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyText,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(anyRead, { maxLength: 12 }),
        async (text, cuts, reads) => {
          const bytes = Buffer.from(text);
          const whole = await runReads([bytes], reads, 1_000);
          const cut = await runReads(fragments(bytes, cuts), reads, 1_000);
          expect(cut).toEqual(whole);
        },
      ),
      { numRuns: 1_000, seed: 20_240_513 },
    );
  });

  it('throws LimitOverrunError for the same reads, leaving the bytes readable, however they are cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyText,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(NO_LINE_READS, { maxLength: 12 }),
        fc.integer({ min: 1, max: 12 }),
        async (text, cuts, reads, limit) => {
          const bytes = Buffer.from(text);
          const whole = await runReads([bytes], reads, limit);
          const cut = await runReads(fragments(bytes, cuts), reads, limit);
          expect(cut).toEqual(whole);
        },
      ),
      { numRuns: 1_000, seed: 77_001 },
    );
  });
});

type CancellableRead = { kind: 'read' | 'readExactly'; n: number; cancelAfter: number };

const anyCancellableRead: fc.Arbitrary<CancellableRead> = fc.record({
  kind: fc.constantFrom('read' as const, 'readExactly' as const),
  n: fc.integer({ min: 1, max: 30 }),
  // -1: never cancelled; k >= 0: cancelled after k loop iterations (before or after its bytes came)
  cancelAfter: fc.integer({ min: -1, max: 3 }),
});

/** Every byte that reached a read, in order: results, IncompleteReadError partials, then the rest. */
async function bytesReadWithCancels(pieces: Buffer[], reads: CancellableRead[]): Promise<string> {
  return runVirtual(async () => {
    const reader = new StreamReader({ limit: 8 });
    const feeder = feedOnePerIteration(reader, pieces);
    const parts: Buffer[] = [];
    for (const read of reads) {
      const task = createTask(async () => {
        const data = await (read.kind === 'read'
          ? reader.read(read.n)
          : reader.readExactly(read.n));
        return data;
      });
      if (read.cancelAfter >= 0) {
        for (let i = 0; i < read.cancelAfter; i++) await sleep(0);
        task.cancel();
      }
      try {
        parts.push(await task);
      } catch (error) {
        if (error instanceof IncompleteReadError) parts.push(Buffer.from(error.partial));
        else if (!(error instanceof CancelledError)) throw error;
      }
    }
    parts.push(await reader.read());
    await feeder;
    return String(Buffer.concat(parts));
  });
}

describe('StreamReader under random cancellations', () => {
  it('loses and repeats no byte, whichever reads are cancelled and when', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyText,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(anyCancellableRead, { maxLength: 12 }),
        async (text, cuts, reads) => {
          const data = Buffer.from(text);
          expect(await bytesReadWithCancels(fragments(data, cuts), reads)).toBe(text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
