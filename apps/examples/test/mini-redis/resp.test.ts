import { describe, expect, it } from 'vitest';
import {
  array,
  bulk,
  bulkArray,
  error,
  integer,
  ProtocolError,
  RespParser,
  simple,
  splitArgs,
} from '../../src/examples/mini-redis/resp.js';

/** Every command the parser yields for `input`, pushed in the given pieces. */
function parse(...pieces: string[]): string[][] {
  const parser = new RespParser();
  const commands: string[][] = [];
  for (const piece of pieces) {
    parser.push(Buffer.from(piece, 'latin1'));
    for (let command = parser.next(); command !== undefined; command = parser.next()) {
      commands.push(command);
    }
  }
  return commands;
}

function parseError(input: string): string {
  try {
    parse(input);
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(ProtocolError);
    return (thrown as Error).message;
  }
  throw new Error(`no ProtocolError for ${JSON.stringify(input)}`);
}

describe('RespParser', () => {
  it('reads an array of bulk strings', () => {
    expect(parse('*2\r\n$3\r\nGET\r\n$5\r\nhello\r\n')).toEqual([['GET', 'hello']]);
  });

  it('reads pipelined commands from one chunk, in order', () => {
    const input = '*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\nECHO hi\r\n';
    expect(parse(input)).toEqual([['PING'], ['SET', 'k', 'v'], ['ECHO', 'hi']]);
  });

  it('waits for the rest of a command split across chunks, at any byte', () => {
    const input = '*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\nPING\r\n';
    for (let cut = 1; cut < input.length; cut++) {
      expect(parse(input.slice(0, cut), input.slice(cut))).toEqual([
        ['ECHO', 'hello world'],
        ['PING'],
      ]);
    }
  });

  it('keeps bulk strings binary-safe: CRLF and any byte inside', () => {
    const value = 'a\r\nb\x00\xff';
    expect(parse(`*2\r\n$4\r\nECHO\r\n$${value.length}\r\n${value}\r\n`)).toEqual([
      ['ECHO', value],
    ]);
  });

  it('joins a large bulk string once all of it has arrived', () => {
    const value = 'x'.repeat(300_000);
    const input = `*2\r\n$4\r\nECHO\r\n$${value.length}\r\n${value}\r\n`;
    const pieces = [];
    for (let start = 0; start < input.length; start += 65_536)
      pieces.push(input.slice(start, start + 65_536));
    expect(parse(...pieces)).toEqual([['ECHO', value]]);
  });

  it('skips empty arrays and blank lines, as redis does', () => {
    expect(parse('*0\r\n*-1\r\n\r\n   \r\nPING\r\n')).toEqual([['PING']]);
  });

  it('reads inline commands ended by LF alone', () => {
    expect(parse('PING\nECHO x\n')).toEqual([['PING'], ['ECHO', 'x']]);
  });

  it("rejects malformed input with redis's protocol errors", () => {
    expect(parseError('*abc\r\n')).toBe('invalid multibulk length');
    expect(parseError('*3000000000\r\n')).toBe('invalid multibulk length');
    expect(parseError('*1\r\n$x\r\n')).toBe('invalid bulk length');
    expect(parseError('*1\r\n$-1\r\n')).toBe('invalid bulk length');
    expect(parseError('*1\r\n$600000000\r\n')).toBe('invalid bulk length');
    expect(parseError('*1\r\nGET\r\n')).toBe("expected '$', got 'G'");
    expect(parseError('SET "a b\r\n')).toBe('unbalanced quotes in request');
  });

  it('refuses an inline request or count line longer than 64 KiB without a newline', () => {
    expect(parseError('x'.repeat(70_000))).toBe('too big inline request');
    expect(parseError(`*${'1'.repeat(70_000)}`)).toBe('too big mbulk count string');
  });
});

describe('RespParser.bufferedBytes', () => {
  it('counts what is held for the incomplete command: parsed arguments and unparsed bytes', () => {
    const parser = new RespParser();
    parser.push(Buffer.from('*1\r\n$4\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc'));
    expect(parser.next()).toEqual(['PING']);
    expect(parser.next()).toBeUndefined();
    expect(parser.bufferedBytes).toBe(3 + 1 + '$10\r\nabc'.length); // SET, k, the rest
    parser.push(Buffer.from('defghij\r\n'));
    expect(parser.next()).toEqual(['SET', 'k', 'abcdefghij']);
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe('splitArgs', () => {
  it('splits on runs of spaces and tabs', () => {
    expect(splitArgs('  SET   key \t value ')).toEqual(['SET', 'key', 'value']);
  });

  it('reads double quotes with escapes and single quotes literally', () => {
    expect(splitArgs("SET \"a b\\n\\x41\" 'c\\'d\\e'")).toEqual(['SET', 'a b\nA', "c'd\\e"]);
    expect(splitArgs('ECHO ""')).toEqual(['ECHO', '']);
  });

  it('rejects a closing quote that does not end the word, and an unclosed quote', () => {
    expect(() => splitArgs('ECHO "a"b')).toThrow('unbalanced quotes in request');
    expect(() => splitArgs("ECHO 'a")).toThrow('unbalanced quotes in request');
  });
});

describe('encoders', () => {
  it('write the RESP2 reply types', () => {
    expect(integer(42)).toBe(':42\r\n');
    expect(error('ERR no')).toBe('-ERR no\r\n');
    expect(bulk('hi')).toBe('$2\r\nhi\r\n');
    expect(bulk(undefined)).toBe('$-1\r\n');
    expect(array([integer(1), bulk('a')])).toBe('*2\r\n:1\r\n$1\r\na\r\n');
    expect(bulkArray(['message', 'news', 'hi'])).toBe(
      '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n',
    );
  });

  it('keep a status or an error on one line: CR and LF become spaces, as in redis', () => {
    expect(error("ERR unknown command 'a\r\n+OK'")).toBe("-ERR unknown command 'a  +OK'\r\n");
    expect(simple('two\nlines')).toBe('+two lines\r\n');
  });
});
