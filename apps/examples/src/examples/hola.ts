/*
 * hola: the tutorial's first coroutine. An async function that sleeps a second
 * and says hola, three times, run on the event loop. In Python:
 *
 *   async def holacoro():
 *       for i in range(3):
 *           await asyncio.sleep(1)
 *           print("Hola %d" % i)
 *
 *   asyncio.run(holacoro())
 */
import { sleep } from 'coro';
import { type Output, seconds, startClock } from '../example.js';

export const name = 'hola';
export const title = 'A coroutine: await pauses it, the loop resumes it';

/** The tutorial's coroutine: three times, sleep one second, then say hola. */
export async function holacoro(out: Output): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await sleep(1000); // time is in milliseconds: one second
    out(`Hola ${i}`);
  }
}

export async function main(out: Output = console.log): Promise<void> {
  out('An async function is a coroutine: at each `await` it pauses, the event loop');
  out('runs whatever else is ready, and resumes it once what it awaits is done.');
  out('holacoro() sleeps one second and says hola, three times:');
  const elapsed = startClock();

  await holacoro(out);

  out(`took about ${seconds(elapsed())}: each await waited for its sleep to end before the`);
  out('next one began. run(main) is asyncio.run: it runs main as a task on a fresh loop,');
  out('then cleans up and returns its result.');
}
