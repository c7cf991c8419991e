import { packageBuild } from '../../tools/tsup.preset.ts';

export default packageBuild({ entry: ['src/index.ts', 'src/testing.ts'], external: ['../native/build.mjs'] });
