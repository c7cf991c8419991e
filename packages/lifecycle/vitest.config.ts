import { packageTests } from '../../tools/vitest.preset.ts';

export default packageTests({ globalSetup: ['./src/test-support/build-dist.ts'] });
