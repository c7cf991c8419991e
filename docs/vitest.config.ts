import { packageTests } from '../tools/vitest.preset.ts';

export default packageTests({
  include: ['scripts/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
  testTimeout: 120_000,
});
