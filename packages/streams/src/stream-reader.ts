/*
 * StreamReader: asyncio's StreamReader, bytes fed in by a protocol (feedData,
 * feedEof, setException) and read out by one task at a time (read, readLine,
 * readUntil, readExactly).
 *
 * Invariants
 *   1. The bytes live in a ChunkBuffer: kept by reference as they arrive, joined only
 *      when a read spans chunks. feedData() does no allocation of its own for large
 *      chunks and creates no promise; it completes the one waiter, if any.
 *   2. At most one waiting read at a time: a read that must wait while another is
 *      waiting throws ConcurrentReadError (asyncio's RuntimeError). read() and
 *      readExactly() return their StreamWaiter, which feedData()/feedEof() complete
 *      with the bytes they take right then (waiter.ts), so a waiting read(n) returns
 *      what the feed that woke it brought (at most n), where asyncio's would also
 *      take bytes fed later in the same loop iteration. readUntil() and readLine()
 *      wait on a StreamWaiter that stays set until the read resumes, so the read it
 *      belongs to is the one that sees the bytes that woke it: they judge the limit
 *      on all that the iteration fed, as asyncio (test_readline_limit), where a
 *      decision at the first feed would judge a line on its first chunk.
 *   3. Reads consume only when they complete. A read cancelled (its task, or its
 *      Future) or aborted (its signal) leaves every byte in the buffer, read(-1)
 *      included: it waits for EOF without consuming, instead of asyncio's loop of
 *      read(limit) calls that loses what it gathered when cancelled. A read whose
 *      task is cancelled after it took its bytes puts them back (waiter.ts).
 *   4. Flow control as asyncio's: above 2 × limit buffered bytes the transport's
 *      reading is paused; it resumes once reads bring the buffer to limit or below,
 *      or as soon as a read has to wait (waiting while paused would deadlock:
 *      readExactly(n) with n > 2 × limit). While a read() or readExactly() waits
 *      for more (read(-1) included) reading is not paused at all.
 *   5. After setException() every read throws that error, even with bytes buffered
 *      (asyncio's behaviour); the bytes stay.
 *   6. readUntil() over the limit throws LimitOverrunError and leaves the buffer as it
 *      was (DESIGN §4); readLine() drops the over-long line first, as asyncio's
 *      readline() does, so the next readLine() reads the next line.
 *   7. No async function per read: read(n), readExactly(n) and readLine() answer from
 *      the buffer with one settled promise when it holds what they need (the common
 *      case of a line protocol); read(n) and readExactly(n) that must wait return
 *      the waiter that feeding completes (a done Future would cost the engine's
 *      thenable job and an Awaiter: 2,300 instructions more per buffered read). Bad
 *      arguments reject; nothing throws.
 *
 * Tested by test/stream-reader.test.ts and test/stream-reader.property.test.ts.
 */

// The module's binding: Node's global `Buffer` is a getter, called on every use.
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import type { FutureOptions, SignalOptions } from '@coro/futures';
import { type Future, InvalidStateError } from '@coro/futures';
import { describeValue, type Loop, requireInteger } from '@coro/loop';
import { ChunkBuffer, EMPTY } from './chunk-buffer.js';
import { ConcurrentReadError, IncompleteReadError, LimitOverrunError } from './errors.js';
import { feedFromNode, feedFromWeb, type ReadingControl } from './readable-sources.js';
import { readSignal, StreamWaiter, waiterOptions } from './waiter.js';

/** The reads that wait for data; readUntil (and readLine) wait on a StreamWaiter. */
type WaitingRead = 'read' | 'readUntil' | 'readLine' | 'readExactly';
const WAITING_FOR_SEPARATOR = 'StreamReader.readUntil: waiting for data';
const WAITING_FOR_LINE = 'StreamReader.readLine: waiting for data';

