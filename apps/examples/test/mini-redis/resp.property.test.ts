import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespParser } from '../../src/examples/mini-redis/resp.js';

// Commands of binary strings (any byte), encoded as RESP arrays.
const anyCommand = fc.array(
  fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)) }),
  {
    minLength: 1,
    maxLength: 5,
  },
);

function encode(command: string[]): string {
  return `*${command.length}\r\n${command.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

describe('RespParser (property)', () => {
  it('yields the same commands however the byte stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(anyCommand, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (commands, cuts) => {
          const input = Buffer.from(commands.map(encode).join(''), 'latin1');
          const points = [...new Set(cuts.map((cut) => cut % (input.length + 1)))].sort(
            (a, b) => a - b,
          );
          const parser = new RespParser();
          const parsed: string[][] = [];
          let start = 0;
          for (const end of [...points, input.length]) {
            parser.push(input.subarray(start, end));
            start = end;
            for (let command = parser.next(); command !== undefined; command = parser.next()) {
              parsed.push(command);
            }
          }
          expect(parsed).toEqual(commands);
        },
      ),
      { numRuns: 1_000, seed: 20_240_601 },
    );
  });
});
