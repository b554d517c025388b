import { CancelledError, createTask, Future, InvalidStateError, sleep } from '@coro/futures';
import { describe, expect, it } from 'vitest';
import {
  ConcurrentReadError,
  IncompleteReadError,
  LimitOverrunError,
  StreamReader,
} from '../src/index.js';
import { bytes, RecordingReadTransport, runVirtual, settle } from './helpers.js';

const DATA = bytes('line1\nline2\nline3\n');

/** Reads what is left after EOF, to see the buffer's contents. */
async function rest(reader: StreamReader): Promise<string> {
  if (!reader.atEof()) reader.feedEof();
  return String(await reader.read());
}

describe('StreamReader construction', () => {
  it('rejects a limit below 1 with a RangeError naming limit (test_invalid_limit)', () => {
    expect(() => new StreamReader({ limit: 0 })).toThrow(
      new RangeError('limit must be an integer >= 1; got 0'),
    );
    expect(() => new StreamReader({ limit: -1 })).toThrow(RangeError);
    expect(() => new StreamReader({ limit: 1.5 })).toThrow(RangeError);
    expect(() => new StreamReader({ limit: '1' as never })).toThrow(TypeError);
    expect(() => new StreamReader(3 as never)).toThrow(TypeError);
  });

  it('has a 64 KiB limit by default', () => {
    expect(new StreamReader().limit).toBe(65_536);
  });
});

describe('StreamReader.feedData', () => {
  it('ignores empty data and keeps the rest (test_feed_empty_data, test_feed_nonempty_data)', () => {
    const reader = new StreamReader();
    reader.feedData(bytes(''));
    expect(reader.bufferedSize).toBe(0);
    reader.feedData(DATA);
    expect(reader.bufferedSize).toBe(DATA.length);
  });

  it('accepts any Uint8Array and rejects other values with a TypeError', async () => {
    const reader = new StreamReader();
    reader.feedData(new Uint8Array([104, 105]));
    expect(() => reader.feedData('text' as never)).toThrow(
      new TypeError('data must be a Uint8Array; got "text" (a string)'),
    );
    expect(await rest(reader)).toBe('hi');
  });

  it('throws InvalidStateError after feedEof', () => {
    const reader = new StreamReader();
    reader.feedEof();
    expect(() => reader.feedData(bytes('late'))).toThrow(InvalidStateError);
  });
});

describe('StreamReader.read', () => {
  it('returns, when it waited, the bytes of the feed that woke it (at most n)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(async () => {
        const data = await reader.read(100);
        return data;
      });
      await sleep(0);
      reader.feedData(bytes('ab'));
      reader.feedData(bytes('cd')); // same iteration: stays for the next read
      expect(String(await read)).toBe('ab');
      expect(String(await reader.read(100))).toBe('cd');
    });
  });

  it('returns an empty Buffer for n = 0 and leaves the buffer alone (test_read_zero)', async () => {
    const reader = new StreamReader();
    reader.feedData(DATA);
    const data = await reader.read(0);
    expect(Buffer.isBuffer(data)).toBe(true);
    expect(data.length).toBe(0);
    expect(reader.bufferedSize).toBe(DATA.length);
  });

  it('waits for data and returns what arrived (test_read)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(() => reader.read(30));
      await sleep(0);
      reader.feedData(DATA);
      expect(String(await read)).toBe(String(DATA));
      expect(reader.bufferedSize).toBe(0);
    });
  });

  it('returns at most n bytes, even across chunks (test_read_line_breaks)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('line1'));
    reader.feedData(bytes('line2'));
    expect(String(await reader.read(5))).toBe('line1');
    expect(String(await reader.read(7))).toBe('line2');
    reader.feedData(bytes('ab'));
    reader.feedData(bytes('cd'));
    expect(String(await reader.read(3))).toBe('abc');
    expect(await rest(reader)).toBe('d');
  });

  it('returns an empty Buffer at EOF (test_read_eof)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(() => reader.read(1024));
      await sleep(0);
      reader.feedEof();
      expect((await read).length).toBe(0);
    });
  });

  it('reads everything until EOF with n = -1 (test_read_until_eof)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(() => reader.read(-1));
      await sleep(0);
      reader.feedData(bytes('chunk1\n'));
      reader.feedData(bytes('chunk2'));
      reader.feedEof();
      expect(String(await read)).toBe('chunk1\nchunk2');
      expect(reader.atEof()).toBe(true);
    });
  });

  it('is not bound by the limit (test_read_limit)', async () => {
    const reader = new StreamReader({ limit: 3 });
    reader.feedData(bytes('chunk'));
    expect(String(await reader.read(5))).toBe('chunk');
  });

  it('reads everything until EOF past 2 x limit without pausing the transport', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader({ limit: 2 });
      const transport = new RecordingReadTransport();
      reader.setTransport(transport);
      const read = createTask(() => reader.read());
      await sleep(0);
      for (let i = 0; i < 10; i++) reader.feedData(bytes('abc'));
      reader.feedEof();
      expect(String(await read)).toBe('abc'.repeat(10));
      expect(transport.calls).toEqual([]);
    });
  });

  it('throws the exception set with setException, even with bytes buffered (test_read_exception)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('line\n'));
    expect(String(await reader.read(2))).toBe('li');
    const error = new Error('broken');
    reader.setException(error);
    await expect(reader.read(2)).rejects.toBe(error);
    expect(reader.bufferedSize).toBe(3);
  });

  it('rejects a fractional n with a RangeError', async () => {
    await expect(new StreamReader().read(1.5)).rejects.toThrow(RangeError);
    await expect(new StreamReader().read('1' as never)).rejects.toThrow(TypeError);
  });
});

