// `size` tasks that each await sleep(0) twice, gathered, under run(): the `tasks` workload.
import { createTask, gather, run, sleep } from '@coro/futures';

const size = Number(process.argv[2] ?? 10_000);
await run(async () => {
  await gather(
    Array.from({ length: size }, () =>
      createTask(async () => {
        await sleep(0);
        await sleep(0);
      }),
    ),
  );
});
