import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as unixEcho from '../src/examples/unix-echo.js';
import { printedLines } from './run-example.js';

describe('unix-echo', () => {
  it('echoes each line over a Unix socket and removes its temporary directory', async () => {
    const before = (await readdir(tmpdir())).filter((name) => name.startsWith('coro-unix-echo-'));
    const lines = await printedLines(unixEcho);

    expect(lines).toEqual([
      'echo server on the Unix socket echo.sock, in a temporary directory',
      'sent hello, got back hello',
      'sent unix, got back unix',
      'sent bye, got back bye',
      'client and server closed',
    ]);
    const after = (await readdir(tmpdir())).filter((name) => name.startsWith('coro-unix-echo-'));
    expect(after).toEqual(before);
  });
});
