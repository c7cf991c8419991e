import { packageBuild } from '../../tools/tsup.preset.ts';

// plugin-process is the entry of the child process that runs an isolated plugin; slot-server, of a slot server's thread.
export default packageBuild({ entry: { index: 'src/index.ts', 'plugin-process': 'src/isolation/child.ts', 'slot-server': 'src/slot-server-thread.ts' } });
