import { defineConfig } from 'tsup';

// The harness and the per-sample runner, as plain ESM that `node` starts in a few ms.
// `@coro/*` are dependencies, so tsup leaves them external: the runner imports the
// packages' built `dist/`, which is what the benchmarks must measure.
export default defineConfig({
  entry: ['src/harness.ts', 'src/runner.ts'],
  format: ['esm'],
  outDir: 'dist',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  splitting: false,
});
