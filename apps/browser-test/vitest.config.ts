import { defineConfig } from 'vitest/config';

// No aliases to the packages' sources: the test imports @coro/* through node_modules, so
// Node resolves them through their `exports` to the built dist/ (`pnpm run test:browser`
// builds them first), as the page's bundle does.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
