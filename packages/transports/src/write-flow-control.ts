/*
 * WriteFlowControl: the write half of flow control, written once for the stream and
 * datagram transports (uvloop's UVBaseTransport shares it the same way) (internal).
 * A transport owns one, tells it the buffer size after each write and drain, and
 * the flow control tells the protocol.
 *
 * Invariants
 *   1. pauseWriting() and resumeWriting() strictly alternate: `paused` flips at the
 *      moment the protocol is told (or, for a resume the transport suppresses
 *      because it is closing, at the moment it would have been told).
 *   2. pauseWriting() is called when a write or new limits leave more than `high`
 *      bytes buffered; the transport asks for resumeWriting() once the buffer
 *      drained to `low` or below (`canResume`).
 *   3. An exception of either callback is reported to the loop's exception handler
 *      ({ message, exception, transport, protocol }) and goes no further: it does
 *      not close the transport (asyncio's _maybe_pause_protocol and
 *      _maybe_resume_protocol do the same).
 *   4. The water marks follow asyncio's rule, checked in write-buffer-limits.ts.
 *
 * Tested by test/flow-control.test.ts and test/datagram.test.ts.
 */

import type { Loop } from '@coro/loop';
import type { BaseProtocol } from './protocols.js';
import type { BaseTransport, WriteBufferLimits } from './transport.js';
import { resolveWriteBufferLimits } from './write-buffer-limits.js';

/** @internal The write-side flow control of one transport (module header). */
export class WriteFlowControl {
  readonly #loop: Loop;
  readonly #transport: BaseTransport<BaseProtocol<never>>;
  #high: number;
  #low: number;
  #paused: boolean;

  constructor(
    loop: Loop,
    transport: BaseTransport<BaseProtocol<never>>,
    limits: WriteBufferLimits | undefined,
  ) {
    this.#loop = loop;
    this.#transport = transport;
    const { high, low } = resolveWriteBufferLimits(limits);
    this.#high = high;
    this.#low = low;
    this.#paused = false;
  }

  /** Whether pauseWriting() was called and resumeWriting() not yet. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Whether the protocol is paused and `size` buffered bytes are at the low-water mark or below. */
  canResume(size: number): boolean {
    return this.#paused && size <= this.#low;
  }

  /** The current water marks. */
  limits(): { high: number; low: number } {
    return { high: this.#high, low: this.#low };
  }

  /** New water marks (validated); pauses at once if `size` is above the new high one. */
  setLimits(limits: WriteBufferLimits | undefined, size: number): void {
    const { high, low } = resolveWriteBufferLimits(limits);
    this.#high = high;
    this.#low = low;
    this.maybePause(size);
  }

  /** After a write: calls pauseWriting() if `size` went above the high-water mark. */
  /**
   * Whether a write of `bytes` into a buffer holding `size` bytes must carry the
   * callback that checks canResume() when Node completes it. Not when the buffer is
   * empty, writing is not paused, and the write is at most `low` and at most
   * `high - low` bytes: then this write alone cannot pause the protocol, every later
   * write (made while it is buffered) carries the callback, and once it completes the
   * bytes behind it exceed `high - (high - low) = low` if the protocol is paused, so
   * its completion could not have resumed it.
   */
  needsWriteCallback(size: number, bytes: number): boolean {
    return size > 0 || this.#paused || bytes > this.#low || bytes > this.#high - this.#low;
  }

  maybePause(size: number): void {
    if (this.#paused || size <= this.#high) return;
    this.#paused = true;
    this.#call('pauseWriting');
  }

  /** The buffer drained: resumeWriting(), unless `tell` is false (the transport is closing). */
  resume(tell: boolean): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (tell) this.#call('resumeWriting');
  }

  #call(callbackName: 'pauseWriting' | 'resumeWriting'): void {
    const protocol = this.#transport.getProtocol();
    try {
      protocol[callbackName]?.();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: `protocol.${callbackName}() failed`,
        exception,
        transport: this.#transport,
        protocol,
      });
    }
  }
}
