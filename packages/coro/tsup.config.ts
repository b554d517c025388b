import { tsupPreset } from '@coro/tsup-config';

// The library, and the `coro` command (dist/cli.js, the package's bin).
export default tsupPreset({ entry: ['src/index.ts', 'src/cli.ts'] });
