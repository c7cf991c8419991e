import { defineConfig, type ViteUserConfig } from 'vitest/config';

/**
 * Resolve sibling workspace packages from their TypeScript sources (no build loop), and
 * everything else as Node does: no bundler-only `module` condition, whose builds may use
 * imports Node cannot resolve (OpenTelemetry's, for one).
 */
const sourceConditions = ['@osr-host/source', 'node', 'import', 'default'];

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
      // Nx forces colour for the tasks it runs; programs the tests start decide colour for themselves.
      env: { FORCE_COLOR: '' },
      testTimeout: 30_000,
      hookTimeout: 60_000,
      ...overrides,
    },
  });
}
