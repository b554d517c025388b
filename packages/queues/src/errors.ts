import { recognizeAcrossCopies } from '@coro/loop';

/**
 * Thrown by `getNowait()` on an empty queue (asyncio's `QueueEmpty`).
 *
 * @example
 * ```ts
 * import { Queue, QueueEmpty } from '@coro/queues';
 *
 * // Drain what is there without waiting: QueueEmpty says there is nothing more
 * const inbox = new Queue<string>();
 * inbox.putNowait('hello');
 * try {
 *   for (;;) console.log(inbox.getNowait()); // prints: hello
 * } catch (error) {
 *   if (!(error instanceof QueueEmpty)) throw error;
 * }
 * ```
 */
export class QueueEmpty extends Error {
  static {
    this.prototype.name = 'QueueEmpty';
    recognizeAcrossCopies(this, 'QueueEmpty');
  }
  constructor(message = 'the queue is empty') {
    super(message);
  }
}

/**
 * Thrown by `putNowait()` on a full queue (asyncio's `QueueFull`).
 *
 * @example
 * ```ts
 * import { Queue, QueueFull } from '@coro/queues';
 *
 * const queue = new Queue<number>({ maxsize: 1 });
 * queue.putNowait(1);
 * try { queue.putNowait(2); } catch (error) { console.log(error instanceof QueueFull); } // true
 * ```
 */
export class QueueFull extends Error {
  static {
    this.prototype.name = 'QueueFull';
    recognizeAcrossCopies(this, 'QueueFull');
  }
  constructor(message = 'the queue is full') {
    super(message);
  }
}

/**
 * Thrown by `put()`/`putNowait()` after `shutdown()`, and by `get()`/`getNowait()`
 * once a shut-down queue is empty (Python 3.13's `QueueShutDown`).
 *
 * @example
 * ```ts
 * import { Queue, QueueShutDown } from '@coro/queues';
 *
 * const queue = new Queue<number>();
 * queue.shutdown();
 * try { queue.putNowait(1); } catch (error) { console.log(error instanceof QueueShutDown); } // true
 * ```
 */
export class QueueShutDown extends Error {
  static {
    this.prototype.name = 'QueueShutDown';
    recognizeAcrossCopies(this, 'QueueShutDown');
  }
  constructor(message = 'the queue is shut down') {
    super(message);
  }
}