describe('StreamReader.readLine', () => {
  it('waits until a newline arrives and keeps what follows (test_readline)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      reader.feedData(bytes('chunk1 '));
      const read = createTask(() => reader.readLine());
      await sleep(0);
      reader.feedData(bytes('chunk2 '));
      reader.feedData(bytes('chunk3 '));
      reader.feedData(bytes('\n chunk4'));
      expect(String(await read)).toBe('chunk1 chunk2 chunk3 \n');
      expect(await rest(reader)).toBe(' chunk4');
    });
  });

  it('drops an over-long line up to its newline and throws LimitOverrunError (test_readline_limit_with_existing_data)', async () => {
    const reader = new StreamReader({ limit: 3 });
    reader.feedData(bytes('li'));
    reader.feedData(bytes('ne1\nline2\n'));
    await expect(reader.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(await rest(reader)).toBe('line2\n');
  });

  it('drops the whole buffer when an over-long line has no newline yet', async () => {
    const reader = new StreamReader({ limit: 3 });
    reader.feedData(bytes('li'));
    reader.feedData(bytes('ne1'));
    reader.feedData(bytes('li'));
    await expect(reader.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(reader.bufferedSize).toBe(0);
  });

  it('applies the limit to lines that arrive while it waits (test_readline_limit)', async () => {
    await runVirtual(async () => {
      let reader = new StreamReader({ limit: 7 });
      let read = createTask(() => reader.readLine());
      await sleep(0);
      reader.feedData(bytes('chunk1'));
      reader.feedData(bytes('chunk2'));
      reader.feedData(bytes('chunk3\n'));
      reader.feedEof();
      await expect(read).rejects.toBeInstanceOf(LimitOverrunError);
      expect(reader.bufferedSize).toBe(0);

      reader = new StreamReader({ limit: 7 });
      read = createTask(() => reader.readLine());
      await sleep(0);
      reader.feedData(bytes('chunk1'));
      reader.feedData(bytes('chunk2\n'));
      reader.feedData(bytes('chunk3\n'));
      reader.feedEof();
      await expect(read).rejects.toBeInstanceOf(LimitOverrunError);
      expect(await rest(reader)).toBe('chunk3\n');
    });
  });

  it('accepts a line of exactly limit bytes plus its newline, and no more (strictness)', async () => {
    const reader = new StreamReader({ limit: 7 });
    reader.feedData(bytes('1234567\n'));
    expect(String(await reader.readLine())).toBe('1234567\n');
    reader.feedData(bytes('12345678\n'));
    await expect(reader.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(reader.bufferedSize).toBe(0);
    reader.feedData(bytes('12345678'));
    await expect(reader.readLine()).rejects.toBeInstanceOf(LimitOverrunError);
    expect(reader.bufferedSize).toBe(0);
  });

  it('returns a buffered line without waiting (test_readline_nolimit_nowait)', async () => {
    const reader = new StreamReader();
    reader.feedData(DATA.subarray(0, 6));
    reader.feedData(DATA.subarray(6));
    expect(String(await reader.readLine())).toBe('line1\n');
    expect(await rest(reader)).toBe('line2\nline3\n');
  });

  it('returns the partial last line at EOF, then empty Buffers (test_readline_eof, test_readline_empty_eof)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('some data'));
    reader.feedEof();
    expect(String(await reader.readLine())).toBe('some data');
    expect((await reader.readLine()).length).toBe(0);
  });

  it('leaves the rest for read (test_readline_read_byte_count)', async () => {
    const reader = new StreamReader();
    reader.feedData(DATA);
    await reader.readLine();
    expect(String(await reader.read(7))).toBe('line2\nl');
    expect(await rest(reader)).toBe('ine3\n');
  });

  it('throws the exception set with setException (test_readline_exception)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('line\n'));
    expect(String(await reader.readLine())).toBe('line\n');
    const error = new Error('broken');
    reader.setException(error);
    await expect(reader.readLine()).rejects.toBe(error);
  });
});

