import { packageBuild } from '../../tools/tsup.preset.ts';

// plugin-process is the entry of the child process that runs an isolated plugin.
export default packageBuild({ entry: { index: 'src/index.ts', 'plugin-process': 'src/isolation/child.ts' } });
