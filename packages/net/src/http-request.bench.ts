import http from 'node:http';
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { createNet, type Net, SlidingWindowRateLimiter } from './index.js';
import { startServer, type TestServer } from './test-support/servers.js';

const ctx = { pluginId: 'com.example.bench', agentId: null };
let server: TestServer;
let net: Net;
let request: string;
const keepAlive = new http.Agent({ keepAlive: true });

function plainGet(agent: http.Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    http
      .get(`${server.origin}/`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  server = await startServer((_req, res) => res.end('{"ok":true}'), { maxRequests: 1_000_000, lifetimeMs: 300_000 });
  // The bench measures the guard and transport, not the per-plugin rate limit.
  net = createNet({
    home: '/nonexistent',
    allow: [server.allowEntry],
    rateLimiter: new SlidingWindowRateLimiter({ limit: Number.MAX_SAFE_INTEGER }),
  });
  request = JSON.stringify({ method: 'GET', url: `${server.origin}/` });
});

afterAll(async () => {
  keepAlive.destroy();
  await server.close();
});

describe('GET to a loopback server', () => {
  bench('httpRequest through the SSRF guard', async () => {
    await net.httpRequest(ctx, request);
  });

  bench('plain node:http, fresh connection (same transport shape)', async () => {
    await plainGet(false);
  });

  bench('plain node:http, keep-alive agent', async () => {
    await plainGet(keepAlive);
  });
});