describe('StreamReader.atEof', () => {
  it('is true only once EOF was fed and every byte read (test_at_eof)', async () => {
    const reader = new StreamReader();
    expect(reader.atEof()).toBe(false);
    reader.feedData(bytes('some data\n'));
    expect(reader.atEof()).toBe(false);
    await reader.readLine();
    expect(reader.atEof()).toBe(false);
    reader.feedData(bytes('some data\n'));
    reader.feedEof();
    expect(reader.atEof()).toBe(false);
    await reader.readLine();
    expect(reader.atEof()).toBe(true);
  });
});

describe('StreamReader.readUntil', () => {
  it('rejects empty separators with a RangeError and other values with a TypeError (test_readuntil_separator)', async () => {
    const reader = new StreamReader();
    await expect(reader.readUntil('')).rejects.toThrow(
      new RangeError('separator must be at least one byte long; got an empty one'),
    );
    await expect(reader.readUntil([new Uint8Array(0)])).rejects.toThrow(RangeError);
    await expect(reader.readUntil([])).rejects.toThrow(RangeError);
    await expect(reader.readUntil(10 as never)).rejects.toThrow(TypeError);
    await expect(reader.readUntil(['a', 10] as never)).rejects.toThrow(
      new TypeError('separator[1] must be a string or bytes; got 10'),
    );
  });

  it('reads through a multi-byte separator, in one or several chunks (test_readuntil_multi_chunks)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('lineAAA'));
    expect(String(await reader.readUntil('AAA'))).toBe('lineAAA');
    reader.feedData(bytes('lineAAAxxx'));
    expect(String(await reader.readUntil(bytes('AAA')))).toBe('lineAAA');
    expect(await rest(reader)).toBe('xxx');
  });

  it('finds a separator split across chunks (test_readuntil_multi_chunks_1)', async () => {
    const reader = new StreamReader();
    const cases: [string[], string][] = [
      [['QWEaa', 'XYaa', 'a'], 'QWEaaXYaaa'],
      [['QWEaa', 'XYa', 'aa'], 'QWEaaXYaaa'],
      [['aaa'], 'aaa'],
      [['Xaaa'], 'Xaaa'],
      [['XXX', 'a', 'a', 'a'], 'XXXaaa'],
    ];
    for (const [chunks, expected] of cases) {
      for (const chunk of chunks) reader.feedData(bytes(chunk));
      expect(String(await reader.readUntil('aaa'))).toBe(expected);
      expect(reader.bufferedSize).toBe(0);
    }
  });

  it('throws IncompleteReadError with the buffered bytes at EOF (test_readuntil_eof)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('some dataAA'));
    reader.feedEof();
    const error = await reader.readUntil('AAA').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(IncompleteReadError);
    expect(String((error as IncompleteReadError).partial)).toBe('some dataAA');
    expect((error as IncompleteReadError).expected).toBeNull();
    expect((error as Error).message).toBe('stream ended after 11 bytes; expected more');
    expect(reader.bufferedSize).toBe(0);
  });

  it('throws LimitOverrunError and leaves the data in the buffer (test_readuntil_limit_found_sep, DESIGN §4)', async () => {
    const reader = new StreamReader({ limit: 3 });
    reader.feedData(bytes('some dataAA'));
    const notFound = await reader.readUntil('AAA').catch((caught: unknown) => caught);
    expect(notFound).toBeInstanceOf(LimitOverrunError);
    expect((notFound as Error).message).toMatch(/not found/);
    expect(reader.bufferedSize).toBe(11);

    reader.feedData(bytes('A'));
    const found = await reader.readUntil('AAA').catch((caught: unknown) => caught);
    expect(found).toBeInstanceOf(LimitOverrunError);
    expect((found as Error).message).toMatch(/separator found/);
    expect((found as LimitOverrunError).consumed).toBe(9);
    expect(reader.bufferedSize).toBe(12);
  });

  it('stays usable after LimitOverrunError: consumed bytes can be skipped (DESIGN §4)', async () => {
    const reader = new StreamReader({ limit: 5 });
    reader.feedData(bytes('far too long\nshort\n'));
    const error = (await reader
      .readUntil('\n')
      .catch((caught: unknown) => caught)) as LimitOverrunError;
    expect(error).toBeInstanceOf(LimitOverrunError);
    expect(String(await reader.readExactly(error.consumed + 1))).toBe('far too long\n');
    expect(String(await reader.readUntil('\n'))).toBe('short\n');
  });

  it('returns the shortest chunk that ends with any separator (test_readuntil_multi_separator)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('line 1\nline 2\r'));
    expect(String(await reader.readUntil(['\r', '\n']))).toBe('line 1\n');
    expect(String(await reader.readUntil(['\r', '\n']))).toBe('line 2\r');
    reader.feedData(bytes('ABCDEFG'));
    expect(String(await reader.readUntil(['DEF', 'BCDE']))).toBe('ABCDE');
    expect(await rest(reader)).toBe('FG');
  });

  it('measures the limit against the first match of several separators (test_readuntil_multi_separator_limit)', async () => {
    const reader = new StreamReader({ limit: 3 });
    reader.feedData(bytes('some dataA'));
    await expect(reader.readUntil(['A', 'ome dataA'])).rejects.toThrow(/separator found/);
    expect(reader.bufferedSize).toBe(10);
  });

  it('keeps its search offset non-negative with separators of different lengths (test_readuntil_multi_separator_negative_offset)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      reader.feedData(bytes('data'));
      const read = createTask(() => reader.readUntil(['A', 'long sep']));
      await sleep(0);
      reader.feedData(bytes('Z'));
      await sleep(0);
      reader.feedData(bytes('Aaaa'));
      expect(String(await read)).toBe('dataZA');
      expect(await rest(reader)).toBe('aaa');
    });
  });

  it('accepts bytes separators (test_readuntil_bytearray)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('some data\r\n'));
    expect(String(await reader.readUntil(new Uint8Array([13, 10])))).toBe('some data\r\n');
  });

  it('reads through "\\n" by default', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('a\nb'));
    expect(String(await reader.readUntil())).toBe('a\n');
  });
});

