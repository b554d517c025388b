/*
 * ChunkBuffer (internal): the bytes a StreamReader holds, as a list of chunks that
 * are joined only when a read needs bytes from more than one of them.
 *
 * Invariants
 *   1. `chunks` holds Buffers in arrival order; the first `offset` bytes of the first
 *      chunk are already consumed; `length` is the number of unconsumed bytes. No
 *      chunk is empty, and `offset` is less than the first chunk's length.
 *   2. A chunk handed in by push() is kept by reference, never copied: a socket's
 *      64 KiB reads travel from the transport to the reader's caller without a copy
 *      when a read takes them whole (take() returns a view). Callers must not change
 *      a chunk after pushing it (a transport hands over fresh Buffers).
 *   3. Small chunks that arrive while others are waiting are copied into `tail`, a
 *      buffer this class owns, so a trickle of one-byte reads (a slowloris peer, a
 *      terminal) cannot grow the list to one entry per byte and make every scan
 *      O(bytes). Bytes of `tail` are written once and never overwritten, so views
 *      that take() returned stay valid; a full tail is replaced, not reused.
 *   4. indexOf() finds a separator that straddles chunk boundaries: each chunk is
 *      searched with Buffer.indexOf, then the few starts near its end are checked
 *      byte by byte against the following chunks.
 *
 * Tested through test/stream-reader.test.ts and test/stream-reader.property.test.ts
 * (random fragmentation must never change what a read returns).
 */

// The module's binding: Node's global `Buffer` is a getter, called on every use.
import { Buffer } from 'node:buffer';
import { Deque } from '@coro/loop';

/** Chunks shorter than this are copied into the tail when others are buffered (invariant 3). */
const SMALL_CHUNK = 1024;
/** Capacity of a fresh tail. */
const TAIL_CAPACITY = 16_384;

/** @internal A zero-length Buffer, shared by every empty result. */
export const EMPTY: Buffer = Buffer.alloc(0);

