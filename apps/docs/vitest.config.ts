import { vitestPreset } from '@coro/vitest-config';

// The docs' tests read the Markdown pages and run their code blocks against the packages'
// sources (the preset's aliases). The browser test is a separate script (test:browser).
export default vitestPreset({ test: { testTimeout: 60_000 } });