/** What a waiting read() or readExactly() waits for (#pendingMode), and how it describes itself. */
const READ_SOME = 0; // read(n): at least one byte, at most n
const READ_EXACTLY = 1; // readExactly(n): n bytes
const READ_ALL = 2; // read(-1): everything until EOF
const WAITING_TO_READ = [
  'StreamReader.read: waiting for data',
  'StreamReader.readExactly: waiting for data',
  'StreamReader.read: waiting for EOF',
];

/** asyncio's `_DEFAULT_LIMIT`: 64 KiB. */
const DEFAULT_LIMIT = 65_536;

const NEWLINE: Buffer = Buffer.from('\n');
const NEWLINES: readonly Buffer[] = [NEWLINE];

/**
 * Options of `new StreamReader()`.
 *
 * @example
 * ```ts
 * import { StreamReader, type StreamReaderOptions } from '@coro/streams';
 *
 * const options: StreamReaderOptions = { limit: 1_048_576 }; // lines up to 1 MiB
 * const reader = new StreamReader(options);
 * ```
 */
export interface StreamReaderOptions {
  /**
   * The longest line (or `readUntil` chunk, separator not counted) a read accepts,
   * in bytes; reading from the transport pauses when twice this much is buffered.
   * An integer >= 1. @defaultValue 65536
   */
  limit?: number | undefined;
  /** The loop the reader's waits run on. @defaultValue the running loop */
  loop?: Loop | undefined;
}

/**
 * A separator for `readUntil()`: a string (UTF-8) or bytes.
 *
 * @example
 * ```ts
 * import type { Separator } from '@coro/streams';
 *
 * const crlf: Separator = '\r\n';
 * const nul: Separator = new Uint8Array([0]);
 * ```
 */
export type Separator = string | Uint8Array;

/**
 * Options of every read of a `StreamReader`: `{ signal }` gives the read up (it rejects
 * with the signal's reason; the bytes stay in the reader).
 *
 * @example
 * ```ts
 * import { StreamReader, type ReadOptions } from '@coro/streams';
 *
 * const controller = new AbortController();
 * const options: ReadOptions = { signal: controller.signal };
 * const line = new StreamReader().readLine(options);
 * controller.abort(new Error('gave up'));
 * await line.catch((error) => console.log(error.message)); // gave up
 * ```
 */
export type ReadOptions = SignalOptions;

/**
 * asyncio's StreamReader: a buffer of received bytes and the reads that wait on it.
 * A protocol feeds it (`feedData`, `feedEof`, `setException`); one task at a time
 * reads from it. Reads return `Buffer`s; a task blocked in a read is cancelled at
 * that await (`task.cancel()`), and every read takes `{ signal }`. `for await`
 * yields lines.
 *
 * @example
 * ```ts
 * import { StreamReader } from '@coro/streams';
 *
 * const reader = new StreamReader();
 * reader.feedData(Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\nbody'));
 * reader.feedEof();
 * console.log(String(await reader.readLine()).trimEnd()); // GET / HTTP/1.1
 * console.log(String(await reader.readUntil('\r\n\r\n')).trimEnd()); // Host: example
 * console.log(String(await reader.read())); // body
 * ```
 */
export class StreamReader implements AsyncIterable<Buffer> {
  readonly #limit: number;
  /** The options of this reader's waiters (its loop): made once, not per wait. */
  readonly #waiterOptions: FutureOptions | undefined;
  readonly #buffer: ChunkBuffer;
  #eof: boolean;
  /** What readUntil() (and readLine()) waits on. */
  #waiter: StreamWaiter | null;
  /** The waiting read() or readExactly(): the Future it returned (invariant 2). */
  #pending: StreamWaiter<Buffer> | null;
  /** What #pending waits for (READ_SOME, READ_EXACTLY or READ_ALL), and how many bytes. */
  #pendingMode: number;
  #pendingWant: number;
  #exception: unknown;
  #hasException: boolean;
  /** What feeds this reader, paused and resumed for flow control (invariant 4). */
  #transport: ReadingControl | null;
  #paused: boolean;

