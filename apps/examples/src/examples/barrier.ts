/*
 * barrier: workers that finish a phase at different times wait for each other at
 * a Barrier, then all start the next phase together.
 */
import { Barrier, createTask, gather, sleep } from 'coro';
import { type Output, seconds, startClock } from '../example.js';

export const name = 'barrier';
export const title = 'Workers meeting at a Barrier between phases';

export async function main(out: Output = console.log): Promise<void> {
  const elapsed = startClock();
  const barrier = new Barrier(3);

  const worker = (id: number, phaseMs: number) => async () => {
    for (const phase of [1, 2]) {
      await sleep(phaseMs * phase);
      out(`worker ${id} finished phase ${phase} at ${seconds(elapsed())}`);
      const arrival = await barrier.wait();
      if (arrival === barrier.parties - 1) out(`-- all 3 met after phase ${phase} --`);
    }
  };

  await gather([100, 300, 200].map((ms, index) => createTask(worker(index + 1, ms))));
  out(`done in ${seconds(elapsed())}: each phase lasts as long as its slowest worker`);
}
