/*
 * Readable sources as StreamReaders (internal): a Node `Readable` or a Web
 * `ReadableStream` becomes a read transport that feeds a StreamReaderProtocol, so
 * the reader's flow control works on them as on a socket.
 *
 * Invariants
 *   1. Chunks go to the reader as they come (strings as UTF-8); the end of the
 *      source is the reader's EOF; an error of the source is the reader's exception.
 *   2. Backpressure: when the reader holds more than 2 × limit bytes it pauses the
 *      transport, which stops pulling from the source (Node: `readable.pause()`;
 *      Web: no `read()` until resumed), so the source's own buffer fills and its
 *      producer is told to wait, as a socket peer would be.
 *   3. close() stops reading and releases the source (Node: destroy(); Web:
 *      cancel()); the reader then sees EOF.
 *   4. A chunk that is neither bytes nor a string (an object-mode source) fails the
 *      reader with a TypeError and destroys the source; nothing throws out of an
 *      event handler.
 *
 * Tested by test/adapters.test.ts.
 */

import type { Readable } from 'node:stream';
import type { Loop } from '@coro/loop';
import { describeValue } from '@coro/loop';
import type { ReadTransport } from '@coro/transports';
import type { StreamReader } from './stream-reader.js';
import { StreamReaderProtocol } from './stream-reader-protocol.js';

/** A chunk of a source, as a Buffer. */
function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`a stream chunk must be bytes or a string; got ${describeValue(chunk)}`);
}

/** What the two read transports share: the protocol, closing, extra info. */
abstract class SourceTransport implements ReadTransport {
  protected protocol: StreamReaderProtocol;
  protected closing = false;
  protected paused = false;
  #lost = false;
  readonly #extra: Record<string, unknown>;

  constructor(protocol: StreamReaderProtocol, extra: Record<string, unknown>) {
    this.protocol = protocol;
    this.#extra = extra;
  }

  isClosing(): boolean {
    return this.closing;
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return Object.hasOwn(this.#extra, name) ? (this.#extra[name] as V) : defaultValue;
  }

  getProtocol(): never {
    return this.protocol as never;
  }

  setProtocol(protocol: never): void {
    this.protocol = protocol as StreamReaderProtocol;
  }

  isReading(): boolean {
    return !this.paused && !this.closing;
  }

  abstract close(): void;
  abstract pauseReading(): void;
  abstract resumeReading(): void;

  /** The source ended (with `error`, if it failed): tell the protocol, once. */
  protected lose(error: unknown): void {
    if (this.#lost) return;
    this.#lost = true;
    this.closing = true;
    if (error === undefined) this.protocol.eofReceived();
    this.protocol.connectionLost(error === undefined ? undefined : (error as Error));
  }
}

class NodeReadableTransport extends SourceTransport {
  readonly #readable: Readable;

  constructor(readable: Readable, protocol: StreamReaderProtocol) {
    super(protocol, { pipe: readable });
    this.#readable = readable;
    readable.on('data', (chunk: unknown) => {
      if (this.closing) return;
      let bytes: Buffer;
      try {
        bytes = toBuffer(chunk);
      } catch (error) {
        this.lose(error); // an object-mode source of something else than bytes
        readable.destroy();
        return;
      }
      this.protocol.dataReceived(bytes);
    });
    readable.once('end', () => this.lose(undefined));
    readable.once('error', (error: unknown) => this.lose(error));
    // A source destroyed without 'end' (or 'error') still ends the reader.
    readable.once('close', () => this.lose(undefined));
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.#readable.destroy();
    this.lose(undefined);
  }

  pauseReading(): void {
    if (this.closing || this.paused) return;
    this.paused = true;
    this.#readable.pause();
  }

  resumeReading(): void {
    if (this.closing || !this.paused) return;
    this.paused = false;
    this.#readable.resume();
  }
}

class WebReadableTransport extends SourceTransport {
  readonly #source: ReadableStreamDefaultReader<unknown>;
  #resume: (() => void) | null = null;

  constructor(stream: ReadableStream<unknown>, protocol: StreamReaderProtocol) {
    super(protocol, { stream });
    this.#source = stream.getReader();
    void this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      for (;;) {
        if (this.paused) await new Promise<void>((resolve) => (this.#resume = resolve));
        if (this.closing) return;
        const { done, value } = await this.#source.read();
        if (this.closing) return;
        if (done) {
          this.lose(undefined);
          return;
        }
        this.protocol.dataReceived(toBuffer(value));
      }
    } catch (error) {
      this.lose(error);
    }
  }

  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.#source.cancel().catch(() => {});
    this.#wake();
    this.lose(undefined);
  }

  pauseReading(): void {
    if (!this.closing) this.paused = true;
  }

  resumeReading(): void {
    if (!this.paused) return;
    this.paused = false;
    this.#wake();
  }

  #wake(): void {
    const resume = this.#resume;
    this.#resume = null;
    resume?.();
  }
}

/** @internal Feeds `reader` from a Node Readable (StreamReader.fromNode). */
export function feedFromNode(
  reader: StreamReader,
  readable: Readable,
  loop: Loop | undefined,
): void {
  if (
    typeof readable !== 'object' ||
    readable === null ||
    typeof (readable as Partial<Readable>).on !== 'function' ||
    typeof (readable as Partial<Readable>).pause !== 'function'
  ) {
    throw new TypeError(`readable must be a Node Readable; got ${describeValue(readable)}`);
  }
  const protocol = new StreamReaderProtocol(reader, undefined, loop);
  protocol.connectionMade(new NodeReadableTransport(readable, protocol) as never);
}

/** @internal Feeds `reader` from a Web ReadableStream (StreamReader.fromWeb). */
export function feedFromWeb(
  reader: StreamReader,
  stream: ReadableStream<unknown>,
  loop: Loop | undefined,
): void {
  if (typeof stream !== 'object' || stream === null || typeof stream.getReader !== 'function') {
    throw new TypeError(`stream must be a ReadableStream; got ${describeValue(stream)}`);
  }
  const protocol = new StreamReaderProtocol(reader, undefined, loop);
  protocol.connectionMade(new WebReadableTransport(stream, protocol) as never);
}
