import { readdirSync } from 'node:fs';
import type * as net from 'node:net';
import { type Main, run, sleep } from '@coro/futures';
import { getRunningLoop, VirtualLoop } from '@coro/loop';
import type { BaseProtocol, ReadTransport, Server, Transport } from '@coro/transports';
import { onTestFinished } from 'vitest';
import { type ClientConnected, type StartServerOptions, startServer } from '../src/index.js';

/** Runs `main` as a task on a fresh VirtualLoop that jumps straight to the next timer. */
export function runVirtual<T>(main: Main<T>): Promise<T> {
  return run(main, { loop: new VirtualLoop({ autojump: true }) });
}

/** `text` as bytes. */
export function bytes(text: string): Buffer {
  return Buffer.from(text);
}

/** Closes `server` and aborts its clients when the test finishes. */
export function closeAfterTest(server: Server): void {
  onTestFinished(async () => {
    server.close();
    server.abortClients();
    await server.waitClosed();
  });
}

/** Starts a stream server on 127.0.0.1, port 0, closed when the test finishes. */
export async function serve(
  onClient: ClientConnected,
  options?: StartServerOptions,
): Promise<{ server: Server; port: number }> {
  const server = await startServer(onClient, '127.0.0.1', 0, options);
  closeAfterTest(server);
  return { server, port: (server.addresses()[0] as net.AddressInfo).port };
}

/** How many file descriptors this process has open (Linux). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Waits (real time, generously: up to 20 s) until `condition` holds. */
export async function eventually(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await sleep(10);
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** Lets every ready callback and task step run (a few loop iterations). */
export async function settle(iterations = 5): Promise<void> {
  for (let i = 0; i < iterations; i++) await sleep(0);
}

/** A ReadTransport that only records pauseReading()/resumeReading() calls. */
export class RecordingReadTransport implements ReadTransport {
  readonly calls: string[] = [];
  #reading = true;
  close(): void {}
  isClosing(): boolean {
    return false;
  }
  getExtraInfo<V>(_name: string, defaultValue?: V): V | undefined {
    return defaultValue;
  }
  getProtocol(): never {
    throw new Error('no protocol');
  }
  setProtocol(): void {}
  isReading(): boolean {
    return this.#reading;
  }
  pauseReading(): void {
    this.#reading = false;
    this.calls.push('pause');
  }
  resumeReading(): void {
    this.#reading = true;
    this.calls.push('resume');
  }
}

/**
 * A Transport that keeps what is written and lets a test play the peer: `lose()`
 * ends the connection as a socket would (connectionLost on the next iteration).
 */
export class MemoryTransport implements Transport {
  readonly written: Buffer[] = [];
  readonly calls: string[] = [];
  #closing = false;
  #eofWritten = false;
  #protocol: BaseProtocol<never> & { connectionLost?(error?: Error): void };
  readonly #extra: Record<string, unknown>;

  constructor(protocol: BaseProtocol<never>, extra: Record<string, unknown> = {}) {
    this.#protocol = protocol;
    this.#extra = extra;
  }
  get text(): string {
    return Buffer.concat(this.written).toString();
  }
  write(data: Uint8Array | string): void {
    if (this.#closing) throw new Error('write() called on a closing transport');
    if (this.#eofWritten) throw new Error('write() called after writeEof()');
    this.written.push(Buffer.from(data));
  }
  writeLines(chunks: Iterable<Uint8Array | string>): void {
    for (const chunk of chunks) this.write(chunk);
  }
  writeEof(): void {
    this.#eofWritten = true;
    this.calls.push('writeEof');
  }
  canWriteEof(): boolean {
    return true;
  }
  abort(): void {
    this.lose();
  }
  close(): void {
    if (this.#closing) return;
    this.calls.push('close');
    this.lose();
  }
  /** The connection ends (with `error`): connectionLost follows on the loop. */
  lose(error?: Error): void {
    if (this.#closing) return;
    this.#closing = true;
    getRunningLoop().callSoon(() => this.#protocol.connectionLost?.(error));
  }
  isClosing(): boolean {
    return this.#closing;
  }
  getExtraInfo<V>(name: string, defaultValue?: V): V | undefined {
    return name in this.#extra ? (this.#extra[name] as V) : defaultValue;
  }
  getProtocol(): BaseProtocol<never> {
    return this.#protocol;
  }
  setProtocol(protocol: BaseProtocol<never>): void {
    this.#protocol = protocol;
  }
  isReading(): boolean {
    return true;
  }
  pauseReading(): void {
    this.calls.push('pauseReading');
  }
  resumeReading(): void {
    this.calls.push('resumeReading');
  }
  getWriteBufferSize(): number {
    return 0;
  }
  setWriteBufferLimits(): void {}
  getWriteBufferLimits(): { high: number; low: number } {
    return { high: 65_536, low: 16_384 };
  }
}
