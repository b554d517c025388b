import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RespParser } from '../../src/examples/mini-redis/resp.js';

const anyByte = fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code));
/** A word an inline command can carry: no spaces or quotes, not starting with `*`. */
const inlineWord = fc.string({
  unit: fc.constantFrom('a', 'Z', '7', ':', '-', '\\', '\xe9'),
  minLength: 1,
  maxLength: 8,
});

// A command of binary strings sent as a RESP array, or of plain words sent inline.
const anyCommand = fc.oneof(
  fc.record({
    inline: fc.constant(false),
    args: fc.array(fc.string({ unit: anyByte }), { minLength: 1, maxLength: 5 }),
  }),
  fc.record({
    inline: fc.constant(true),
    args: fc.array(inlineWord, { minLength: 1, maxLength: 5 }),
  }),
);

function encode({ inline, args }: { inline: boolean; args: string[] }): string {
  if (inline) return `${args.join(' ')}\r\n`;
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
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
          expect(parsed).toEqual(commands.map((command) => command.args));
        },
      ),
      { numRuns: 1_000, seed: 20_240_601 },
    );
  });
});
