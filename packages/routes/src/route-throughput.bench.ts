import http from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { bench, describe } from 'vitest';
import { AGENT, loadFixturePlugin, serve } from './test-support/fixture.js';

// One autocannon run per server in the same process: requests/second and p99 through the plugin
// surface (agent check, matching, request JSON, handle_route, response mapping) against a bare
// node:http handler that calls the same C handle_route with a fixed request.
const DURATION_S = Number(process.env.ROUTES_BENCH_SECONDS ?? 5);
const CONNECTIONS = 16;

describe('route round trip through a C handle_route', async () => {
  const fixture = await loadFixturePlugin({ PLUGIN_ID: '"routes.bench"' });
  const running = await serve([fixture], { rateLimit: { capacity: Number.MAX_SAFE_INTEGER } });
  const fixedRequest = JSON.stringify({ route_id: 'teapot', method: 'GET', path: '/teapot' });
  const raw = http.createServer(async (_request, response) => {
    const outcome = await fixture.plugin.handleRoute(fixedRequest, { agentId: AGENT });
    response.end(outcome.kind === 'returned' ? outcome.text : '');
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  const rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/`;

  bench(
    'plugin surface vs raw node:http (autocannon)',
    async () => {
      const surface = await autocannon({
        url: `${running.surface.url}/plugins/routes.bench/teapot`,
        connections: CONNECTIONS,
        duration: DURATION_S,
        headers: { 'X-Osaurus-Agent-Id': AGENT },
      });
      const direct = await autocannon({ url: rawUrl, connections: CONNECTIONS, duration: DURATION_S });
      console.log(
        [
          `plugin surface: ${surface.requests.average.toFixed(0)} req/s, p99 ${surface.latency.p99} ms, non-2xx ${surface.non2xx} (418 expected), errors ${surface.errors}`,
          `raw node:http:  ${direct.requests.average.toFixed(0)} req/s, p99 ${direct.latency.p99} ms, errors ${direct.errors}`,
          `throughput ratio surface/raw: ${(surface.requests.average / direct.requests.average).toFixed(2)}`,
        ].join('\n'),
      );
      raw.close();
      await running.surface.close();
    },
    { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 },
  );
});
