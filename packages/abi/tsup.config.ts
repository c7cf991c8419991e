import { packageBuild } from '../../tools/tsup.preset.ts';

export default packageBuild();