  /**
   * @throws TypeError if `options` is not an object; RangeError if `limit` is not an integer >= 1.
   */
  constructor(options?: StreamReaderOptions) {
    if (options !== undefined && (typeof options !== 'object' || options === null)) {
      throw new TypeError(`options must be an object; got ${describeValue(options)}`);
    }
    const limit = options?.limit ?? DEFAULT_LIMIT;
    requireInteger(limit, 'limit', 1);
    this.#limit = limit;
    this.#waiterOptions = waiterOptions(options?.loop);
    this.#buffer = new ChunkBuffer();
    this.#eof = false;
    this.#waiter = null;
    this.#pending = null;
    this.#pendingMode = READ_SOME;
    this.#pendingWant = 0;
    this.#exception = undefined;
    this.#hasException = false;
    this.#transport = null;
    this.#paused = false;
  }

  /**
   * A reader fed by a Node `Readable` (a file stream, `process.stdin`, a child's
   * stdout, any `node:stream` source): its chunks become the reader's bytes (strings
   * as UTF-8), its end the reader's EOF, its error the reader's exception. Reading
   * from the source pauses while the reader holds more than 2 × `limit` bytes.
   * Read the source only through the reader from then on.
   *
   * @throws TypeError if `readable` is not a Node Readable, or for bad `options`.
   * @example
   * ```ts
   * import { Readable } from 'node:stream';
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = StreamReader.fromNode(Readable.from(['first line\nsec', 'ond line\n']));
   * for await (const line of reader) console.log(String(line).trimEnd()); // first line, then second line
   * ```
   */
  static fromNode(readable: Readable, options?: StreamReaderOptions): StreamReader {
    const reader = new StreamReader(options);
    feedFromNode(reader, readable);
    return reader;
  }

  /**
   * A reader fed by a Web `ReadableStream` (a `fetch()` body, a `Blob.stream()`…):
   * as {@link StreamReader.fromNode}; the stream is locked to the reader and read
   * only while the reader holds at most 2 × `limit` bytes.
   *
   * @throws TypeError if `stream` is not a ReadableStream, or for bad `options`.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = StreamReader.fromWeb(new Blob(['name: coro\nkind: library\n']).stream());
   * console.log(String(await reader.readUntil(': '))); // name:
   * console.log(String(await reader.readLine()).trimEnd()); // coro
   * ```
   */
  static fromWeb(stream: ReadableStream<Uint8Array>, options?: StreamReaderOptions): StreamReader {
    const reader = new StreamReader(options);
    feedFromWeb(reader, stream as ReadableStream<unknown>);
    return reader;
  }

  /**
   * The line-length limit this reader was created with, in bytes.
   *
   * @example
   * ```ts
   * import { LimitOverrunError, StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader({ limit: 8 });
   * reader.feedData(new TextEncoder().encode('a line too long for it\nok\n'));
   * try {
   *   await reader.readLine();
   * } catch (error) {
   *   // the long line is dropped; say why with the limit in force
   *   if (error instanceof LimitOverrunError) console.log(`line over ${reader.limit} bytes`); // line over 8 bytes
   * }
   * console.log(String(await reader.readLine()).trim()); // ok
   * ```
   */
  get limit(): number {
    return this.#limit;
  }

  /**
   * How many received bytes wait to be read.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('abc'));
   * console.log(reader.bufferedSize); // 3
   * ```
   */
  get bufferedSize(): number {
    return this.#buffer.length;
  }

  /**
   * The error set by `setException()`, or `null`.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.setException(new Error('reset'));
   * console.log((reader.exception() as Error).message); // reset
   * ```
   */
  exception(): unknown {
    return this.#hasException ? this.#exception : null;
  }

  /**
   * Makes every read fail with `error` from now on, including the one waiting
   * (a protocol calls it when the connection breaks). Buffered bytes stay.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * const line = reader.readLine();
   * reader.setException(new Error('connection reset'));
   * await line.catch((error) => console.log(error.message)); // connection reset
   * ```
   */
  setException(error: unknown): void {
    this.#exception = error;
    this.#hasException = true;
    const waiter = this.#waiter;
    if (waiter !== null) waiter.fail(error);
    const read = this.#pending;
    if (read !== null) {
      this.#dropPending(read);
      if (!read.done()) read.setException(error);
    }
  }

