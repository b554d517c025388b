import { vitestPreset } from '@coro/vitest-config';

// --expose-gc: unretrieved.test.ts and task.test.ts collect garbage on purpose (DESIGN §4).
export default vitestPreset({ test: { execArgv: ['--expose-gc'] } });
