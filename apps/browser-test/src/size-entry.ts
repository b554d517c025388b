/*
 * The smallest useful page: createTask, sleep and run from @coro/futures. The browser test
 * bundles it (minified, tree-shaken) and reports its size, gzipped, in the docs.
 */
import { createTask, run, sleep } from '@coro/futures';

run(async () => {
  const greeting = createTask(() => sleep(10, 'hello from a task'));
  return await greeting;
}).then((greeting) => {
  document.body.textContent = greeting;
});
