import { packageTests } from '../../tools/vitest.preset.ts';

// Every test here drives real processes (compilers, serve, dev loops) on a machine that also runs
// other projects' tests: the timeout only catches hangs, so it leaves room for a loaded machine.
export default packageTests({ testTimeout: 120_000 });
