// The SSRF guard refuses a loopback server, and lets it through once the operator allow-lists it.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNet } from '@osr-host/net';

const server = createServer((_req, res) => res.end('pong')).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const target = `127.0.0.1:${server.address().port}`;
const home = mkdtempSync(join(tmpdir(), 'osr-smoke-net-'));
const ctx = { pluginId: 'dev.osr.smoke', agentId: null };
const request = JSON.stringify({ method: 'GET', url: `http://${target}/` });

const refused = JSON.parse(await createNet({ home }).httpRequest(ctx, request));
assert.equal(refused.error, 'ssrf_blocked', JSON.stringify(refused));
assert.equal(refused.reason, 'loopback');
const allowed = JSON.parse(await createNet({ home, allow: [target] }).httpRequest(ctx, request));
assert.equal(allowed.status, 200, JSON.stringify(allowed));
server.close();
console.log(`http_request to ${target} refused (ssrf_blocked, loopback), then served once allow-listed`);
