import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { InvalidStateError, sleep } from '@coro/futures';
import { afterAll, describe, expect, it } from 'vitest';
import { connectReadPipe, connectWritePipe, type Protocol } from '../src/index.js';
import { Recorder, until } from './helpers.js';

const directory = mkdtempSync(join(tmpdir(), 'coro-pipes-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('connectReadPipe', () => {
  it('delivers a stream, then eofReceived and connectionLost', async () => {
    const source = Readable.from([Buffer.from('one '), Buffer.from('two')]);

    const [transport, protocol] = await connectReadPipe(() => new Recorder(), source);
    await protocol.lost;

    expect(protocol.text()).toBe('one two');
    expect(protocol.events).toEqual([
      'connectionMade',
      'dataReceived',
      'eofReceived',
      'connectionLost',
    ]);
    expect(transport.getExtraInfo('pipe')).toBe(source);
    expect(() => (transport as unknown as { write(data: string): void }).write('x')).toThrow(
      InvalidStateError,
    );
  });

  it('pauses and resumes reading', async () => {
    let pushed = 0;
    const source = new Readable({
      read() {
        pushed++;
        this.push(pushed <= 100 ? Buffer.alloc(1024) : null);
      },
    });
    const [transport, protocol] = await connectReadPipe(() => new Recorder(), source);
    transport.pauseReading();
    const seen = protocol.size();
    await sleep(50); // the loop and Node's stream machinery get many turns

    expect(protocol.size()).toBe(seen); // nothing delivered while paused
    expect(transport.isReading()).toBe(false);
    transport.resumeReading();
    await protocol.lost;
    expect(protocol.size()).toBe(100 * 1024);
  });

  it('reads a child process stdout pipe', async () => {
    const child = spawn(process.execPath, ['-e', 'process.stdout.write("from the child")'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });

    const [, protocol] = await connectReadPipe(() => new Recorder(), child.stdout);
    await protocol.lost;

    expect(protocol.text()).toBe('from the child');
  });

  it('refuses a regular file descriptor, as asyncio does', async () => {
    const path = join(directory, 'regular');
    const fd = openSync(path, 'w');
    try {
      await expect(connectReadPipe(() => new Recorder(), fd)).rejects.toThrow(
        /pipe must be a pipe, socket or character device; file descriptor \d+ is a regular file/,
      );
    } finally {
      closeSync(fd);
    }
    await expect(connectReadPipe(() => new Recorder(), 'x' as never)).rejects.toBeInstanceOf(
      TypeError,
    );
  });
});

describe('connectWritePipe', () => {
  it('writes through a child process (cat) and closes with EOF', async () => {
    const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
    const [, reader] = await connectReadPipe(() => new Recorder(), child.stdout);

    const [writer, writeProtocol] = await connectWritePipe(() => new Recorder(), child.stdin);
    writer.write('through cat');
    writer.writeLines([' and ', Buffer.from('back')]);
    writer.close();

    await reader.lost;
    expect(reader.text()).toBe('through cat and back');
    expect(await writeProtocol.lost).toBeUndefined();
    expect(() => writer.write('late')).toThrow(
      new InvalidStateError('write() called on a closed transport'),
    );
  });

  it('has flow control: pauseWriting above the high-water mark, resumeWriting once drained', async () => {
    const release: (() => void)[] = [];
    const slowSink = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        release.push(callback); // completes only when the test says so
      },
    });
    const trace: string[] = [];
    const protocol: Protocol = {
      pauseWriting: () => trace.push('pause'),
      resumeWriting: () => trace.push('resume'),
    };
    const [transport] = await connectWritePipe(() => protocol, slowSink);
    transport.setWriteBufferLimits({ high: 4096, low: 1024 });

    for (let i = 0; i < 8; i++) transport.write(Buffer.alloc(1024));
    expect(trace).toEqual(['pause']);
    expect(transport.getWriteBufferSize()).toBe(8 * 1024);

    while (transport.getWriteBufferSize() > 0) {
      release.shift()?.();
      await until(
        () => release.length > 0 || transport.getWriteBufferSize() === 0,
        'the next write',
      );
    }
    expect(trace).toEqual(['pause', 'resume']);
    transport.abort();
  });

  it('opens FIFOs given as file descriptors', async () => {
    const path = join(directory, 'fifo');
    execFileSync('mkfifo', [path]);
    const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const writeFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);

    const [, reader] = await connectReadPipe(() => new Recorder(), readFd);
    const [writer] = await connectWritePipe(() => ({}), writeFd);
    writer.write('via a fifo');
    writer.close();

    await reader.lost;
    expect(reader.text()).toBe('via a fifo');
  });
});
