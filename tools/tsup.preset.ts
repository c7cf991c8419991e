import { defineConfig, type Options } from 'tsup';

/**
 * The one build configuration every package uses: ESM + CJS with type
 * declarations for each, from `src/index.ts` unless a package adds entries.
 */
export function packageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    shims: true,
    ...overrides,
  });
}
