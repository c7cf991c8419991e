import { describe, expect, it } from 'vitest';
import { runFuzz } from './test-support/fuzz.js';

// Sizes and depths stay where every host call is cheap, so the run fits the suite;
// `npm run fuzz -w osr-host` runs a million calls over the full ranges.
const BOUNDED = { calls: 100_000, seed: 21, threads: 7, maxBytes: 64 * 1024, maxDepth: 64 };

describe('a plugin making random host calls with hostile arguments', () => {
  it.each([
    ['in-process', false],
    ['isolated', true],
  ])('costs the host nothing %s: 100k calls, no crash, no hang', async (_mode, isolate) => {
    const report = await runFuzz({ ...BOUNDED, isolate });
    console.log(`fuzz ${_mode}: ${JSON.stringify(report)}`);
    expect(report).toMatchObject({ crashes: 0, hangs: 0 });
    expect(report.calls).toBeGreaterThanOrEqual(BOUNDED.calls);
    expect(report.answers).toBeGreaterThan(0);
  });
});
