/**
 * The soak run: `npm run soak -w osr-host -- [--seconds N] [--warm-up N] [--concurrency N]`
 * (default 60 s measured after 30 s of warm-up, 8 in flight). Drives `osr-host serve` on loopback
 * with plugin-route requests and MCP tool calls and prints requests/s, errors, p50/p99 latency and
 * serve's resident memory at the end of the warm-up, through the run and at the end.
 * Goal: 0 errors and RSS growth under 10 %.
 */
import { parseArgs } from 'node:util';
import { runSoak, startSoakServe } from '../src/test-support/soak.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    'warm-up': { type: 'string', default: '30' },
    concurrency: { type: 'string', default: '8' },
  },
});
const serve = await startSoakServe();
try {
  const report = await runSoak(serve, {
    durationMs: Number(values.seconds) * 1000,
    warmUpMs: Number(values['warm-up']) * 1000,
    concurrency: Number(values.concurrency),
  });
  console.log(
    `soak: ${report.requests} requests in ${report.seconds} s (${report.routeRequests} route, ${report.mcpCalls} MCP), ` +
      `${report.requestsPerSecond} req/s, ${report.errors} errors, p50 ${report.p50Ms} ms, p99 ${report.p99Ms} ms, ` +
      `serve RSS ${report.rssStartMib} → ${report.rssEndMib} MiB (${report.rssGrowthPercent > 0 ? '+' : ''}${report.rssGrowthPercent} %; every ${Number(values.seconds) / 10} s: ${report.rssSamplesMib.join(', ')})`,
  );
  process.exitCode = report.errors === 0 && report.rssGrowthPercent < 10 ? 0 : 1;
} finally {
  serve.stop();
}
