import { packageTests } from '../../tools/vitest.preset.ts';

export default packageTests();
