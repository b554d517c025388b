/*
 * pubsub: channels and their subscribers. PUBLISH puts the encoded message into each
 * subscriber's outbox, a bounded Queue that the subscriber's connection empties onto its
 * socket. Publishing never waits: a subscriber whose outbox is full is too slow to keep
 * up, and is disconnected (redis does the same past its `client-output-buffer-limit`
 * for pub/sub clients), so one stalled subscriber cannot hold up the publishers or grow
 * the server's memory without bound. A subscriber that is closing (its outbox shut down,
 * its last messages still being written) is skipped.
 */

import { type Queue, QueueFull, QueueShutDown } from 'coro';
import { bulkArray } from './resp.js';

/** A connection that may subscribe: the channels it listens to and its outbox. */
export interface Subscriber {
  readonly channels: Set<string>;
  /** Encoded frames waiting to be written to the connection, in order. */
  readonly outbox: Queue<string>;
  /** Called when its outbox overflowed: it must disconnect. */
  tooSlow(): void;
}

export class PubSub {
  readonly #channels = new Map<string, Set<Subscriber>>();

  /** Subscribes to `channel`; returns how many channels the subscriber now has. */
  subscribe(subscriber: Subscriber, channel: string): number {
    let subscribers = this.#channels.get(channel);
    if (subscribers === undefined) {
      subscribers = new Set();
      this.#channels.set(channel, subscribers);
    }
    subscribers.add(subscriber);
    subscriber.channels.add(channel);
    return subscriber.channels.size;
  }

  /** Unsubscribes from `channel`; returns how many channels the subscriber has left. */
  unsubscribe(subscriber: Subscriber, channel: string): number {
    const subscribers = this.#channels.get(channel);
    if (subscribers?.delete(subscriber) && subscribers.size === 0) this.#channels.delete(channel);
    subscriber.channels.delete(channel);
    return subscriber.channels.size;
  }

  /** Unsubscribes from every channel (the connection is going away). */
  unsubscribeAll(subscriber: Subscriber): void {
    for (const channel of subscriber.channels) this.unsubscribe(subscriber, channel);
  }

  /** Sends `message` to `channel`'s subscribers; returns how many got it. */
  publish(channel: string, message: string): number {
    const subscribers = this.#channels.get(channel);
    if (subscribers === undefined) return 0;
    const frame = bulkArray(['message', channel, message]); // encoded once for all
    let received = 0;
    const tooSlow: Subscriber[] = [];
    for (const subscriber of subscribers) {
      try {
        subscriber.outbox.putNowait(frame); // never waits: a full outbox throws QueueFull
        received++;
      } catch (error) {
        // A subscriber whose connection is closing has shut its outbox down; it stays
        // subscribed until its last messages are written. It gets nothing more and does
        // not count: skipped, never an error for the publisher.
        if (error instanceof QueueShutDown) continue;
        if (!(error instanceof QueueFull)) throw error;
        tooSlow.push(subscriber);
      }
    }
    // After the loop: disconnecting unsubscribes, which changes the set being iterated.
    for (const subscriber of tooSlow) {
      this.unsubscribeAll(subscriber);
      subscriber.tooSlow();
    }
    return received;
  }

  /** How many subscribers `channel` has. */
  subscribers(channel: string): number {
    return this.#channels.get(channel)?.size ?? 0;
  }
}
