import { describe, expect, it } from 'vitest';
import * as udpEcho from '../src/examples/udp-echo.js';
import { printedLines } from './run-example.js';

describe('udp-echo', () => {
  it('sends three datagrams to a real UDP server on 127.0.0.1 and gets each back upper-cased', async () => {
    const lines = await printedLines(udpEcho);

    expect(lines[0]).toMatch(/^UDP echo server on 127\.0\.0\.1:\d+$/);
    expect(lines.slice(1)).toEqual([
      'sent hello, got HELLO',
      'sent datagrams, got DATAGRAMS',
      'sent bye, got BYE',
      'both endpoints closed',
    ]);
  });
});