  /**
   * Attaches the transport whose reading this reader pauses and resumes (flow
   * control): a `ReadTransport`, or anything with `pauseReading()` and
   * `resumeReading()`. A `StreamReaderProtocol` calls it on `connectionMade`;
   * call it yourself when you feed a reader from a transport of your own.
   *
   * @throws {@link InvalidStateError} if a transport is already attached.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   * import type { ReadTransport } from '@coro/transports';
   *
   * function attach(reader: StreamReader, transport: ReadTransport) {
   *   reader.setTransport(transport); // reading pauses above 2 × limit buffered bytes
   * }
   * ```
   */
  setTransport(transport: ReadingControl): void {
    if (this.#transport !== null) {
      throw new InvalidStateError('setTransport() called on a StreamReader that has a transport');
    }
    this.#transport = transport;
  }

  /** @internal A TLS upgrade replaced the transport (StreamWriter.startTls). */
  replaceTransport(transport: ReadingControl): void {
    this.#transport = transport;
    this.#paused = false;
  }

  /**
   * Marks the end of the stream: reads return what is buffered, then end.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('last words'));
   * reader.feedEof();
   * console.log(String(await reader.read())); // last words
   * ```
   */
  feedEof(): void {
    this.#eof = true;
    const waiter = this.#waiter;
    if (waiter !== null) waiter.wake();
    const read = this.#pending;
    if (read !== null) this.#servePending(read);
  }

  /**
   * Whether the stream has ended and every byte was read.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('x'));
   * reader.feedEof();
   * console.log(reader.atEof()); // false: one byte left
   * await reader.read(1);
   * console.log(reader.atEof()); // true
   * ```
   */
  atEof(): boolean {
    return this.#eof && this.#buffer.length === 0;
  }

  /**
   * Appends received bytes and wakes the waiting read. The reader keeps `data` by
   * reference: do not change it afterwards. Empty data is ignored.
   *
   * @throws TypeError if `data` is not a Uint8Array.
   * @throws {@link InvalidStateError} after `feedEof()`.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('hel'));
   * reader.feedData(new TextEncoder().encode('lo\n'));
   * console.log(String(await reader.readLine())); // hello
   * ```
   */
  feedData(data: Uint8Array): void {
    if (this.#eof) {
      if (data instanceof Uint8Array && data.length === 0) return;
      throw new InvalidStateError('feedData() called after feedEof()');
    }
    let chunk: Buffer;
    if (Buffer.isBuffer(data)) chunk = data;
    else if (data instanceof Uint8Array) {
      chunk = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    } else {
      throw new TypeError(`data must be a Uint8Array; got ${describeValue(data)}`);
    }
    if (chunk.length === 0) return;
    const buffer = this.#buffer;
    buffer.push(chunk);
    const waiter = this.#waiter;
    if (waiter !== null) waiter.wake();
    const read = this.#pending;
    if (read !== null) this.#servePending(read);
    if (
      !this.#paused &&
      this.#transport !== null &&
      buffer.length > 2 * this.#limit &&
      this.#pending === null // a read still waiting needs more: pausing would deadlock
    ) {
      this.#paused = true;
      this.#transport.pauseReading();
    }
  }

