// The build every coro package shares: src/index.ts → dist/ as ESM (.js), CJS (.cjs)
// and declarations for both (.d.ts, .d.cts). A package's tsup.config.ts is one line:
//
//   export default tsupPreset();
//
// Plain JavaScript on purpose: tsup loads its config through Node, which would not run a
// TypeScript file that lives in another workspace package.
import { defineConfig } from 'tsup';

/**
 * @param {import('tsup').Options} [overrides] merged over the defaults (rarely needed).
 * @returns {import('tsup').Options}
 */
export function tsupPreset(overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    outDir: 'dist',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    clean: true,
    splitting: false,
    // Declarations are built against the siblings' built `dist/*.d.ts` (turbo builds them
    // first), not their sources: drop the source `paths` that `typecheck` relies on.
    // `stripInternal` leaves every `@internal` member out of the published types: what
    // coro's packages need from each other is documented API, never an internal member
    // (tooling/package-check fails a build whose .d.ts still says `@internal`).
    dts: { compilerOptions: { paths: {}, stripInternal: true } },
    ...overrides,
  });
}
