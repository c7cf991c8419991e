import { packageBuild } from '../../tools/tsup.preset.ts';

// The slot handler is its own entry: a slot server's thread imports it without the HTTP client.
export default packageBuild({ entry: ['src/index.ts', 'src/slot-handler.ts'] });
