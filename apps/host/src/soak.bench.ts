import { afterAll, bench, describe } from 'vitest';
import { connectMcp, mcpCall, routeRequest, runSoak, startSoakServe } from './test-support/soak.js';

// `serve` in a child process on loopback; `npm run soak -w osr-host` runs the full 60 s soak.
const serve = await startSoakServe();
const client = await connectMcp(serve);

afterAll(async () => {
  await client.close();
  serve.stop();
});

describe('serve: a plugin route and an MCP tool call vs /health (one request at a time)', () => {
  bench('/health (baseline)', async () => {
    await (await fetch(`${serve.origin}/health`)).arrayBuffer();
  });
  bench('plugin route (owner auth, native handler)', async () => {
    if (!(await routeRequest(serve))) throw new Error('route request failed');
  });
  bench('MCP tools/call (native tool)', async () => {
    if (!(await mcpCall(client))) throw new Error('MCP call failed');
  });
});

describe('soak: 10 s of route and MCP load after 5 s of warm-up, 8 in flight', () => {
  bench(
    'route + MCP mix',
    async () => {
      const report = await runSoak(serve, { durationMs: 10_000, warmUpMs: 5_000 });
      console.log(`soak: ${JSON.stringify(report)}`);
      if (report.errors > 0) throw new Error(`${report.errors} requests failed`);
    },
    { iterations: 1, time: 0, warmupIterations: 0, warmupTime: 0 },
  );
});
