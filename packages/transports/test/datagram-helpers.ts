/*
 * A DatagramProtocol that records what it hears, for the datagram tests.
 */
import { Future } from '@coro/futures';
import type { DatagramProtocol, DatagramTransport, SocketAddress } from '../src/index.js';
import { Conditions } from './helpers.js';

export interface Received {
  text: string;
  from: SocketAddress;
}

export class Recorder implements DatagramProtocol {
  transport: DatagramTransport | undefined;
  readonly trace: string[] = [];
  readonly received: Received[] = [];
  readonly errors: Error[] = [];
  readonly lost = new Future<Error | undefined>();
  readonly #conditions = new Conditions();

  connectionMade(transport: DatagramTransport): void {
    this.transport = transport;
    this.#note('connectionMade');
  }

  datagramReceived(data: Uint8Array, from: SocketAddress): void {
    this.received.push({ text: Buffer.from(data).toString(), from });
    this.#note(`datagram ${Buffer.from(data).toString()}`);
  }

  errorReceived(error: Error): void {
    this.errors.push(error);
    this.#note(`error ${(error as NodeJS.ErrnoException).code ?? error.message}`);
  }

  pauseWriting(): void {
    this.#note('pauseWriting');
  }

  resumeWriting(): void {
    this.#note('resumeWriting');
  }

  connectionLost(error?: Error): void {
    this.#note('connectionLost');
    this.lost.setResult(error);
  }

  /** Resolves once `ready()` holds (checked after every event). */
  until(ready: () => boolean): Future<void> {
    return this.#conditions.until(ready);
  }

  /** Resolves once `count` datagrams have arrived. */
  datagrams(count: number): Future<void> {
    return this.until(() => this.received.length >= count);
  }

  #note(event: string): void {
    this.trace.push(event);
    this.#conditions.check();
  }
}

/** The port of a transport's local address. */
export function portOf(transport: DatagramTransport): number {
  return (transport.getExtraInfo('sockname') as SocketAddress).port;
}