describe('StreamReader.readExactly', () => {
  it('returns an empty Buffer for 0 and rejects a negative n (test_readexactly_zero_or_less)', async () => {
    const reader = new StreamReader();
    reader.feedData(DATA);
    expect((await reader.readExactly(0)).length).toBe(0);
    await expect(reader.readExactly(-1)).rejects.toThrow(
      new RangeError('n must be an integer >= 0; got -1'),
    );
    expect(reader.bufferedSize).toBe(DATA.length);
  });

  it('waits for exactly n bytes (test_readexactly)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(() => reader.readExactly(2 * DATA.length));
      await sleep(0);
      reader.feedData(DATA);
      reader.feedData(DATA);
      reader.feedData(DATA);
      expect(String(await read)).toBe(String(DATA) + String(DATA));
      expect(reader.bufferedSize).toBe(DATA.length);
    });
  });

  it('is not bound by the limit (test_readexactly_limit)', async () => {
    const reader = new StreamReader({ limit: 3 });
    reader.feedData(bytes('chunk'));
    expect(String(await reader.readExactly(5))).toBe('chunk');
  });

  it('throws IncompleteReadError with the partial bytes at EOF (test_readexactly_eof, DESIGN §4)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const n = 2 * DATA.length;
      const read = createTask(() => reader.readExactly(n));
      await sleep(0);
      reader.feedData(DATA);
      reader.feedEof();
      const error = (await read.then(
        () => undefined,
        (caught: unknown) => caught,
      )) as IncompleteReadError;
      expect(error).toBeInstanceOf(IncompleteReadError);
      expect(String(error.partial)).toBe(String(DATA));
      expect(error.expected).toBe(n);
      expect(error.message).toBe('stream ended after 18 bytes; expected 36');
      expect(reader.bufferedSize).toBe(0);
    });
  });

  it('throws the exception set with setException (test_readexactly_exception)', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('line\n'));
    expect(String(await reader.readExactly(2))).toBe('li');
    reader.setException(new Error('broken'));
    await expect(reader.readExactly(2)).rejects.toThrow('broken');
  });
});

