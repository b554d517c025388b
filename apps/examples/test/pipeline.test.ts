import { describe, expect, it } from 'vitest';
import * as pipeline from '../src/examples/pipeline.js';
import { runExample } from './run-example.js';

describe('pipeline', () => {
  it('processes every job once, keeps at most maxsize queued, and ends after join() and shutdown()', async () => {
    const { lines } = await runExample(pipeline);

    const finished = lines.filter((line) => line.includes(' finished '));
    const jobs = finished.map((line) => line.split(' ')[2]).sort();
    expect(jobs).toEqual(['a-1', 'a-2', 'a-3', 'b-1', 'b-2', 'b-3']);
    expect(lines.at(-2)).toBe('join() returned: 6 jobs done in 0.3 s, at most 2 queued');
    expect(lines.at(-1)).toBe('shutdown() ended the consumers');
  });
});
