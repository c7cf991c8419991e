/**
 * The long fuzz run: `npm run fuzz -w osr-host -- [--calls N] [--seed N] [--threads N]
 * [--max-bytes N] [--max-depth N] [--in-process | --isolated] [--secrets encrypted-file|memory]`. Defaults: a million calls over the
 * full argument ranges (strings up to 16 MiB, JSON nested 100,000 deep), in-process then isolated.
 * Prints calls made, crashes, hangs, and resident memory after the first invocation and at the end.
 */
import { parseArgs } from 'node:util';
import type { SecretStoreBackend } from '@osr-host/config-keychain';
import { runFuzz } from '../src/test-support/fuzz.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    threads: { type: 'string', default: '7' },
    'max-bytes': { type: 'string', default: String(16 * 1024 * 1024) },
    'max-depth': { type: 'string', default: '100000' },
    'in-process': { type: 'boolean', default: false },
    isolated: { type: 'boolean', default: false },
    secrets: { type: 'string', default: 'encrypted-file' },
  },
});
const modes = values['in-process'] || values.isolated ? [values['in-process'] && 'in-process', values.isolated && 'isolated'] : ['in-process', 'isolated'];

let failed = false;
for (const mode of modes.filter((m): m is string => typeof m === 'string')) {
  const report = await runFuzz({
    calls: Number(values.calls),
    seed: Number(values.seed),
    threads: Number(values.threads),
    maxBytes: Number(values['max-bytes']),
    maxDepth: Number(values['max-depth']),
    isolate: mode === 'isolated',
    secretBackend: values.secrets as SecretStoreBackend,
    onProgress: (progress) => {
      if (progress.calls % 100_000 === 0) {
        console.log(`${mode}: ${progress.calls} calls, ${progress.crashes} crashes, ${progress.hangs} hangs, ${Math.round(progress.elapsedMs / 1000)} s, host RSS ${progress.hostRssAfter} MiB`);
      }
    },
  });
  const rate = Math.round(report.calls / (report.elapsedMs / 1000));
  const plugin = report.pluginRssBefore === undefined ? '' : `, plugin process RSS ${report.pluginRssBefore} → ${report.pluginRssAfter} MiB`;
  console.log(
    `${mode}: ${report.calls} calls (${report.answers} answers) in ${(report.elapsedMs / 1000).toFixed(1)} s (${rate}/s), ` +
      `${report.crashes} crashes, ${report.hangs} hangs, host RSS ${report.hostRssBefore} → ${report.hostRssAfter} MiB${plugin}`,
  );
  failed ||= report.crashes > 0 || report.hangs > 0;
}
process.exitCode = failed ? 1 : 0;
