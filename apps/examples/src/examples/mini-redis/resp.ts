/*
 * resp: the Redis protocol (RESP2), both ways.
 *
 * A client sends a command as an array of bulk strings, `*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`,
 * or as an inline line, `GET k\r\n` (what you type into telnet). Replies are simple
 * strings (`+OK`), errors (`-ERR ...`), integers (`:1`), bulk strings (`$1\r\nv`, or
 * `$-1` for nil) and arrays (`*2\r\n...`).
 *
 * Strings here are "binary" (latin1) strings: one char per byte, so any byte sequence
 * round-trips, `value.length` is its length in bytes, and a batch of replies can be
 * built with `+=` and written as one Buffer (`Buffer.from(replies, 'latin1')`).
 *
 * The parser is incremental: `push()` the bytes as they arrive (in any pieces) and call
 * `next()` until it returns `undefined`. It keeps what it has parsed of a command across
 * pushes (an array half received is not parsed again), and when it waits for a bulk
 * string of known length it does not join the pieces until they are all there, so a
 * 100 MB value arriving in 64 KiB reads is copied once, not once per read.
 */

/** A command as the client sent it: the name, then the arguments (latin1 strings). */
export type Command = string[];

/**
 * Malformed input. The server replies `-ERR Protocol error: <message>` and closes the
 * connection, as redis does: after garbage, nothing later on that stream can be trusted.
 */
export class ProtocolError extends Error {
  static {
    this.prototype.name = 'ProtocolError';
  }
}

const CR = 13;
const LF = 10;
const DOLLAR = 36;
const STAR = 42;
/** Redis's limits: a count line or an inline command longer than this is refused. */
const MAX_LINE = 64 * 1024;
/** The most arguments one command may have (redis allows more; 1 Mi is plenty here). */
const MAX_ARGUMENTS = 1024 * 1024;
/** The largest bulk string redis accepts by default (`proto-max-bulk-len`). */
const MAX_BULK = 512 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

export class RespParser {
  /** The bytes being parsed; `#offset` is the first one not consumed yet. */
  #buffer: Buffer = EMPTY;
  #offset = 0;
  /** Pieces pushed while waiting for `#needed` bytes, not yet joined to `#buffer`. */
  #pieces: Buffer[] = [];
  #piecesLength = 0;
  /** Bytes (from `#offset`) that must be there before parsing is worth trying again. */
  #needed = 0;
  /** The array being read: its arguments so far, and how many are still to come. */
  #args: string[] | null = null;
  #remaining = 0;
  /** The bytes of `#args`: with the unparsed ones, what this client has us hold. */
  #argsBytes = 0;

  /**
   * The bytes received but not yet returned as a command: the part of a command that is
   * still incomplete, and whatever follows it. redis calls this the query buffer, and
   * closes a client whose query buffer passes `client-query-buffer-limit`.
   */
  get bufferedBytes(): number {
    return this.#buffer.length - this.#offset + this.#piecesLength + this.#argsBytes;
  }

  /** Adds bytes that arrived. */
  push(chunk: Buffer): void {
    if (this.#offset === this.#buffer.length && this.#pieces.length === 0) {
      this.#buffer = chunk; // the common case: everything before was parsed
      this.#offset = 0;
      return;
    }
    this.#pieces.push(chunk);
    this.#piecesLength += chunk.length;
  }

  /**
   * The next complete command, or `undefined` when more bytes are needed.
   *
   * @throws {@link ProtocolError} on malformed input (the parser is unusable after it).
   */
  next(): Command | undefined {
    for (;;) {
      if (this.#pieces.length > 0) {
        if (this.#buffer.length - this.#offset + this.#piecesLength < this.#needed)
          return undefined;
        this.#join();
      }
      if (this.#offset === this.#buffer.length) return undefined;
      const command =
        this.#args !== null || this.#buffer[this.#offset] === STAR
          ? this.#parseArray()
          : this.#parseInline();
      if (command === undefined) return undefined;
      if (command.length > 0) return command; // `*0` and blank lines are skipped, as redis does
    }
  }

  /** Joins the waiting pieces to what is left of the buffer: one copy. */
  #join(): void {
    this.#pieces.unshift(this.#buffer.subarray(this.#offset));
    this.#buffer = Buffer.concat(this.#pieces);
    this.#offset = 0;
    this.#pieces = [];
    this.#piecesLength = 0;
  }

  /** Not enough bytes: try again once the buffer reaches `end` (default: one more byte). */
  #incomplete(end = this.#buffer.length + 1): undefined {
    this.#needed = end - this.#offset;
    return undefined;
  }

