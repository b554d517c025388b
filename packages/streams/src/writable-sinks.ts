/*
 * Writable sinks as StreamWriters (internal): a Node `Writable` or a Web
 * `WritableStream` becomes a write transport whose protocol is a
 * FlowControlProtocol, so `drain()` waits on them as on a socket.
 *
 * Invariants
 *   1. write() hands the bytes to the sink at once (strings as UTF-8) and never
 *      waits. `getWriteBufferSize()` counts the bytes the sink has not finished
 *      with: Node's `writableLength`; for a Web sink, the bytes of writes whose
 *      promise has not settled.
 *   2. pauseWriting() is called when that count goes above the high-water mark
 *      (Node: when write() returns false, i.e. above the Writable's own
 *      highWaterMark), resumeWriting() when it is back at the low-water mark
 *      (Node: 'drain'); they alternate.
 *   3. connectionLost() runs once, on the loop: after writeEof()/close() once the
 *      sink finished (Node 'finish' or 'close'; Web: close() settled), with the
 *      sink's error if it failed, or at abort().
 *   4. write() after close(), abort() or writeEof() throws InvalidStateError.
 *
 * Tested by test/adapters.test.ts.
 */

import type { Writable } from 'node:stream';
import { InvalidStateError } from '@coro/futures';
import { describeValue, getRunningLoop, type Loop } from '@coro/loop';
import type { WriteBufferLimits, WriteTransport } from '@coro/transports';
import type { FlowControlProtocol } from './flow-control.js';

const DEFAULT_HIGH = 65_536;

function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError(`data must be a Uint8Array or a string; got ${describeValue(data)}`);
}

function callConnectionLost(protocol: FlowControlProtocol, error: Error | undefined): void {
  protocol.connectionLost(error);
}

/** What the two write transports share. */
abstract class SinkTransport implements WriteTransport<FlowControlProtocol> {
  protected protocol: FlowControlProtocol;
  protected readonly loop: Loop;
  protected closing = false;
  protected eof = false;
  protected pausedWriting = false;
  protected high = DEFAULT_HIGH;
  protected low = DEFAULT_HIGH / 4;
  #lost = false;
  readonly #extra: Record<string, unknown>;

  constructor(protocol: FlowControlProtocol, loop: Loop, extra: Record<string, unknown>) {
    this.protocol = protocol;
    this.loop = loop;
    this.#extra = extra;
  }

  abstract write(data: Uint8Array | string): void;
  abstract writeEof(): void;
  abstract abort(): void;
  abstract getWriteBufferSize(): number;

