import { PassThrough, Readable, Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { createTask, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import { StreamReader, StreamWriter } from '../src/index.js';
import { eventually } from './helpers.js';

describe('StreamReader.fromNode', () => {
  it('reads the chunks of a Node Readable as bytes, lines and EOF', async () => {
    const reader = StreamReader.fromNode(
      Readable.from(['first line\nsec', Buffer.from('ond\nrest')]),
    );
    const lines: string[] = [];
    for await (const line of reader) lines.push(String(line));
    expect(lines).toEqual(['first line\n', 'second\n', 'rest']);
    expect(reader.atEof()).toBe(true);
  });

  it('turns an error of the source into the reader exception', async () => {
    const source = new PassThrough();
    const reader = StreamReader.fromNode(source);
    source.write('partial');
    source.destroy(new Error('disk on fire'));
    await expect(reader.readExactly(100)).rejects.toThrow('disk on fire');
  });

  it('pauses the source while the reader holds more than 2 x limit bytes', async () => {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 1_024,
      read() {
        produced += 1_024;
        this.push(Buffer.alloc(1_024, 120));
      },
    });
    const reader = StreamReader.fromNode(source, { limit: 4_096 });
    await eventually(() => reader.bufferedSize > 8_192, 'the reader to fill');
    await sleep(50);
    const held = produced;
    await sleep(50);
    expect(produced).toBe(held); // the source stopped being read
    expect(produced).toBeLessThan(64 * 1_024);
    expect((await reader.readExactly(20_000)).length).toBe(20_000); // and resumes
    expect(produced).toBeGreaterThan(held);
    source.destroy();
  });

  it('rejects what is not a Node Readable', () => {
    expect(() => StreamReader.fromNode({} as never)).toThrow(TypeError);
  });
});

describe('StreamReader.fromWeb', () => {
  it('reads a Web ReadableStream', async () => {
    const reader = StreamReader.fromWeb(new Blob(['name: coro\nkind: library\n']).stream());
    expect(String(await reader.readUntil(': '))).toBe('name: ');
    expect(String(await reader.readLine())).toBe('coro\n');
    expect(String(await reader.read())).toBe('kind: library\n');
  });

  it('stops pulling while the reader is full, and goes on when it is read', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++;
          controller.enqueue(new Uint8Array(1_000));
        },
      },
      { highWaterMark: 1 },
    );
    const reader = StreamReader.fromWeb(stream, { limit: 1_000 });
    await eventually(() => reader.bufferedSize > 2_000, 'the reader to fill');
    await sleep(50);
    const held = pulls;
    await sleep(50);
    expect(pulls).toBe(held);
    expect(pulls).toBeLessThan(10);
    await reader.readExactly(5_000);
    expect(pulls).toBeGreaterThan(held);
  });

  it('turns a stream error into the reader exception', async () => {
    const stream = new ReadableStream({
      start(controller) {
        controller.error(new Error('fetch aborted'));
      },
    });
    await expect(StreamReader.fromWeb(stream).read()).rejects.toThrow('fetch aborted');
  });
});

describe('StreamWriter.fromNode', () => {
  it('writes to a Node Writable, and waitClosed returns once it finished', async () => {
    const sink = new PassThrough();
    const writer = StreamWriter.fromNode(sink);
    writer.write('abc');
    writer.writeLines(['d', Buffer.from('e')]);
    writer.close();
    await writer.waitClosed();
    // Everything the sink holds (Node 26's read() hands it out one chunk at a time).
    expect(await text(sink)).toBe('abcde');
    expect(() => writer.write('late')).toThrow();
  });

  it('waits in drain while the Writable is above its highWaterMark', async () => {
    const received: Buffer[] = [];
    let release: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 100,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        release = callback;
      },
    });
    const writer = StreamWriter.fromNode(slow);
    writer.write(Buffer.alloc(200));
    const drain = createTask(() => writer.drain());
    await sleep(30);
    expect(drain.done()).toBe(false);
    expect(writer.transport.getWriteBufferSize()).toBe(200);
    release?.();
    await drain;
    expect(received.length).toBe(1);
  });

  it('reports the error of a failing Writable from waitClosed', async () => {
    const failing = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE-like'));
      },
    });
    const writer = StreamWriter.fromNode(failing);
    writer.write('x');
    await expect(writer.waitClosed()).rejects.toThrow('EPIPE-like');
    await expect(writer.drain()).rejects.toThrow();
  });
});

describe('StreamWriter.fromWeb', () => {
  it('writes to a Web WritableStream with backpressure', async () => {
    const chunks: string[] = [];
    let release: (() => void) | undefined;
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        chunks.push(String(Buffer.from(chunk)));
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const writer = StreamWriter.fromWeb(stream);
    writer.transport.setWriteBufferLimits({ high: 10, low: 0 });
    writer.write('0123456789abc');
    const drain = createTask(() => writer.drain());
    await sleep(30);
    expect(drain.done()).toBe(false);
    release?.();
    await drain;
    writer.close();
    await writer.waitClosed();
    expect(chunks).toEqual(['0123456789abc']);
  });
});

describe('StreamWriter.toWeb', () => {
  it('lets a Web stream pipe into a writer, honouring drain', async () => {
    const sink = new PassThrough({ highWaterMark: 16 });
    const writer = StreamWriter.fromNode(sink);
    const received: Buffer[] = [];
    sink.on('data', (chunk: Buffer) => received.push(chunk));
    await new Blob(['piped ', 'from a Blob']).stream().pipeTo(writer.toWeb());
    await writer.waitClosed();
    expect(String(Buffer.concat(received))).toBe('piped from a Blob');
  });

  it('pipes a reader into a writer through Web streams', async () => {
    const source = StreamReader.fromNode(Readable.from(['one\n', 'two\n', 'three\n']));
    const sink = new PassThrough();
    const writer = StreamWriter.fromNode(sink);
    await source.toWeb().pipeTo(writer.toWeb());
    await writer.waitClosed();
    // Every chunk the sink holds (Node 26's read() returns one chunk at a time).
    const chunks: Buffer[] = [];
    for (let chunk = sink.read(); chunk !== null; chunk = sink.read()) chunks.push(chunk);
    expect(String(Buffer.concat(chunks))).toBe('one\ntwo\nthree\n');
  });
});

describe('StreamReader.fromNode with an object-mode source', () => {
  it('fails the reader with a TypeError on a chunk that is not bytes', async () => {
    const reader = StreamReader.fromNode(Readable.from([{ not: 'bytes' }]));
    await expect(reader.read()).rejects.toThrow(TypeError);
  });
});
