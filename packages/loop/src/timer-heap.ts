/*
 * TimerHeap: pending TimerHandles in a binary min-heap ordered by (when, sequence).
 *
 * Invariants
 *   1. heap[i] precedes heap[2i+1] and heap[2i+2] in (when, sequence) order.
 *   2. Cancelled handles stay in the heap until they surface at the top (popped
 *      and dropped) or until they outnumber live ones, when the heap is rebuilt
 *      without them in O(n). So cancel is O(1) and memory stays O(live timers):
 *      a million set-and-cancel timers never hold a million handles.
 *
 * Tested by test/timer-heap.property.test.ts.
 */

import type { TimerHandle } from './handle.js';

/** Rebuild only past this many cancelled timers, so small heaps never churn. */
const MIN_CANCELLED_TO_PURGE = 64;

function precedes(a: TimerHandle, b: TimerHandle): boolean {
  return a.whenMs < b.whenMs || (a.whenMs === b.whenMs && a.sequence < b.sequence);
}

/** @internal A min-heap of timers; the loops' private timer store. */
export class TimerHeap {
  #heap: TimerHandle[] = [];
  #cancelled = 0;

  /** Live and not-yet-dropped cancelled timers. */
  get size(): number {
    return this.#heap.length;
  }

  /** Timers that were not cancelled. */
  get liveCount(): number {
    return this.#heap.length - this.#cancelled;
  }

  push(handle: TimerHandle): void {
    const heap = this.#heap;
    heap.push(handle);
    this.#siftUp(heap.length - 1);
  }

  /** The earliest live timer, dropping cancelled ones that surfaced. */
  peek(): TimerHandle | undefined {
    const heap = this.#heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (!top.cancelled()) return top;
      this.#popTop();
      this.#cancelled--;
    }
    return undefined;
  }

  /** Removes and returns the earliest live timer. */
  pop(): TimerHandle | undefined {
    const top = this.peek();
    if (top !== undefined) this.#popTop();
    return top;
  }

  /** Called when a timer still in the heap is cancelled. */
  noteCancelled(): void {
    this.#cancelled++;
    if (this.#cancelled > MIN_CANCELLED_TO_PURGE && this.#cancelled * 2 > this.#heap.length)
      this.#purge();
  }

  clear(): void {
    for (const handle of this.#heap) handle.scheduled = false;
    this.#heap = [];
    this.#cancelled = 0;
  }

  #popTop(): void {
    const heap = this.#heap;
    const top = heap[0]!;
    top.scheduled = false;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      this.#siftDown(0);
    }
  }

  #purge(): void {
    const live: TimerHandle[] = [];
    for (const handle of this.#heap) {
      if (handle.cancelled()) handle.scheduled = false;
      else live.push(handle);
    }
    this.#heap = live;
    this.#cancelled = 0;
    for (let i = (live.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
  }

  #siftUp(index: number): void {
    const heap = this.#heap;
    const item = heap[index]!;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      const above = heap[parent]!;
      if (!precedes(item, above)) break;
      heap[index] = above;
      index = parent;
    }
    heap[index] = item;
  }

  #siftDown(index: number): void {
    const heap = this.#heap;
    const length = heap.length;
    const item = heap[index]!;
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      const right = child + 1;
      if (right < length && precedes(heap[right]!, heap[child]!)) child = right;
      if (!precedes(heap[child]!, item)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = item;
  }
}