  /** `*<count>\r\n` then `count` bulk strings `$<length>\r\n<bytes>\r\n`. */
  #parseArray(): Command | undefined {
    const buffer = this.#buffer;
    let offset = this.#offset;
    if (this.#args === null) {
      const count = this.#readCount(offset + 1, 'mbulk count', 'invalid multibulk length');
      if (count === undefined) return undefined;
      if (count > MAX_ARGUMENTS) throw new ProtocolError('invalid multibulk length');
      offset = this.#lineEnd;
      this.#offset = offset;
      if (count <= 0) return []; // `*0` or `*-1`: nothing to run
      this.#args = [];
      this.#remaining = count;
    }
    const args = this.#args;
    while (this.#remaining > 0) {
      if (offset >= buffer.length) return this.#incomplete();
      if (buffer[offset] !== DOLLAR) {
        const got = String.fromCharCode(buffer[offset]!);
        throw new ProtocolError(`expected '$', got '${got}'`);
      }
      const length = this.#readCount(offset + 1, 'bulk count', 'invalid bulk length');
      if (length === undefined) return undefined;
      if (length < 0 || length > MAX_BULK) throw new ProtocolError('invalid bulk length');
      const start = this.#lineEnd;
      const end = start + length;
      // The bytes and their trailing CRLF (skipped unchecked, as redis does).
      if (end + 2 > buffer.length) return this.#incomplete(end + 2);
      args.push(buffer.toString('latin1', start, end));
      this.#argsBytes += length;
      offset = end + 2;
      this.#offset = offset; // this argument is consumed: never parsed again
      this.#remaining--;
    }
    this.#args = null;
    this.#argsBytes = 0;
    return args;
  }

  /** Where the line read by `#readCount` ended (the byte after its LF). */
  #lineEnd = 0;

  /**
   * Reads the decimal integer from `start` to the next CRLF, the line after `*` or `$`.
   * Returns `undefined` (incomplete) when the CRLF has not arrived yet.
   */
  #readCount(start: number, what: string, invalid: string): number | undefined {
    const buffer = this.#buffer;
    const cr = buffer.indexOf(CR, start);
    if (cr === -1 || cr + 1 >= buffer.length) {
      if (buffer.length - this.#offset > MAX_LINE)
        throw new ProtocolError(`too big ${what} string`);
      return this.#incomplete();
    }
    let index = start;
    const negative = buffer[index] === 45; // '-'
    if (negative) index++;
    if (index === cr || cr - index > 18) throw new ProtocolError(invalid);
    let value = 0;
    for (; index < cr; index++) {
      const digit = buffer[index]! - 48;
      if (digit < 0 || digit > 9) throw new ProtocolError(invalid);
      value = value * 10 + digit;
    }
    this.#lineEnd = cr + 2;
    return negative ? -value : value;
  }

  /** An inline command: one line, split on spaces, with redis's quoting rules. */
  #parseInline(): Command | undefined {
    const buffer = this.#buffer;
    const start = this.#offset;
    const lf = buffer.indexOf(LF, start);
    if (lf === -1) {
      if (buffer.length - start > MAX_LINE) throw new ProtocolError('too big inline request');
      return this.#incomplete();
    }
    const end = lf > start && buffer[lf - 1] === CR ? lf - 1 : lf;
    this.#offset = lf + 1;
    // Most inline commands have no quotes (`PING`, `GET key`): split the bytes directly.
    const words: string[] = [];
    let index = start;
    while (index < end) {
      while (index < end && isSpaceByte(buffer[index]!)) index++;
      const wordStart = index;
      while (index < end && !isSpaceByte(buffer[index]!)) {
        const byte = buffer[index]!;
        if (byte === 34 || byte === 39) return splitArgs(buffer.toString('latin1', start, end)); // " or '
        index++;
      }
      if (index > wordStart) words.push(buffer.toString('latin1', wordStart, index));
    }
    return words;
  }
}

