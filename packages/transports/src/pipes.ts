/*
 * connectReadPipe / connectWritePipe: asyncio's loop.connect_read_pipe and
 * loop.connect_write_pipe: a protocol over one direction of a pipe.
 *
 * A pipe is a Node stream (a net.Socket such as a child's stdio pipe,
 * process.stdin/stdout, an fs stream) or a file descriptor. A descriptor of a FIFO
 * or a socket becomes a net.Socket (libuv reads it without blocking a thread); a
 * terminal a tty stream; another character device (/dev/null) an fs stream. A
 * regular file or a directory is refused with a RangeError, as asyncio does ("pipe
 * transport is for pipes, sockets and character devices only").
 *
 * The transport is a SocketTransport in one direction (its header says how that
 * behaves): the read side hears eofReceived and then connectionLost; the write side
 * has flow control (pauseWriting/resumeWriting) and writeEof() (= close()).
 *
 * Tested by test/pipes.test.ts.
 */

import { createReadStream, createWriteStream, fstatSync } from 'node:fs';
import * as net from 'node:net';
import type { Readable, Writable } from 'node:stream';
import * as tty from 'node:tty';
import { describeValue, getRunningLoop } from '@coro/loop';
import { readOptions, requireFactory } from './arguments.js';
import { adoptSocket, type LoopOptions } from './create-connection.js';
import type { BaseProtocol } from './protocols.js';
import type { StreamProtocol } from './socket-transport.js';
import type { ReadTransport, Transport, WriteTransport } from './transport.js';

/**
 * Reads from `pipe` (a Node Readable or a file descriptor) into a protocol made by
 * `protocolFactory`, and resolves to `[transport, protocol]` once its
 * `connectionMade` ran. At the end of the pipe the protocol hears `eofReceived()`
 * and then `connectionLost()`. Closing the transport closes the pipe.
 *
 * @throws TypeError if `pipe` is neither a readable stream nor a descriptor;
 *   RangeError for a descriptor of a regular file or a directory.
 * @example
 * ```ts
 * import { Readable } from 'node:stream';
 * import { connectReadPipe } from '@coro/transports';
 *
 * const source = Readable.from([Buffer.from('line one\n'), Buffer.from('line two\n')]);
 * await new Promise<void>((resolve) => {
 *   void connectReadPipe(() => ({
 *     dataReceived: (data: Uint8Array) => process.stdout.write(data),
 *     connectionLost: () => resolve(),
 *   }), source);
 * });
 * // prints: line one
 * // prints: line two
 * ```
 */
export async function connectReadPipe<P extends StreamProtocol>(
  protocolFactory: () => P,
  pipe: Readable | number,
  options?: LoopOptions,
): Promise<[ReadTransport<P>, P]> {
  return adoptPipe(protocolFactory, pipe, options, 'read');
}

/**
 * Writes to `pipe` (a Node Writable or a file descriptor) through a transport with
 * flow control, and resolves to `[transport, protocol]` once the protocol's
 * `connectionMade` ran. The protocol hears `pauseWriting`/`resumeWriting` as the
 * buffer crosses its water marks, and `connectionLost` when the pipe closes or
 * breaks (EPIPE).
 *
 * @throws TypeError if `pipe` is neither a writable stream nor a descriptor;
 *   RangeError for a descriptor of a regular file or a directory.
 * @example
 * ```ts
 * import { Writable } from 'node:stream';
 * import { connectWritePipe } from '@coro/transports';
 *
 * const sink = new Writable({
 *   write(chunk, _encoding, callback) { console.log(String(chunk)); callback(); },
 * });
 * const [transport] = await connectWritePipe(() => ({}), sink);
 * transport.write('to the pipe'); // prints: to the pipe
 * transport.close();
 * ```
 */
export async function connectWritePipe<P extends BaseProtocol<never>>(
  protocolFactory: () => P,
  pipe: Writable | number,
  options?: LoopOptions,
): Promise<[WriteTransport<P>, P]> {
  return adoptPipe(protocolFactory, pipe, options, 'write');
}

/** Both functions: validate, open the descriptor if given one, adopt one direction. */
async function adoptPipe<P extends BaseProtocol<never>>(
  protocolFactory: () => P,
  pipe: Readable | Writable | number,
  options: LoopOptions | undefined,
  direction: 'read' | 'write',
): Promise<[Transport<P>, P]> {
  requireFactory(protocolFactory);
  const { signal, loop } = readOptions(options);
  signal?.throwIfAborted();
  const stream =
    typeof pipe === 'number' ? streamOfDescriptor(pipe, direction) : requireStream(pipe, direction);
  return adoptSocket({ socket: stream, release: () => {} }, protocolFactory, {
    loop: loop ?? getRunningLoop(),
    signal,
    extra: { pipe },
    sslShutdownTimeout: undefined,
    readable: direction === 'read',
    writable: direction === 'write',
  });
}

function requireStream<S extends Readable | Writable>(
  pipe: unknown,
  direction: 'read' | 'write',
): S {
  const ok =
    typeof pipe === 'object' &&
    pipe !== null &&
    typeof (pipe as { on?: unknown }).on === 'function' &&
    typeof (pipe as Record<string, unknown>)[direction === 'read' ? 'pause' : 'write'] ===
      'function';
  if (!ok) {
    const kind = direction === 'read' ? 'a readable stream' : 'a writable stream';
    throw new TypeError(`pipe must be ${kind} or a file descriptor; got ${describeValue(pipe)}`);
  }
  return pipe as S;
}

function streamOfDescriptor(fd: number, direction: 'read' | 'write'): Readable | Writable {
  if (!Number.isInteger(fd) || fd < 0) {
    throw new RangeError(`pipe must be a file descriptor (an integer >= 0); got ${fd}`);
  }
  const stats = fstatSync(fd);
  const reading = direction === 'read';
  if (stats.isFIFO() || stats.isSocket()) {
    return new net.Socket({ fd, readable: reading, writable: !reading });
  }
  if (stats.isCharacterDevice()) {
    if (tty.isatty(fd)) return reading ? new tty.ReadStream(fd) : new tty.WriteStream(fd);
    return reading ? createReadStream('', { fd }) : createWriteStream('', { fd });
  }
  throw new RangeError(
    `pipe must be a pipe, socket or character device; file descriptor ${fd} is ${stats.isDirectory() ? 'a directory' : 'a regular file'}`,
  );
}
