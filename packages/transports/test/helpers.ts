/*
 * Test helpers shared by the transport tests: a recording protocol, servers that are
 * shut down when the test finishes, a capture of the loop's exception reports, and
 * small waits that never assert durations.
 */

import { Future } from '@coro/futures';
import { type ExceptionContext, getRunningLoop } from '@coro/loop';
import { onTestFinished } from 'vitest';
import type { BufferedProtocol, Protocol, Server, ServerOptions, Transport } from '../src/index.js';
import { createServer } from '../src/index.js';

/** A protocol that records every callback in `events` and every byte in `received`. */
export class Recorder implements Protocol {
  readonly events: string[] = [];
  readonly chunks: Buffer[] = [];
  transport: Transport | undefined;
  lostError: Error | undefined;
  readonly made = new Future<Transport>();
  readonly lost = new Future<Error | undefined>();
  readonly eof = new Future<void>();
  keepOpen = false;
  #waiting: { bytes: number; future: Future<void> } | undefined;

  connectionMade(transport: Transport): void {
    this.events.push('connectionMade');
    this.transport = transport;
    this.made.setResult(transport);
  }
  dataReceived(data: Uint8Array): void {
    if (this.events.at(-1) !== 'dataReceived') this.events.push('dataReceived');
    this.chunks.push(Buffer.from(data));
    const waiting = this.#waiting;
    if (waiting !== undefined && this.size() >= waiting.bytes) {
      this.#waiting = undefined;
      waiting.future.setResult(undefined);
    }
  }
  eofReceived(): boolean {
    this.events.push('eofReceived');
    this.eof.setResult(undefined);
    return this.keepOpen;
  }
  connectionLost(error?: Error): void {
    this.events.push('connectionLost');
    this.lostError = error;
    this.lost.setResult(error);
  }
  size(): number {
    return this.chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  /** Resolves once at least `bytes` bytes arrived. */
  async received(bytes: number): Promise<void> {
    if (this.size() >= bytes) return;
    const future = new Future<void>();
    this.#waiting = { bytes, future };
    await future;
  }
}

/** An echo protocol. */
export class Echo implements Protocol {
  transport: Transport | undefined;
  connectionMade(transport: Transport): void {
    this.transport = transport;
  }
  dataReceived(data: Uint8Array): void {
    this.transport?.write(data);
  }
}

/** The port of a TCP server listening on one address. */
export function portOf(server: Server): number {
  const [address] = server.addresses();
  if (typeof address !== 'object') throw new Error('not a TCP server');
  return address.port;
}

/** An echo server on 127.0.0.1 and a port picked by the OS, shut down after the test. */
export async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = await serve(() => new Echo());
  return { server, port: portOf(server) };
}

/** A server on `host`, port 0, shut down (its clients aborted) when the test finishes. */
export async function serve(
  factory: () => Protocol | BufferedProtocol,
  options?: ServerOptions,
  host: string | string[] = '127.0.0.1',
): Promise<Server> {
  const server = await createServer(factory, host, 0, options);
  onTestFinished(() => shutDown(server));
  return server;
}

/**
 * {@link serve}, keeping each protocol `make()` returns in `accepted` (newest last), so
 * that a test can act on the server side.
 */
export async function keepingServer<P extends Protocol | BufferedProtocol>(
  make: () => P,
  options?: ServerOptions,
  host: string | string[] = '127.0.0.1',
): Promise<{ server: Server; port: number; accepted: P[] }> {
  const accepted: P[] = [];
  const server = await serve(
    () => {
      const protocol = make();
      accepted.push(protocol);
      return protocol;
    },
    options,
    host,
  );
  return { server, port: portOf(server), accepted };
}

/** {@link keepingServer} of Recorders. */
export function recordingServer(
  options?: ServerOptions,
  host?: string | string[],
): Promise<{ server: Server; port: number; accepted: Recorder[] }> {
  return keepingServer(() => new Recorder(), options, host);
}

/** The reports of the running loop's exception handler until the test finishes. */
export function captureExceptions(): ExceptionContext[] {
  const loop = getRunningLoop();
  const previous = loop.getExceptionHandler();
  const contexts: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => contexts.push(context));
  onTestFinished(() => loop.setExceptionHandler(previous));
  return contexts;
}

/** Closes `server`, aborts its clients and waits until it is fully closed. */
export async function shutDown(server: Server): Promise<void> {
  server.close();
  server.abortClients();
  await server.waitClosed();
}

/** Futures that resolve once their condition holds, checked whenever `check()` is called. */
export class Conditions {
  #waiters: { ready: () => boolean; future: Future<void> }[] = [];

  /** A future that resolves once `ready()` holds: now, or at a later `check()`. */
  until(ready: () => boolean): Future<void> {
    const future = new Future<void>();
    if (ready()) future.setResult(undefined);
    else this.#waiters.push({ ready, future });
    return future;
  }

  /** Resolves (and forgets) the futures whose condition holds now. */
  check(): void {
    this.#waiters = this.#waiters.filter(({ ready, future }) => {
      if (!ready()) return true;
      future.setResult(undefined);
      return false;
    });
  }
}

/** Runs `callback` after `hops` more loop callbacks (callSoon chains). */
export function cancelLater(hops: number, callback: () => void): void {
  const loop = getRunningLoop();
  const step = (left: number): void => {
    if (left === 0) callback();
    else loop.callSoon(step, left - 1);
  };
  loop.callSoon(step, hops);
}

export { until } from '@coro/test-support';
