// A plugin route served over HTTP by the package's own server, with a manifest from @osr-host/manifest.
import assert from 'node:assert/strict';
import { parseManifest } from '@osr-host/manifest';
import { createPluginRouter, listenPluginServer } from '@osr-host/routes';

const parsed = parseManifest(
  JSON.stringify({
    plugin_id: 'dev.osr.smoke',
    name: 'Smoke',
    version: '1.0.0',
    capabilities: { routes: [{ id: 'ping', path: '/ping', methods: ['GET'], auth: 'none' }] },
  }),
);
assert.ok(parsed.ok, JSON.stringify(parsed));
const target = {
  id: 'dev.osr.smoke',
  supportsRoutes: true,
  handleRoute: async () => ({ kind: 'returned', text: JSON.stringify({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'pong' }) }),
};
// The host's plugin directory (PluginDirectory of @osr-host/abi), of which routes read get(id).
const mounted = { id: 'dev.osr.smoke', instance: target, manifest: parsed.manifest, directory: process.cwd() };
let url = '';
const router = createPluginRouter({ plugins: { get: (id) => (id === 'dev.osr.smoke' ? mounted : undefined) }, baseUrl: () => url });
const server = await listenPluginServer(router, { port: 0, host: '127.0.0.1' });
url = server.url;
// Plugin routes run under an agent: the host names it in X-Osaurus-Agent-Id.
const headers = { 'X-Osaurus-Agent-Id': '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB' };
const response = await fetch(`${url}/plugins/dev.osr.smoke/ping`, { headers });
assert.equal(response.status, 200);
assert.equal(await response.text(), 'pong');
assert.equal((await fetch(`${url}/plugins/dev.osr.nothere/ping`, { headers })).status, 404);
await server.close();
console.log('GET /plugins/dev.osr.smoke/ping answered by the route; an unknown plugin is 404');
