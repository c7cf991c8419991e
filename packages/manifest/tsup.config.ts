import { packageBuild } from '../../tools/tsup.preset.ts';

// Second entry: the `osr-manifest` bin (tsup keeps its shebang and makes it executable).
export default packageBuild({ entry: ['src/index.ts', 'src/cli.ts'] });
