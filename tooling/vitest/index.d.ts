import type { ViteUserConfig } from 'vitest/config';

/** Aliases from each workspace package name to its `src/index.ts`. */
export declare function workspaceAliases(): { find: RegExp; replacement: string }[];

/** The shared test setup: `test/**\/*.test.ts`, 20 s timeouts, sources via aliases. */
export declare function vitestPreset(overrides?: ViteUserConfig): ViteUserConfig;