  /**
   * Reads up to `n` bytes: as soon as at least one byte is buffered, returns what
   * is there (at most `n`); at the end of the stream returns an empty Buffer. With
   * `n` negative (the default, -1) reads until the end of the stream and returns
   * it all; with `n` = 0 returns an empty Buffer at once. Not bound by `limit`.
   *
   * Returns a settled `Promise` when the bytes are there, else a coro `Future` (await
   * either): cancelling that Future, or the task awaiting it, gives the read up and
   * takes no byte. The errors below reject; `read()` itself never throws.
   *
   * @param n - How many bytes at most; negative: everything until EOF. @defaultValue -1
   * @throws the error given to `setException()`, if any.
   * @throws {@link ConcurrentReadError} if another task is waiting on this reader.
   * @throws RangeError if `n` is not an integer; TypeError for bad `options`.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('abcdef'));
   * reader.feedEof();
   * console.log(String(await reader.read(4))); // abcd
   * console.log(String(await reader.read())); // ef
   * console.log((await reader.read()).length); // 0
   * ```
   */
  read(n = -1, options?: ReadOptions): Promise<Buffer> | Future<Buffer> {
    // The common call, nothing to check (invariant 7): 1,100 instructions less per echo
    // round trip than the checked path below (measured).
    if (n > 0 && options === undefined && !this.#hasException && Number.isInteger(n)) {
      const buffer = this.#buffer;
      if (buffer.length > 0) return Promise.resolve(this.#take(Math.min(n, buffer.length)));
      if (!this.#eof && this.#waiter === null && this.#pending === null) {
        return this.#startRead(READ_SOME, n, undefined);
      }
    }
    try {
      if (!Number.isInteger(n)) {
        const message = `n must be an integer (negative: read until EOF); got ${describeValue(n)}`;
        throw typeof n === 'number' ? new RangeError(message) : new TypeError(message);
      }
      const signal = readSignal(options);
      if (signal?.aborted) throw signal.reason;
      if (this.#hasException) throw this.#exception;
      const buffer = this.#buffer;
      if (n < 0) {
        if (this.#eof) return Promise.resolve(this.#take(buffer.length));
        return this.#startRead(READ_ALL, -1, signal);
      }
      if (n === 0) return Promise.resolve(EMPTY);
      if (buffer.length > 0) return Promise.resolve(this.#take(Math.min(n, buffer.length)));
      if (this.#eof) return Promise.resolve(EMPTY);
      return this.#startRead(READ_SOME, n, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Reads one line, `\n` included. At the end of the stream returns the partial
   * last line without `\n`, then empty Buffers. A line longer than `limit` (not
   * counting `\n`) is dropped from the buffer, up to and including its `\n` (or the
   * whole buffer if none came yet), and the read throws {@link LimitOverrunError},
   * as asyncio's `readline()` does (it raises `ValueError`).
   *
   * @throws {@link LimitOverrunError} for a line over the limit (dropped).
   * @throws the error given to `setException()`, if any.
   * @throws {@link ConcurrentReadError} if another task is waiting on this reader.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('one\ntw'));
   * reader.feedEof();
   * console.log(JSON.stringify(String(await reader.readLine()))); // "one\n"
   * console.log(JSON.stringify(String(await reader.readLine()))); // "tw"
   * console.log(JSON.stringify(String(await reader.readLine()))); // ""
   * ```
   */
  readLine(options?: ReadOptions): Promise<Buffer> {
    // Fast path (invariant 7): a whole line within the limit is buffered.
    if (options === undefined && !this.#hasException) {
      const end = this.#buffer.indexOf(NEWLINE, 0);
      if (end !== -1 && end <= this.#limit) return Promise.resolve(this.#take(end + 1));
    }
    return this.#readUntil(NEWLINES, options, true);
  }

  /**
   * Reads until `separator` and returns the bytes with the separator at the end.
   * Given several separators, returns the shortest chunk that ends with any of
   * them (Python 3.13). The chunk without its separator may be at most `limit`
   * bytes long.
   *
   * @param separator - A string (UTF-8), bytes, or an array of them. @defaultValue '\n'
   * @throws {@link LimitOverrunError} when no separator occurs within `limit` bytes,
   *   or the chunk before it is longer: the bytes stay in the reader, `consumed`
   *   says how many to skip.
   * @throws {@link IncompleteReadError} when the stream ends first: `partial` holds
   *   what was buffered (now removed), `expected` is `null`.
   * @throws the error given to `setException()`, if any.
   * @throws {@link ConcurrentReadError} if another task is waiting on this reader.
   * @throws TypeError if a separator is not a string or bytes; RangeError if one is
   *   empty or the array is.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('key=value;next\r\n'));
   * console.log(String(await reader.readUntil('='))); // key=
   * console.log(JSON.stringify(String(await reader.readUntil([';', '\r\n'])))); // "value;"
   * ```
   */
  readUntil(
    separator: Separator | readonly Separator[] = '\n',
    options?: ReadOptions,
  ): Promise<Buffer> {
    let separators: readonly Buffer[];
    try {
      separators = toSeparators(separator);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#readUntil(separators, options, false);
  }

  /**
   * readUntil(), and readLine() (`line`): one async function for both, so a waiting
   * readLine() runs one, not two.
   */
  async #readUntil(
    separators: readonly Buffer[],
    options: ReadOptions | undefined,
    line: boolean,
  ): Promise<Buffer> {
    try {
      const signal = readSignal(options);
      if (signal?.aborted) throw signal.reason;
      if (this.#hasException) throw this.#exception;
      const shortest = (separators[0] as Buffer).length;
      const longest = (separators[separators.length - 1] as Buffer).length;
      const buffer = this.#buffer;
      const limit = this.#limit;
      // `offset`: no separator starts before it (asyncio's readuntil).
      let offset = 0;
      let matchStart = -1;
      let matchEnd = -1;
      for (;;) {
        const length = buffer.length;
        if (length - offset >= shortest) {
          for (const candidate of separators) {
            const found = buffer.indexOf(candidate, offset);
            if (found !== -1) {
              const end = found + candidate.length;
              if (matchEnd === -1 || end < matchEnd) {
                matchEnd = end;
                matchStart = found;
              }
            }
          }
          if (matchEnd !== -1) break;
          // A separator may have begun in the last longest - 1 bytes.
          offset = Math.max(0, length + 1 - longest);
          if (offset > limit) {
            throw new LimitOverrunError(
              'separator not found, and the buffered chunk exceeds the limit',
              offset,
            );
          }
        }
        // A last chunk may have completed a separator, so look before giving up at EOF.
        if (this.#eof) {
          throw new IncompleteReadError(buffer.take(buffer.length), null);
        }
        const waiter = this.#startWaiting(line ? 'readLine' : 'readUntil', signal);
        try {
          await waiter;
        } finally {
          this.#stopWaiting(waiter);
        }
      }
      if (matchStart > limit) {
        throw new LimitOverrunError(
          'separator found, but the chunk before it is longer than the limit',
          matchStart,
        );
      }
      return this.#take(matchEnd);
    } catch (error) {
      if (!line) throw error;
      // readLine(): the partial last line at EOF; an over-long line dropped (invariant 6).
      if (error instanceof IncompleteReadError) return error.partial as Buffer;
      if (error instanceof LimitOverrunError) {
        const buffer = this.#buffer;
        if (buffer.startsWith(NEWLINE, error.consumed)) buffer.skip(error.consumed + 1);
        else buffer.clear();
        this.#maybeResumeTransport();
      }
      throw error;
    }
  }

  /**
   * Reads exactly `n` bytes, waiting for as many as needed (not bound by `limit`).
   * Returns a settled `Promise` or a coro `Future`, as {@link StreamReader.read} does:
   * cancelling a read, or the task awaiting it, takes no byte.
   *
   * @throws {@link IncompleteReadError} if the stream ends first: `partial` holds the
   *   bytes that came (now removed), `expected` is `n`.
   * @throws the error given to `setException()`, if any.
   * @throws {@link ConcurrentReadError} if another task is waiting on this reader.
   * @throws RangeError if `n` is not an integer >= 0.
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from([0, 5]));
   * reader.feedData(Buffer.from('hello'));
   * const header = await reader.readExactly(2);
   * console.log(String(await reader.readExactly(header.readUInt16BE(0)))); // hello
   * ```
   */
  readExactly(n: number, options?: ReadOptions): Promise<Buffer> | Future<Buffer> {
    // The common call, nothing to check, as in read().
    if (n > 0 && options === undefined && !this.#hasException && Number.isInteger(n)) {
      if (this.#buffer.length >= n) return Promise.resolve(this.#take(n));
      if (!this.#eof && this.#waiter === null && this.#pending === null) {
        return this.#startRead(READ_EXACTLY, n, undefined);
      }
    }
    try {
      requireInteger(n, 'n', 0);
      const signal = readSignal(options);
      if (signal?.aborted) throw signal.reason;
      if (this.#hasException) throw this.#exception;
      const buffer = this.#buffer;
      if (buffer.length >= n) return Promise.resolve(this.#take(n));
      if (this.#eof) throw new IncompleteReadError(buffer.take(buffer.length), n);
      return this.#startRead(READ_EXACTLY, n, signal);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Yields lines (with their `\n`) until the end of the stream, like
   * `readLine()` in a loop.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('a\nb\nc'));
   * reader.feedEof();
   * for await (const line of reader) console.log(String(line).trimEnd()); // a, b, then c
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    for (;;) {
      const line = await this.readLine();
      if (line.length === 0) return;
      yield line;
    }
  }

  /**
   * A Web `ReadableStream` of the bytes this reader receives, in chunks of at most
   * `limit` bytes. It pulls only when its consumer reads, so a slow consumer leaves
   * the bytes here and flow control pauses the transport. Cancelling the
   * ReadableStream gives up its pending read and drops the buffered bytes. Read the
   * StreamReader only through the ReadableStream from then on.
   *
   * @example
   * ```ts
   * import { StreamReader } from '@coro/streams';
   *
   * const reader = new StreamReader();
   * reader.feedData(Buffer.from('streamed'));
   * reader.feedEof();
   * const text = await new Response(reader.toWeb()).text();
   * console.log(text); // streamed
   * ```
   */
  toWeb(): ReadableStream<Uint8Array> {
    const abort = new AbortController();
    const options = { signal: abort.signal };
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const chunk = await this.read(this.#limit, options);
          if (chunk.length === 0) controller.close();
          else controller.enqueue(chunk);
        },
        cancel: (reason) => {
          abort.abort(reason ?? new Error('the ReadableStream was cancelled'));
          this.#buffer.clear();
          this.#maybeResumeTransport();
        },
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * The waiter a read awaits until feedData(), feedEof() or setException()
   * (invariant 2); the read awaits it itself (no async function of its own per wait)
   * and then calls #stopWaiting(waiter), in a `finally`.
   */
  #startWaiting(method: WaitingRead, signal: AbortSignal | undefined): StreamWaiter {
    this.#beforeWaiting(method);
    const what = method === 'readLine' ? WAITING_FOR_LINE : WAITING_FOR_SEPARATOR;
    const waiter = new StreamWaiter(this.#waiterOptions, signal, what, null);
    this.#waiter = waiter;
    return waiter;
  }

  /** A read() or readExactly() that must wait: its waiter is the Future it returns (invariant 2). */
  #startRead(mode: number, want: number, signal: AbortSignal | undefined): StreamWaiter<Buffer> {
    this.#beforeWaiting(mode === READ_EXACTLY ? 'readExactly' : 'read');
    const read = new StreamWaiter<Buffer>(
      this.#waiterOptions,
      signal,
      WAITING_TO_READ[mode] as string,
      this.#buffer,
    );
    this.#pending = read;
    this.#pendingMode = mode;
    this.#pendingWant = want;
    return read;
  }

  /** One waiting read at a time (invariant 2); waiting while paused would deadlock (invariant 4). */
  #beforeWaiting(method: WaitingRead): void {
    if (this.#waiter !== null || this.#hasPendingRead()) {
      throw new ConcurrentReadError(
        `${method}() called while another task is already waiting for data on this StreamReader`,
      );
    }
    if (this.#paused) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
  }

  /** Whether a read() or readExactly() still waits; forgets one given up (invariant 3). */
  #hasPendingRead(): boolean {
    const read = this.#pending;
    if (read === null) return false;
    if (!read.done()) return true;
    this.#dropPending(read);
    return false;
  }

  /** Completes the pending read if what it waits for has come (fed bytes, EOF). */
  #servePending(read: StreamWaiter<Buffer>): void {
    if (read.done()) {
      // Cancelled or aborted: it takes nothing (invariant 3).
      this.#dropPending(read);
      return;
    }
    const length = this.#buffer.length;
    const want = this.#pendingWant;
    if (this.#pendingMode === READ_SOME) {
      if (length > 0) this.#completeRead(read, Math.min(want, length));
      else if (this.#eof) this.#completeRead(read, 0);
    } else if (this.#pendingMode === READ_EXACTLY) {
      if (length >= want) this.#completeRead(read, want);
      else if (this.#eof) {
        this.#dropPending(read);
        read.setException(new IncompleteReadError(this.#buffer.take(length), want));
      }
    } else if (this.#eof) {
      this.#completeRead(read, length); // READ_ALL
    }
  }

  #completeRead(read: StreamWaiter<Buffer>, count: number): void {
    this.#dropPending(read);
    read.setResult(this.#take(count));
  }

  /** The pending read is over (served, failed or given up): the reader waits no more. */
  #dropPending(read: StreamWaiter<Buffer>): void {
    this.#pending = null;
    read.finish();
  }

  /** The read that awaited `waiter` resumed (or gave up): the reader waits no more. */
  #stopWaiting(waiter: StreamWaiter): void {
    if (this.#waiter === waiter) this.#waiter = null;
    waiter.finish();
  }

  /** Removes and returns `count` buffered bytes; resumes a paused transport if it may. */
  #take(count: number): Buffer {
    const data = this.#buffer.take(count);
    this.#maybeResumeTransport();
    return data;
  }

  #maybeResumeTransport(): void {
    if (this.#paused && this.#buffer.length <= this.#limit) {
      this.#paused = false;
      this.#transport?.resumeReading();
    }
  }

  get [Symbol.toStringTag](): string {
    const parts = ['StreamReader'];
    if (this.#buffer.length > 0) parts.push(`${this.#buffer.length} bytes`);
    if (this.#eof) parts.push('eof');
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#waiter !== null || (this.#pending !== null && !this.#pending.done())) {
      parts.push('waiting');
    }
    if (this.#hasException) parts.push(`exception=${describeValue(this.#exception)}`);
    if (this.#paused) parts.push('paused');
    return parts.join(' ');
  }
}

/** The separators of readUntil() as Buffers, shortest first (the shortest match wins). */
function toSeparators(separator: Separator | readonly Separator[]): readonly Buffer[] {
  if (typeof separator === 'string' || separator instanceof Uint8Array) {
    return [toSeparator(separator, 'separator')];
  }
  if (!Array.isArray(separator)) {
    throw new TypeError(
      `separator must be a string, bytes, or an array of them; got ${describeValue(separator)}`,
    );
  }
  if (separator.length === 0) {
    throw new RangeError('separator must hold at least one separator; got an empty array');
  }
  const separators = separator.map((each: unknown, index) =>
    toSeparator(each, `separator[${index}]`),
  );
  return separators.sort((a, b) => a.length - b.length); // stable: equal lengths keep their order
}

function toSeparator(value: unknown, argument: string): Buffer {
  let bytes: Buffer;
  if (typeof value === 'string') bytes = Buffer.from(value);
  else if (Buffer.isBuffer(value)) bytes = value;
  else if (value instanceof Uint8Array) {
    bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  } else {
    throw new TypeError(`${argument} must be a string or bytes; got ${describeValue(value)}`);
  }
  if (bytes.length === 0) {
    throw new RangeError(`${argument} must be at least one byte long; got an empty one`);
  }
  return bytes;
}
