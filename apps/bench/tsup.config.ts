import { defineConfig } from 'tsup';

// The harness and the per-sample runner, as plain ESM that `node` starts in a few ms,
// and the pools' job module and the floor's worker (dist/pool/), which workers load by
// path. `@coro/*` are dependencies, so tsup leaves them external: the runner imports the
// packages' built `dist/`, which is what the benchmarks must measure. piscina and
// tinypool are dev dependencies, which tsup would bundle: they start their workers from
// files of their own, so they stay external too. So does effect (the Effect 4 peer): the
// workloads import it only inside its runs, and only those processes load it.
export default defineConfig({
  entry: {
    harness: 'src/harness.ts',
    runner: 'src/runner.ts',
    'pool/jobs': 'src/pool/jobs.ts',
    'pool/floor-worker': 'src/pool/floor-worker.ts',
    'distributed/jobs': 'src/distributed/jobs.ts',
    'distributed/bullmq-worker': 'src/distributed/bullmq-worker.ts',
  },
  external: ['piscina', 'tinypool', 'effect'],
  format: ['esm'],
  outDir: 'dist',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  clean: true,
  splitting: false,
});
