import { packageBuild } from '../../tools/tsup.preset.ts';

// The storage worker is its own entry: worker_threads load it by file path. So is the slot handler, which
// a slot server's thread imports without the host-database code (drizzle doubles a thread's boot).
export default packageBuild({ entry: ['src/index.ts', 'src/storage-worker.ts', 'src/slot-handler.ts'] });