describe('StreamReader.setException', () => {
  it('is what exception() returns (test_exception)', () => {
    const reader = new StreamReader();
    expect(reader.exception()).toBeNull();
    const error = new Error('x');
    reader.setException(error);
    expect(reader.exception()).toBe(error);
  });

  it('fails the waiting read (test_exception_waiter)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(() => reader.readLine());
      await sleep(0);
      reader.setException(new Error('reset'));
      await expect(read).rejects.toThrow('reset');
    });
  });

  it('does not touch a read that was cancelled (test_exception_cancel)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(() => reader.readLine());
      await sleep(0);
      read.cancel();
      await sleep(0);
      reader.setException(new Error('late'));
      await expect(read).rejects.toBeInstanceOf(CancelledError);
      // The reader is free for the next read, which sees the exception.
      await expect(reader.readLine()).rejects.toThrow('late');
    });
  });
});

describe('StreamReader waits', () => {
  it('throws ConcurrentReadError when a second task would wait at the same time', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const first = createTask(() => reader.readLine());
      await sleep(0);
      await expect(reader.read(10)).rejects.toThrow(
        new ConcurrentReadError(
          'read() called while another task is already waiting for data on this StreamReader',
        ),
      );
      reader.feedData(bytes('mine\n'));
      expect(String(await first)).toBe('mine\n');
    });
  });

  it('leaves every byte in the buffer when a read is cancelled (task.cancel)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      reader.feedData(bytes('partial'));
      const reads = [
        () => reader.readLine(),
        () => reader.readExactly(100),
        () => reader.readUntil('!'),
        () => reader.read(),
      ];
      for (const body of reads) {
        const read = createTask(body);
        await sleep(0);
        read.cancel();
        await expect(read).rejects.toBeInstanceOf(CancelledError);
      }
      expect(reader.bufferedSize).toBe(7);
      reader.feedData(bytes(' line\n'));
      expect(String(await reader.readLine())).toBe('partial line\n');
    });
  });

  it('puts the bytes back when the reading task is cancelled after they came, before it resumed', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = createTask(async () => {
        const data = await reader.readExactly(3);
        return data;
      });
      await sleep(0);
      reader.feedData(bytes('abcd')); // the read takes 'abc'; its task resumes next iteration
      read.cancel(); // asyncio: CancelledError at the await, nothing consumed
      await expect(read).rejects.toBeInstanceOf(CancelledError);
      expect(String(await reader.read(10))).toBe('abcd');
    });
  });

  it('returns a Future when it must wait: cancelling it gives the read up and takes nothing', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const read = reader.read(5);
      if (!(read instanceof Future)) throw new Error('a read that waits returns a Future');
      expect(read.cancel()).toBe(true);
      reader.feedData(bytes('kept'));
      expect(String(await reader.read(5))).toBe('kept');
      await expect(read).rejects.toBeInstanceOf(CancelledError);
    });
  });

  it('gives a read up when its signal aborts, with the signal reason', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader();
      const controller = new AbortController();
      const read = reader.readExactly(4, { signal: controller.signal });
      await sleep(0);
      controller.abort(new Error('enough'));
      await expect(read).rejects.toThrow('enough');
      await expect(reader.readLine({ signal: controller.signal })).rejects.toThrow('enough');
      reader.feedData(bytes('abcd'));
      expect(String(await reader.readExactly(4))).toBe('abcd');
    });
  });

  it('rejects options that are not an object or a signal that is not an AbortSignal', async () => {
    const reader = new StreamReader();
    await expect(reader.readLine(5 as never)).rejects.toThrow(TypeError);
    await expect(reader.read(1, { signal: 'x' as never })).rejects.toThrow(TypeError);
  });
});

