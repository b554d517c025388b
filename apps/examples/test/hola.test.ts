import { describe, expect, it } from 'vitest';
import * as hola from '../src/examples/hola.js';
import { runExample } from './run-example.js';

describe('hola', () => {
  it('says hola three times, one second apart, and explains each step', async () => {
    const { lines } = await runExample(hola);

    expect(lines).toEqual([
      'An async function is a coroutine: at each `await` it pauses, the event loop',
      'runs whatever else is ready, and resumes it once what it awaits is done.',
      'holacoro() sleeps one second and says hola, three times:',
      'Hola 0',
      'Hola 1',
      'Hola 2',
      'took about 3 s: each await waited for its sleep to end before the',
      'next one began. run(main) is asyncio.run: it runs main as a task on a fresh loop,',
      'then cleans up and returns its result.',
    ]);
  });

  it('takes exactly three seconds on the loop clock', async () => {
    const { elapsedMs } = await runExample(hola);

    expect(elapsedMs).toBe(3000);
  });
});
