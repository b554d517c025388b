import { tsupPreset } from '@coro/tsup-config';

// The library, and the `coro-worker` command (an ESM file with its shebang kept).
export default [
  tsupPreset(),
  tsupPreset({ entry: ['src/coro-worker.ts'], format: ['esm'], dts: false, clean: false }),
];
