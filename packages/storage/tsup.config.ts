import { packageBuild } from '../../tools/tsup.preset.ts';

// The storage worker is its own entry: worker_threads load it by file path.
export default packageBuild({ entry: ['src/index.ts', 'src/storage-worker.ts'] });
