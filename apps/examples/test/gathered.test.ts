import { describe, expect, it } from 'vitest';
import * as gathered from '../src/examples/gathered.js';
import { runExample } from './run-example.js';

describe('gathered', () => {
  it('says the three holas together and prints the results in argument order', async () => {
    const { lines } = await runExample(gathered);

    expect(lines).toEqual([
      'The same hola, three times at once. Step by step:',
      '1. createTask() wraps each coroutine in a task: hola-0, hola-1, hola-2.',
      '   They are scheduled, not started: they start on the next loop iteration.',
      '2. gather(tasks) is one future that is done when all three tasks are.',
      '3. Awaiting it lets the loop run the tasks; their sleeps overlap:',
      'Hola 0',
      'Hola 1',
      'Hola 2',
      "gather() resolved to [0, 1, 2]: each task's result, in the order given.",
      'took about 1 s, not 3 s: the three one-second sleeps ran side by side.',
    ]);
  });

  it('takes exactly one second on the loop clock, not three', async () => {
    const { elapsedMs } = await runExample(gathered);

    expect(elapsedMs).toBe(1000);
  });
});