/** Space, \t, \n, \v, \f, \r: what separates inline words (C's isspace). */
function isSpaceByte(byte: number): boolean {
  return byte === 32 || (byte >= 9 && byte <= 13);
}

const HEX = /^[0-9a-fA-F]{2}$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };
const isSpace = (char: string | undefined) =>
  char === ' ' || char === '\t' || char === '\n' || char === '\r' || char === '\v' || char === '\f';

/**
 * Splits an inline command line as redis does (`sdssplitargs`): words separated by
 * spaces; "double quotes" with `\n`, `\xHH`... escapes; 'single quotes' with only `\'`.
 * A closing quote must end the word.
 *
 * @throws {@link ProtocolError} `unbalanced quotes in request` otherwise.
 */
export function splitArgs(line: string): string[] {
  const words: string[] = [];
  let index = 0;
  for (;;) {
    while (isSpace(line[index])) index++;
    if (index >= line.length) return words;
    let word = '';
    let quote: '"' | "'" | null = null;
    for (;;) {
      const char = line[index];
      if (char === undefined) {
        if (quote !== null) throw new ProtocolError('unbalanced quotes in request');
        break;
      }
      if (quote === null) {
        if (isSpace(char)) break;
        if (char === '"' || char === "'") quote = char;
        else word += char;
        index++;
        continue;
      }
      if (char === quote) {
        index++;
        // The closing quote must be followed by a space or the end of the line.
        if (index < line.length && !isSpace(line[index])) {
          throw new ProtocolError('unbalanced quotes in request');
        }
        break;
      }
      if (char === '\\' && index + 1 < line.length) {
        const escaped = line[index + 1]!;
        if (quote === "'") {
          // Only \' is an escape in single quotes; any other backslash is itself.
          word += escaped === "'" ? "'" : '\\';
          index += escaped === "'" ? 2 : 1;
        } else if (escaped === 'x' && HEX.test(line.slice(index + 2, index + 4))) {
          word += String.fromCharCode(Number.parseInt(line.slice(index + 2, index + 4), 16));
          index += 4;
        } else {
          word += ESCAPES[escaped] ?? escaped;
          index += 2;
        }
        continue;
      }
      word += char;
      index++;
    }
    words.push(word);
  }
}

// Encoding: each reply is a latin1 string, so a batch is built with `+=`.

export const OK = '+OK\r\n';
export const NIL = '$-1\r\n';

/** A CR or LF: the end of a line in RESP, so never inside a status or an error. */
const LINE_BREAK = /[\r\n]/g;

/**
 * `text` fit for one RESP line: CR and LF become spaces, as redis-server does in every
 * status and error it formats. An error that quotes the client's text (an unknown
 * command's name) would otherwise end early and inject a reply of the client's choosing,
 * putting every later reply out of step with the client's commands.
 */
function oneLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(LINE_BREAK, ' ') : text;
}

/** `+text`: a short status (CR and LF become spaces). */
export function simple(text: string): string {
  return `+${oneLine(text)}\r\n`;
}

/**
 * `-message`: an error reply (the message starts with its kind: `ERR`, `WRONGTYPE`...).
 * CR and LF in `message` become spaces, as in redis: one error is one line.
 */
export function error(message: string): string {
  return `-${oneLine(message)}\r\n`;
}

/** `:n`: an integer (a string for the 64-bit ones INCR makes). */
export function integer(value: number | string): string {
  return `:${value}\r\n`;
}

/** `$length\r\nbytes`: a binary-safe string, or nil for `undefined`. */
export function bulk(value: string | undefined): string {
  return value === undefined ? NIL : `$${value.length}\r\n${value}\r\n`;
}

/** `*n` followed by the items, each already encoded. */
export function array(items: readonly string[]): string {
  return `*${items.length}\r\n${items.join('')}`;
}

/** An array of bulk strings: what KEYS and pub/sub messages return. */
export function bulkArray(values: readonly (string | undefined)[]): string {
  let reply = `*${values.length}\r\n`;
  for (const value of values) reply += bulk(value);
  return reply;
}