  writeLines(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of chunks) this.write(chunk);
  }

  canWriteEof(): boolean {
    return true;
  }

  close(): void {
    if (this.closing) return;
    if (!this.eof) this.writeEof();
    this.closing = true;
  }

  isClosing(): boolean {
    return this.closing;
  }

  getExtraInfo<V = unknown>(name: string, defaultValue?: V): V | undefined {
    return Object.hasOwn(this.#extra, name) ? (this.#extra[name] as V) : defaultValue;
  }

  getProtocol(): FlowControlProtocol {
    return this.protocol;
  }

  setProtocol(protocol: FlowControlProtocol): void {
    this.protocol = protocol;
  }

  setWriteBufferLimits(limits?: WriteBufferLimits): void {
    const high = limits?.high ?? (limits?.low === undefined ? DEFAULT_HIGH : 4 * limits.low);
    const low = limits?.low ?? Math.floor(high / 4);
    if (!(Number.isInteger(high) && Number.isInteger(low) && 0 <= low && low <= high)) {
      throw new RangeError(`limits must satisfy 0 <= low <= high; got high ${high}, low ${low}`);
    }
    this.high = high;
    this.low = low;
  }

  getWriteBufferLimits(): { high: number; low: number } {
    return { high: this.high, low: this.low };
  }

  protected checkWritable(method: string): void {
    if (this.eof) throw new InvalidStateError(`${method}() called after writeEof()`);
    if (this.closing) throw new InvalidStateError(`${method}() called on a closed transport`);
  }

  protected pause(): void {
    if (this.pausedWriting) return;
    this.pausedWriting = true;
    this.protocol.pauseWriting();
  }

  protected resume(): void {
    if (!this.pausedWriting) return;
    this.pausedWriting = false;
    this.protocol.resumeWriting();
  }

  /** The sink is finished (invariant 3): connectionLost once, on the loop. */
  protected lose(error: unknown): void {
    if (this.#lost) return;
    this.#lost = true;
    this.closing = true;
    const lost = error === undefined || error === null ? undefined : (error as Error);
    this.loop.callSoon(callConnectionLost, this.protocol, lost);
  }
}

/** @internal A write transport over a Node Writable. */
export class NodeWritableTransport extends SinkTransport {
  readonly #writable: Writable;

  constructor(writable: Writable, protocol: FlowControlProtocol, loop: Loop | undefined) {
    if (
      typeof writable !== 'object' ||
      writable === null ||
      typeof (writable as Partial<Writable>).write !== 'function' ||
      typeof (writable as Partial<Writable>).end !== 'function'
    ) {
      throw new TypeError(`writable must be a Node Writable; got ${describeValue(writable)}`);
    }
    super(protocol, loop ?? getRunningLoop(), { pipe: writable });
    this.#writable = writable;
    this.high = writable.writableHighWaterMark ?? DEFAULT_HIGH;
    this.low = 0;
    writable.on('drain', () => this.resume());
    writable.once('finish', () => this.lose(undefined));
    writable.once('close', () => this.lose(writable.errored ?? undefined));
    writable.once('error', (error: unknown) => this.lose(error));
  }

  write(data: Uint8Array | string): void {
    const bytes = toBytes(data);
    this.checkWritable('write');
    if (bytes.length === 0) return;
    if (!this.#writable.write(bytes)) this.pause();
  }

  writeEof(): void {
    if (this.eof) return;
    this.eof = true;
    this.#writable.end();
  }

  abort(): void {
    this.closing = true;
    this.eof = true;
    this.#writable.destroy();
    this.lose(undefined);
  }

  getWriteBufferSize(): number {
    return this.#writable.writableLength;
  }
}

/** @internal A write transport over a Web WritableStream. */
export class WebWritableTransport extends SinkTransport {
  readonly #sink: WritableStreamDefaultWriter<Uint8Array>;
  #buffered = 0;
  #failure: unknown = undefined;

  constructor(
    stream: WritableStream<Uint8Array>,
    protocol: FlowControlProtocol,
    loop: Loop | undefined,
  ) {
    if (typeof stream !== 'object' || stream === null || typeof stream.getWriter !== 'function') {
      throw new TypeError(`stream must be a WritableStream; got ${describeValue(stream)}`);
    }
    super(protocol, loop ?? getRunningLoop(), { stream });
    this.#sink = stream.getWriter();
    this.#sink.closed.then(
      () => this.lose(undefined),
      (error: unknown) => this.lose(error ?? new Error('the WritableStream was aborted')),
    );
  }

  write(data: Uint8Array | string): void {
    const bytes = toBytes(data);
    this.checkWritable('write');
    if (this.#failure !== undefined) return; // the sink failed: connectionLost tells
    if (bytes.length === 0) return;
    const size = bytes.length;
    this.#buffered += size;
    this.#sink.write(bytes).then(
      () => this.#written(size),
      (error: unknown) => {
        this.#failure = error;
        this.#written(size);
      },
    );
    if (this.#buffered > this.high) this.pause();
  }

  #written(size: number): void {
    this.#buffered -= size;
    if (this.#buffered <= this.low) this.resume();
  }

  writeEof(): void {
    if (this.eof) return;
    this.eof = true;
    this.#sink.close().catch(() => {}); // `closed` reports the outcome
  }

  abort(): void {
    this.closing = true;
    this.eof = true;
    this.#sink.abort().catch(() => {});
    this.lose(undefined);
  }

  getWriteBufferSize(): number {
    return this.#buffered;
  }
}