/** @internal */
export class ChunkBuffer {
  readonly #chunks = new Deque<Buffer>();
  #offset = 0;
  #length = 0;
  /** The owned buffer small chunks are copied into, when it is the last chunk's storage. */
  #tail: Buffer | null = null;
  #tailUsed = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    const size = chunk.length;
    if (size === 0) return;
    this.#length += size;
    if (size < SMALL_CHUNK && this.#chunks.length > 0) {
      this.#appendSmall(chunk);
      return;
    }
    this.#tail = null;
    this.#chunks.push(chunk);
  }

  #appendSmall(chunk: Buffer): void {
    let tail = this.#tail;
    if (tail !== null && this.#tailUsed + chunk.length <= tail.length) {
      // The tail is the storage of the last chunk: grow that chunk's view.
      chunk.copy(tail, this.#tailUsed);
      this.#tailUsed += chunk.length;
      this.#chunks.pop();
      this.#chunks.push(tail.subarray(0, this.#tailUsed));
      return;
    }
    tail = Buffer.allocUnsafeSlow(TAIL_CAPACITY);
    chunk.copy(tail, 0);
    this.#tail = tail;
    this.#tailUsed = chunk.length;
    this.#chunks.push(tail.subarray(0, this.#tailUsed));
  }

  /**
   * The position (from the first unconsumed byte) of the first occurrence of
   * `separator` that starts at or after `from`, or -1.
   */
  indexOf(separator: Buffer, from: number): number {
    const chunks = this.#chunks;
    const count = chunks.length;
    const separatorLength = separator.length;
    // `base` is the buffer position of chunk i's byte 0 (negative for the first
    // chunk when part of it is consumed).
    let base = -this.#offset;
    for (let i = 0; i < count; i++) {
      const chunk = chunks.at(i) as Buffer;
      const end = base + chunk.length;
      if (end > from) {
        const start = Math.max(from - base, i === 0 ? this.#offset : 0);
        const found = chunk.indexOf(separator, start);
        if (found !== -1) return base + found;
        if (separatorLength > 1 && i + 1 < count) {
          // Starts in the last separatorLength - 1 bytes may straddle (invariant 4).
          const firstStart = Math.max(start, chunk.length - separatorLength + 1);
          for (let local = firstStart; local < chunk.length; local++) {
            if (this.#matchesAcross(separator, i, local)) return base + local;
          }
        }
      }
      base = end;
    }
    return -1;
  }

  /** Whether `separator` occurs at chunk `index`, byte `local`, running into later chunks. */
  #matchesAcross(separator: Buffer, index: number, local: number): boolean {
    const chunks = this.#chunks;
    let chunk = chunks.at(index) as Buffer;
    let position = local;
    for (let k = 0; k < separator.length; k++) {
      while (position >= chunk.length) {
        index++;
        if (index >= chunks.length) return false;
        chunk = chunks.at(index) as Buffer;
        position = 0;
      }
      if (chunk[position] !== separator[k]) return false;
      position++;
    }
    return true;
  }

  /** Whether the buffered bytes at `position` begin with `bytes` (all of them buffered). */
  startsWith(bytes: Buffer, position: number): boolean {
    if (position + bytes.length > this.#length) return false;
    let index = 0;
    let local = position + this.#offset;
    let chunk = this.#chunks.at(0) as Buffer;
    while (local >= chunk.length) {
      local -= chunk.length;
      chunk = this.#chunks.at(++index) as Buffer;
    }
    return this.#matchesAcross(bytes, index, local);
  }

  /** Removes and returns the first `count` bytes (`count <= length`): a view when one chunk holds them. */
  take(count: number): Buffer {
    if (count === 0) return EMPTY;
    const chunks = this.#chunks;
    const first = chunks.peekFront() as Buffer;
    const available = first.length - this.#offset;
    if (count <= available) {
      const start = this.#offset;
      let result: Buffer;
      if (count === available) {
        result = start === 0 ? first : first.subarray(start);
        this.#dropFront();
      } else {
        result = first.subarray(start, start + count);
        this.#offset = start + count;
      }
      this.#length -= count;
      return result;
    }
    const result = Buffer.allocUnsafe(count);
    let written = 0;
    while (written < count) {
      const chunk = chunks.peekFront() as Buffer;
      const start = this.#offset;
      const piece = Math.min(chunk.length - start, count - written);
      chunk.copy(result, written, start, start + piece);
      written += piece;
      if (start + piece === chunk.length) this.#dropFront();
      else this.#offset = start + piece;
    }
    this.#length -= count;
    return result;
  }

  /**
   * Puts `chunk` back in front of the buffered bytes: bytes a read took and could not
   * deliver (its task was cancelled before it resumed).
   */
  unshift(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const chunks = this.#chunks;
    if (this.#offset > 0) {
      // The consumed part of the first chunk must not come back with it (invariant 1).
      const first = chunks.shift() as Buffer;
      // A tail view no longer starts at the tail's byte 0: small chunks get a new tail.
      if (chunks.length === 0) this.#tail = null;
      chunks.unshift(first.subarray(this.#offset));
      this.#offset = 0;
    }
    chunks.unshift(chunk);
    this.#length += chunk.length;
  }

  /** Drops the first `count` bytes (`count <= length`). */
  skip(count: number): void {
    let left = count;
    while (left > 0) {
      const chunk = this.#chunks.peekFront() as Buffer;
      const available = chunk.length - this.#offset;
      if (left < available) {
        this.#offset += left;
        break;
      }
      left -= available;
      this.#dropFront();
    }
    this.#length -= count;
  }

  clear(): void {
    this.#chunks.clear();
    this.#offset = 0;
    this.#length = 0;
    this.#tail = null;
  }

  #dropFront(): void {
    this.#chunks.shift();
    this.#offset = 0;
    if (this.#chunks.length === 0) this.#tail = null; // the tail was (part of) that chunk
  }
}
