/*
 * Readable sources (internal): a Node `Readable` or a Web `ReadableStream` feeding
 * a StreamReader (StreamReader.fromNode / fromWeb).
 *
 * A source talks to the reader only through ReaderFeed, what it needs of it: bytes,
 * EOF, an error, and handing over its pause/resume controls. It knows nothing of
 * protocols or writers: the arrows point one way, reader → source → ReaderFeed.
 *
 * Invariants
 *   1. Chunks go to the reader as they come (strings as UTF-8); the end of the
 *      source is the reader's EOF; an error of the source is the reader's exception.
 *      The reader hears the end once, whatever events follow.
 *   2. Backpressure: when the reader holds more than 2 × limit bytes it pauses the
 *      source (Node: `readable.pause()`; Web: no `read()` until resumed), so the
 *      source's own buffer fills and its producer is told to wait, as a socket peer
 *      would be.
 *   3. A chunk that is neither bytes nor a string (an object-mode source) fails the
 *      reader with a TypeError and destroys the source; nothing throws out of an
 *      event handler.
 *
 * Tested by test/adapters.test.ts.
 */

import type { Readable } from 'node:stream';
import { describeValue } from '@coro/loop';
import type { ReadTransport } from '@coro/transports';

/**
 * What a StreamReader calls on whatever feeds it, for flow control (invariant 2): a
 * `ReadTransport` is one. The parameter of `StreamReader.setTransport`.
 */
export type ReadingControl = Pick<ReadTransport, 'pauseReading' | 'resumeReading'>;

/** @internal What a source needs of the reader it feeds (a StreamReader has it). */
export interface ReaderFeed {
  feedData(data: Uint8Array): void;
  feedEof(): void;
  setException(error: unknown): void;
  setTransport(control: ReadingControl): void;
}

/** A chunk of a source, as a Buffer. */
function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`a stream chunk must be bytes or a string; got ${describeValue(chunk)}`);
}

/** What the two sources share: the reader, the paused flag, and the end, told once. */
abstract class Source implements ReadingControl {
  protected readonly reader: ReaderFeed;
  protected paused = false;
  protected ended = false;

  constructor(reader: ReaderFeed) {
    this.reader = reader;
  }

  abstract pauseReading(): void;
  abstract resumeReading(): void;

  /** The source ended (with `error`, if it failed): tell the reader, once (invariant 1). */
  protected end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (error === undefined || error === null) this.reader.feedEof();
    else this.reader.setException(error);
  }
}

class NodeSource extends Source {
  readonly #readable: Readable;

  constructor(readable: Readable, reader: ReaderFeed) {
    super(reader);
    this.#readable = readable;
    readable.on('data', (chunk: unknown) => {
      if (this.ended) return;
      let bytes: Buffer;
      try {
        bytes = toBuffer(chunk);
      } catch (error) {
        this.end(error); // an object-mode source of something else than bytes
        readable.destroy();
        return;
      }
      this.reader.feedData(bytes);
    });
    readable.once('end', () => this.end(undefined));
    readable.once('error', (error: unknown) => this.end(error));
    // A source destroyed without 'end' (or 'error') still ends the reader.
    readable.once('close', () => this.end(undefined));
  }

  pauseReading(): void {
    if (this.ended || this.paused) return;
    this.paused = true;
    this.#readable.pause();
  }

  resumeReading(): void {
    if (this.ended || !this.paused) return;
    this.paused = false;
    this.#readable.resume();
  }
}

class WebSource extends Source {
  readonly #source: ReadableStreamDefaultReader<unknown>;
  #resume: (() => void) | null = null;

  constructor(stream: ReadableStream<unknown>, reader: ReaderFeed) {
    super(reader);
    this.#source = stream.getReader();
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        if (this.paused) await new Promise<void>((resolve) => (this.#resume = resolve));
        const { done, value } = await this.#source.read();
        if (done) {
          this.end(undefined);
          return;
        }
        this.reader.feedData(toBuffer(value));
      }
    } catch (error) {
      this.end(error);
    }
  }

  pauseReading(): void {
    if (!this.ended) this.paused = true;
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }
}

/** @internal Feeds `reader` from a Node Readable (StreamReader.fromNode). */
export function feedFromNode(reader: ReaderFeed, readable: Readable): void {
  if (
    typeof readable !== 'object' ||
    readable === null ||
    typeof (readable as Partial<Readable>).on !== 'function' ||
    typeof (readable as Partial<Readable>).pause !== 'function'
  ) {
    throw new TypeError(`readable must be a Node Readable; got ${describeValue(readable)}`);
  }
  reader.setTransport(new NodeSource(readable, reader));
}

/** @internal Feeds `reader` from a Web ReadableStream (StreamReader.fromWeb). */
export function feedFromWeb(reader: ReaderFeed, stream: ReadableStream<unknown>): void {
  if (typeof stream !== 'object' || stream === null || typeof stream.getReader !== 'function') {
    throw new TypeError(`stream must be a ReadableStream; got ${describeValue(stream)}`);
  }
  reader.setTransport(new WebSource(stream, reader));
}
