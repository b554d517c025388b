/*
 * The wire protocol between a pool and its workers (src/protocol.ts): message layout and
 * the frames a process worker's pipes carry.
 */
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  abortMessage,
  appendJob,
  encodeFrame,
  PROTOCOL,
  readFrames,
  resultCount,
  resultOffset,
  runMessage,
} from '../src/protocol.js';

describe('messages', () => {
  it('lays a RUN message out as the opcode, then JOB_FIELDS entries per job', () => {
    const message = runMessage();
    appendJob(message, { id: 7, kind: PROTOCOL.KIND_CALL, functionId: 0, args: [1] }, 3, 'src');
    appendJob(message, { id: 8, kind: PROTOCOL.KIND_MAP, functionId: 0, args: [2, 3] }, 4, null);

    expect(message).toHaveLength(PROTOCOL.RUN_HEADER + 2 * PROTOCOL.JOB_FIELDS);
    const second = PROTOCOL.RUN_HEADER + PROTOCOL.JOB_FIELDS;
    expect(message[0]).toBe(PROTOCOL.RUN);
    expect(message[second + PROTOCOL.JOB_ID]).toBe(8);
    expect(message[second + PROTOCOL.JOB_SLOT]).toBe(4);
    expect(message[second + PROTOCOL.JOB_KIND]).toBe(PROTOCOL.KIND_MAP);
    expect(message[second + PROTOCOL.JOB_SOURCE]).toBeNull();
    expect(message[second + PROTOCOL.JOB_ARGS]).toEqual([2, 3]);
  });

  it('reads the results of a RESULTS message by index', () => {
    const message = [
      PROTOCOL.RESULTS,
      5,
      2,
      1,
      PROTOCOL.STATUS_OK,
      'a',
      2,
      PROTOCOL.STATUS_ERROR,
      'b',
    ];

    expect(resultCount(message)).toBe(2);
    expect(message[resultOffset(1) + PROTOCOL.RESULT_ID]).toBe(2);
    expect(message[resultOffset(1) + PROTOCOL.RESULT_STATUS]).toBe(PROTOCOL.STATUS_ERROR);
    expect(message[resultOffset(1) + PROTOCOL.RESULT_VALUE]).toBe('b');
  });

  it('names a job in an ABORT message', () => {
    expect(abortMessage(9)[PROTOCOL.ABORT_ID]).toBe(9);
  });
});

describe('frames', () => {
  it('give back every message whole, however the bytes are cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.oneof(fc.integer(), fc.string())), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 16 }),
        (messages, cuts) => {
          const bytes = Buffer.concat(messages.map((message) => encodeFrame(serialize(message))));
          const received: unknown[] = [];
          let pending: Buffer | null = null;
          let offset = 0;
          for (let i = 0; offset < bytes.length; i++) {
            const size = cuts[i % cuts.length] as number;
            const chunk = bytes.subarray(offset, offset + size);
            offset += size;
            pending = readFrames(pending, chunk, (payload) => received.push(deserialize(payload)));
          }

          expect(received).toEqual(messages);
          expect(pending).toBeNull();
        },
      ),
      { numRuns: 1_000 },
    );
  });
});