describe('StreamReader flow control', () => {
  it('pauses the transport above 2 x limit and resumes at limit or below', async () => {
    const reader = new StreamReader({ limit: 4 });
    const transport = new RecordingReadTransport();
    reader.setTransport(transport);
    reader.feedData(bytes('12345678'));
    expect(transport.calls).toEqual([]);
    reader.feedData(bytes('9'));
    expect(transport.calls).toEqual(['pause']);
    reader.feedData(bytes('abc'));
    expect(transport.calls).toEqual(['pause']);
    await reader.read(7);
    expect(transport.calls).toEqual(['pause']); // 5 left: above the limit
    await reader.read(1);
    expect(transport.calls).toEqual(['pause', 'resume']);
  });

  it('does not pause while a read waits for more (readExactly past 2 x limit)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader({ limit: 2 });
      const transport = new RecordingReadTransport();
      reader.setTransport(transport);
      const read = createTask(() => reader.readExactly(12));
      await sleep(0);
      reader.feedData(bytes('abcdef'));
      await settle();
      expect(transport.calls).toEqual([]); // pausing would deadlock: the read needs 6 more
      reader.feedData(bytes('ghijkl'));
      expect(String(await read)).toBe('abcdefghijkl');
    });
  });

  it('resumes a paused transport when a read must wait for more (readExactly past 2 x limit)', async () => {
    await runVirtual(async () => {
      const reader = new StreamReader({ limit: 2 });
      const transport = new RecordingReadTransport();
      reader.setTransport(transport);
      reader.feedData(bytes('abcdef'));
      expect(transport.calls).toEqual(['pause']);
      const read = createTask(() => reader.readExactly(12));
      await settle();
      expect(transport.calls).toEqual(['pause', 'resume']);
      reader.feedData(bytes('ghijkl'));
      expect(String(await read)).toBe('abcdefghijkl');
    });
  });

  it('refuses a second transport', () => {
    const reader = new StreamReader();
    reader.setTransport(new RecordingReadTransport());
    expect(() => reader.setTransport(new RecordingReadTransport())).toThrow(InvalidStateError);
  });
});

describe('StreamReader as an async iterable', () => {
  it('yields lines until EOF', async () => {
    const reader = new StreamReader();
    reader.feedData(bytes('a\nbb\nccc'));
    reader.feedEof();
    const lines: string[] = [];
    for await (const line of reader) lines.push(String(line));
    expect(lines).toEqual(['a\n', 'bb\n', 'ccc']);
  });
});

describe('StreamReader.toWeb', () => {
  it('streams the bytes to a Web ReadableStream and closes at EOF', async () => {
    const reader = new StreamReader({ limit: 4 });
    reader.feedData(bytes('hello '));
    reader.feedData(bytes('web'));
    reader.feedEof();
    const chunks: string[] = [];
    for await (const chunk of reader.toWeb()) chunks.push(String(chunk));
    expect(chunks.join('')).toBe('hello web');
    expect(chunks.every((chunk) => chunk.length <= 4)).toBe(true);
  });

  it('pulls only when its consumer reads (backpressure)', async () => {
    const reader = new StreamReader({ limit: 4 });
    const transport = new RecordingReadTransport();
    reader.setTransport(transport);
    const web = reader.toWeb();
    reader.feedData(bytes('0123456789')); // over 2 x limit: paused
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(reader.bufferedSize).toBe(10); // nothing pulled without a read
    expect(transport.calls).toEqual(['pause']);
    const webReader = web.getReader();
    expect(String((await webReader.read()).value)).toBe('0123');
    expect(String((await webReader.read()).value)).toBe('4567');
    expect(transport.calls).toEqual(['pause', 'resume']);
    await webReader.cancel();
  });

  it('gives up its pending read and drops the buffer when cancelled', async () => {
    const reader = new StreamReader();
    const webReader = reader.toWeb().getReader();
    const pending = webReader.read();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await webReader.cancel(new Error('no more'));
    expect((await pending).done).toBe(true);
    // The StreamReader is free again.
    reader.feedData(bytes('x\n'));
    expect(String(await reader.readLine())).toBe('x\n');
  });
});

describe('StreamReader with a trickle of tiny chunks', () => {
  it('finds a line fed one byte at a time, 200,000 bytes long', async () => {
    const reader = new StreamReader({ limit: 300_000 });
    const line = Buffer.alloc(200_000, 0x78);
    for (let i = 0; i < line.length; i++) reader.feedData(line.subarray(i, i + 1));
    reader.feedData(bytes('\r\nnext'));
    const read = await reader.readUntil('\r\n');
    expect(read.length).toBe(200_002);
    expect(read.subarray(0, 200_000).equals(line)).toBe(true);
    expect(await rest(reader)).toBe('next');
  });
});
