import { defineConfig, type ViteUserConfig } from 'vitest/config';

/** Resolve sibling workspace packages from their TypeScript sources (no build loop). */
const sourceConditions = ['@osr-host/source', 'node', 'import', 'module', 'default'];

/** The one test configuration every package uses; tests sit beside the code. */
export function packageTests(overrides: ViteUserConfig['test'] = {}) {
  return defineConfig({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: ['@osr-host/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      benchmark: { include: ['src/**/*.bench.ts', 'bench/**/*.bench.ts'] },
      environment: 'node',
      pool: 'forks',
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  });
}
