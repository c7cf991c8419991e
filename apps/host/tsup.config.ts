import { packageBuild } from '../../tools/tsup.preset.ts';

export default packageBuild({ entry: ['src/cli.ts'], format: ['esm'], dts: false });
