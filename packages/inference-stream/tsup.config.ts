import { packageBuild } from '../../tools/tsup.preset.ts';

// `testing` is the loopback OpenAI-compatible server, shipped for other packages' tests.
export default packageBuild({ entry: ['src/index.ts', 'src/testing.ts'] });
