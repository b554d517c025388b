import { defineConfig } from 'vitest/config';

// Unlike the packages' preset, no aliases to the sibling sources: the bench measures the
// built packages, so its test runs the workloads against the same `dist/` (turbo builds
// them first: see turbo.json).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
