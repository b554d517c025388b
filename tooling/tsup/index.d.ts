import type { Options } from 'tsup';

/** The shared build: `src/index.ts` → ESM `.js`, CJS `.cjs`, `.d.ts`, `.d.cts`, sourcemaps. */
export declare function tsupPreset(overrides?: Options): Options;
