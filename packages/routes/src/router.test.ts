import http from 'node:http';
import { connect } from 'node:net';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PluginInstance } from '@osr-host/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessKeyStore, type RouteServedEvent, type RouteTarget } from './index.js';
import { AGENT, errorMessage, loadFixturePlugin, OTHER_AGENT, rawRequest, type RunningSurface, scratch, serve } from './test-support/fixture.js';

const AGENT_REQUIRED = 'Plugin routes require an agent context (X-Osaurus-Agent-Id header or osr_agent query parameter)';

let fixture: Awaited<ReturnType<typeof loadFixturePlugin>>;
let second: Awaited<ReturnType<typeof loadFixturePlugin>>;
let noHandler: Awaited<ReturnType<typeof loadFixturePlugin>>;
let small: Awaited<ReturnType<typeof loadFixturePlugin>>;
let running: RunningSurface;
const events: RouteServedEvent[] = [];
const keys = new AccessKeyStore(join(scratch, 'keys', 'access-keys.json'));
const ownerKey = keys.mint('tests').key;
const plugins: PluginInstance[] = [];

/** The request JSON the echo route handed back. */
async function received(response: Response): Promise<Record<string, unknown>> {
  expect(response.status).toBe(200);
  return JSON.parse(await response.text());
}

beforeAll(async () => {
  fixture = await loadFixturePlugin();
  second = await loadFixturePlugin({ PLUGIN_ID: '"routes.second"' });
  noHandler = await loadFixturePlugin({ PLUGIN_ID: '"routes.nohandler"', NO_HANDLE_ROUTE: true });
  small = await loadFixturePlugin({ PLUGIN_ID: '"routes.small"' }, { maxStringBytes: 1024 * 1024 });
  plugins.push(fixture.plugin, second.plugin, noHandler.plugin, small.plugin);
  running = await serve([fixture, second, noHandler, small], {
    rateLimit: { capacity: 100_000 },
    routeTimeoutMs: 300,
    maxBodyBytes: 1024 * 1024,
    verifyAccessKey: (key) => keys.verify(key),
    agents: { address: (agent) => (agent === AGENT ? '0xagent' : undefined) },
    onServed: (event) => events.push(event),
  });
});

afterAll(async () => {
  await running.surface.close();
  // routes.fixture may still hold a parked handler if a test failed before releasing it.
  await fetch(`${running.surface.url}/plugins/routes.fixture/release`, { headers: { 'X-Osaurus-Agent-Id': AGENT } }).catch(() => undefined);
  await Promise.all(plugins.filter((plugin) => plugin !== fixture.plugin).map((plugin) => plugin.shutdown()));
});

describe('URL layout', () => {
  it('reaches the plugin under /plugins and the /v1, /api and /v1/api prefixes', async () => {
    for (const prefix of ['', '/v1', '/api', '/v1/api']) {
      const request = await received(await running.get(`${prefix}/plugins/routes.fixture/echo`));
      expect(request).toMatchObject({ route_id: 'echo', path: '/echo', plugin_id: 'routes.fixture' });
    }
  });

  it('answers 404 Invalid plugin route without a subpath, 400 for "..", 404 for unknown plugins', async () => {
    const invalidRoute = await running.get('/plugins/routes.fixture');
    expect([invalidRoute.status, errorMessage(await invalidRoute.text())]).toEqual([404, 'Invalid plugin route']);
    for (const path of ['/plugins/routes.fixture/../secret', '/plugins/../x/y', '/plugins/routes.fixture/a..b']) {
      const response = await rawRequest(running.surface.url, path, { headers: { 'X-Osaurus-Agent-Id': AGENT } });
      expect([response.status, errorMessage(response.body)]).toEqual([400, 'Invalid path']);
      expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    const unknown = await running.get('/plugins/nope/echo');
    expect([unknown.status, errorMessage(await unknown.text())]).toEqual([404, 'Plugin not found: nope']);
  });

  it('answers CORS preflight itself; the plugin never sees OPTIONS', async () => {
    const preflight = await running.get('/plugins/routes.fixture/echo', { method: 'OPTIONS', agent: null });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Osaurus-Agent-Id');
  });
});

describe('agent context', () => {
  it('requires a UUID agent: 401 with the upstream message when missing or malformed, checked before the plugin lookup', async () => {
    for (const [path, agent] of [
      ['/plugins/routes.fixture/echo', null],
      ['/plugins/routes.fixture/echo', 'not-a-uuid'],
      ['/plugins/routes.fixture/echo?osr_agent=123', null],
      ['/plugins/unknown.plugin/echo', null],
    ] as const) {
      const response = await running.get(path, { agent });
      expect([response.status, errorMessage(await response.text())]).toEqual([401, AGENT_REQUIRED]);
    }
  });

  it('takes ?osr_agent= (percent-decoded, any hex case); the header wins over the query; the last header wins', async () => {
    const fromQuery = await running.get(`/plugins/routes.fixture/agent?osr_agent=${AGENT.toLowerCase().replace(/-/g, '%2D')}`, { agent: null });
    expect(await fromQuery.text()).toBe(AGENT.toLowerCase());
    const headerWins = await running.get(`/plugins/routes.fixture/agent?osr_agent=${OTHER_AGENT}`);
    expect(await headerWins.text()).toBe(AGENT);
    const badHeaderWins = await running.get(`/plugins/routes.fixture/agent?osr_agent=${OTHER_AGENT}`, { agent: 'garbage' });
    expect(badHeaderWins.status).toBe(401);
    const lastHeader = await rawRequest(running.surface.url, '/plugins/routes.fixture/agent', {
      headers: [
        ['X-Osaurus-Agent-Id', OTHER_AGENT],
        ['x-osaurus-agent-id', AGENT],
      ],
    });
    expect(lastHeader.body.toString()).toBe(AGENT);
  });

  it('runs handle_route under the agent frame (host->get_active_agent_id sees it)', async () => {
    const response = await running.get('/plugins/routes.fixture/agent', { agent: OTHER_AGENT });
    expect([response.status, await response.text()]).toEqual([200, OTHER_AGENT]);
  });
});

describe('route matching', () => {
  it.each([
    ['/items/featured', 'items_featured', {}],
    ['/items/42', 'items_by_id', { id: '42' }],
    ['/items/abc/extra', 'items_any', {}],
    ['/items', 'items_any', {}],
    ['/posts/hello%20world', 'posts_by_name', { name: 'hello world' }],
    ['/posts/%E2%9C%93%2Fslash', 'posts_by_name', { name: '✓/slash' }],
    ['/app', 'app_any', {}],
    ['/app/a/b', 'app_any', {}],
  ])('%s → %s %j', async (path, routeId, params) => {
    expect(await received(await running.get(`/plugins/routes.fixture${path}`))).toMatchObject({ route_id: routeId, path_params: params, path });
  });

  it('compares paths case-sensitively and methods case-insensitively; a route path without "/" matches', async () => {
    expect((await running.get('/plugins/routes.fixture/ECHO')).status).toBe(404);
    expect(errorMessage(await (await running.get('/plugins/routes.fixture/missing')).text())).toBe('No matching route');
    // items/:id is declared without a leading "/" and with methods ["get", "POST"].
    const posted = await received(await running.get('/plugins/routes.fixture/items/7', { method: 'POST', body: 'x' }));
    expect(posted).toMatchObject({ route_id: 'items_by_id', method: 'POST' });
    expect(await received(await running.get('/plugins/routes.fixture/items/8'))).toMatchObject({ route_id: 'items_by_id', method: 'GET' });
    expect((await running.get('/plugins/routes.fixture/items/featured', { method: 'DELETE' })).status).toBe(404);
  });
});

describe('request JSON', () => {
  it('carries every upstream field with sorted keys, lower-cased headers and the raw query', async () => {
    const response = await running.get('/plugins/routes.fixture/echo?a=1&b=x+y&c&a=2&k%20ey=v%3Dw&osr_agent=ignored', {
      method: 'PUT',
      headers: { 'X-Custom-Header': 'Value', 'Content-Type': 'text/plain' },
      body: 'héllo',
    });
    const text = await response.text();
    const request = JSON.parse(text);
    expect(Object.keys(request)).toEqual([...Object.keys(request)].sort());
    expect(request).toMatchObject({
      body: 'héllo',
      body_encoding: 'utf8',
      method: 'PUT',
      path: '/echo',
      path_params: {},
      plugin_id: 'routes.fixture',
      query: { a: '2', b: 'x+y', c: '', 'k ey': 'v=w', osr_agent: 'ignored' },
      remote_addr: '',
      route_id: 'echo',
      osaurus: { agent_address: '0xagent', base_url: running.surface.url, plugin_url: `${running.surface.url}/plugins/routes.fixture` },
    });
    expect(request.headers).toMatchObject({ 'x-custom-header': 'Value', 'content-type': 'text/plain', 'x-osaurus-agent-id': AGENT });
    expect(response.headers.get('x-route')).toBe('echo');
  });

  it('sends bodies that are not UTF-8 as base64, byte for byte', async () => {
    const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x41, 0xc3, 0x28]);
    const request = await received(await running.get('/plugins/routes.fixture/echo', { method: 'POST', body: bytes }));
    expect(request).toMatchObject({ body_encoding: 'base64' });
    expect(Buffer.from(request.body as string, 'base64')).toEqual(bytes);
    const empty = await received(await running.get('/plugins/routes.fixture/echo'));
    expect(empty).toMatchObject({ body: '', body_encoding: 'utf8' });
  });
});

describe('response JSON', () => {
  it('sends the status, CORS then plugin headers, the body and Content-Length', async () => {
    const response = await rawRequest(running.surface.url, '/plugins/routes.fixture/teapot', { headers: { 'X-Osaurus-Agent-Id': AGENT } });
    expect(response.status).toBe(418);
    expect(response.body.toString()).toBe('short and stout');
    const names = response.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
    expect(names.indexOf('access-control-allow-origin')).toBeLessThan(names.indexOf('x-teapot'));
    expect(names.indexOf('x-teapot')).toBeLessThan(names.indexOf('content-length'));
    expect(response.headers).toMatchObject({ 'x-teapot': 'short', 'content-length': '15' });
  });

  it('answers several requests on one kept-alive connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const reused: boolean[] = [];
    try {
      for (let index = 0; index < 3; index++) {
        await new Promise<void>((resolve, reject) => {
          const request = http.get(`${running.surface.url}/plugins/routes.fixture/teapot`, { agent, headers: { 'X-Osaurus-Agent-Id': AGENT } }, (response) => {
            reused.push(request.reusedSocket);
            response.resume().on('end', resolve).on('error', reject);
          });
          request.on('error', reject);
        });
      }
    } finally {
      agent.destroy();
    }
    expect(reused).toEqual([false, true, true]);
  });

  it('decodes base64 bodies to bytes; 204 carries no body', async () => {
    const binary = await running.get('/plugins/routes.fixture/binary');
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x80]));
    expect(binary.headers.get('content-type')).toBe('application/octet-stream');
    const empty = await running.get('/plugins/routes.fixture/empty');
    expect([empty.status, await empty.text()]).toEqual([204, '']);
  });

  it.each([
    ['/bad_base64', 502, 'Plugin response declared body_encoding=base64 but the body is not valid base64.'],
    ['/null', 500, 'Plugin error: Plugin route handler returned NULL'],
    ['/not_json', 500, 'Invalid plugin response'],
    ['/no_status', 500, 'Invalid plugin response'],
    ['/bad_status', 500, 'Invalid plugin response'],
  ])('%s → %i %s', async (path, status, message) => {
    const response = await running.get(`/plugins/routes.fixture${path}`);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect([response.status, errorMessage(await response.text())]).toEqual([status, message]);
  });

  it('refuses a response over the runtime string limit with 500 and keeps serving', async () => {
    const big = await running.get('/plugins/routes.small/big');
    expect(big.status).toBe(500);
    expect(errorMessage(await big.text())).toMatch(/^Plugin error: Plugin response of \d+ bytes is over the host's limit$/);
    expect((await running.get('/plugins/routes.small/echo')).status).toBe(200);
  });

  it('answers HEAD without a body: as HEAD to a route that lists it, as GET to a GET route', async () => {
    const head = await rawRequest(running.surface.url, '/plugins/routes.fixture/echo', { method: 'HEAD', headers: { 'X-Osaurus-Agent-Id': AGENT } });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect(head.body.length).toBe(0);
    const teapot = await rawRequest(running.surface.url, '/plugins/routes.fixture/teapot', { method: 'HEAD', headers: { 'X-Osaurus-Agent-Id': AGENT } });
    expect([teapot.status, teapot.headers['x-teapot'], teapot.headers['content-length'], teapot.body.length]).toEqual([418, 'short', '15', 0]);
    expect(events.at(-1)).toMatchObject({ kind: 'route', routeId: 'teapot', method: 'HEAD', status: 418 });
    const asGet = await rawRequest(running.surface.url, '/plugins/routes.fixture/items/9', { method: 'HEAD', headers: { 'X-Osaurus-Agent-Id': AGENT } });
    expect([asGet.status, asGet.body.length]).toEqual([200, 0]);
    expect(Number(asGet.headers['content-length'])).toBeGreaterThan(0);
    expect((await running.get('/plugins/routes.fixture/webhook', { method: 'HEAD' })).status).toBe(404);
  });
});

describe('errors and timeouts', () => {
  it('answers 501 for a plugin without handle_route', async () => {
    const response = await running.get('/plugins/routes.nohandler/echo');
    expect([response.status, errorMessage(await response.text())]).toEqual([501, 'Plugin does not support route handling']);
  });

  it('answers 501 for an ABI 1 target', async () => {
    let called = false;
    const v1: RouteTarget = {
      id: 'routes.v1',
      supportsRoutes: false,
      handleRoute: async () => {
        called = true;
        return { kind: 'null' };
      },
    };
    const surface = await serve([{ id: 'routes.v1', instance: v1, manifest: { ...fixture.manifest, plugin_id: 'routes.v1' }, directory: fixture.directory }]);
    try {
      const response = await surface.get('/plugins/routes.v1/echo');
      expect([response.status, errorMessage(await response.text()), called]).toEqual([501, 'Plugin does not support route handling', false]);
    } finally {
      await surface.surface.close();
    }
  });

  it('releases the caller at the timeout while the C handler stays blocked; other routes and plugins keep answering (D16)', async () => {
    const blocked = running.get('/plugins/routes.fixture/block');
    const timedOut = await blocked;
    expect([timedOut.status, errorMessage(await timedOut.text())]).toEqual([500, 'Plugin error: Plugin route handler timed out after 0.3s']);
    expect((await running.get('/plugins/routes.second/echo')).status).toBe(200);
    expect((await running.get('/plugins/routes.fixture/echo')).status).toBe(200);
    // The handler was still parked when its caller got the 500: release finds it.
    const release = await running.get('/plugins/routes.fixture/release');
    expect(await release.text()).toBe('1');
  });

  it('answers 500 Plugin has been shut down after shutdown', async () => {
    const gone = await loadFixturePlugin({ PLUGIN_ID: '"routes.gone"' });
    await gone.plugin.shutdown();
    const surface = await serve([gone]);
    try {
      const response = await surface.get('/plugins/routes.gone/echo');
      expect([response.status, errorMessage(await response.text())]).toEqual([500, 'Plugin error: Plugin has been shut down']);
    } finally {
      await surface.surface.close();
    }
  });
});

describe('auth, rate limit and tunnel exposure', () => {
  it('owner routes need a minted access key as Bearer token; revoked keys stop working', async () => {
    expect((await running.get('/plugins/routes.fixture/owner')).status).toBe(401);
    const wrong = await running.get('/plugins/routes.fixture/owner', { headers: { Authorization: 'Bearer osk-v1-wrong' } });
    expect([wrong.status, errorMessage(await wrong.text())]).toEqual([401, 'Authentication required']);
    const minted = keys.mint('temporary');
    expect((await received(await running.get('/plugins/routes.fixture/owner', { headers: { Authorization: `Bearer ${minted.key}` } })))).toMatchObject({
      route_id: 'owner_only',
    });
    keys.revoke(minted.id);
    expect((await running.get('/plugins/routes.fixture/owner', { headers: { Authorization: `Bearer ${minted.key}` } })).status).toBe(401);
    expect((await running.get('/plugins/routes.fixture/owner', { headers: { Authorization: `bearer ${ownerKey}` } })).status).toBe(200);
  });

  it('rate-limits none and verify routes per plugin (shared by agents), not owner routes, not other plugins', async () => {
    const limited = await serve([fixture, second], { rateLimit: { capacity: 3, refillPerSecond: 1e-9 }, verifyAccessKey: (key) => keys.verify(key) });
    try {
      const statuses = [
        (await limited.get('/plugins/routes.fixture/echo')).status,
        (await limited.get('/plugins/routes.fixture/webhook', { method: 'POST', agent: OTHER_AGENT })).status,
        (await limited.get('/plugins/routes.fixture/echo', { agent: OTHER_AGENT })).status,
      ];
      const over = await limited.get('/plugins/routes.fixture/echo');
      expect([...statuses, over.status]).toEqual([200, 200, 200, 429]);
      expect(errorMessage(await over.text())).toBe('Rate limit exceeded');
      expect((await limited.get('/plugins/routes.fixture/owner', { headers: { Authorization: `Bearer ${ownerKey}` } })).status).toBe(200);
      expect((await limited.get('/plugins/routes.second/echo')).status).toBe(200);
    } finally {
      await limited.surface.close();
    }
  });

  it('lets relay traffic reach only tunnel_exposed routes; the web UI is 404 unless exposed', async () => {
    const relay = { 'X-Osaurus-Relay-Origin': '1' };
    const hidden = await running.get('/plugins/routes.fixture/echo', { headers: relay });
    expect([hidden.status, errorMessage(await hidden.text())]).toEqual([404, 'No matching route']);
    expect(await received(await running.get('/plugins/routes.fixture/public', { headers: relay }))).toMatchObject({ route_id: 'public' });
    expect((await running.get('/plugins/routes.fixture/ui/', { headers: relay })).status).toBe(404);
  });

  it('treats every request as tunnel traffic when loopback is not trusted', async () => {
    const untrusted = await serve([fixture], { trustLoopback: false, rateLimit: { capacity: 1000 } });
    try {
      expect((await untrusted.get('/plugins/routes.fixture/echo')).status).toBe(404);
      expect((await untrusted.get('/plugins/routes.fixture/public')).status).toBe(200);
    } finally {
      await untrusted.surface.close();
    }
  });
});

describe('static web UI', () => {
  it('serves the entry at the mount with the window.__osaurus script before </head>', async () => {
    for (const path of ['/ui', '/ui/']) {
      const response = await running.get(`/plugins/routes.fixture${path}?osr_agent=${AGENT}`, { agent: null });
      const page = await response.text();
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
      expect(page.indexOf('window.__osaurus')).toBeLessThan(page.indexOf('</HEAD>'));
      expect(page).toContain('apiUrl: "/plugins/routes.fixture/api"');
      expect(page).toContain(`agentId: "${AGENT}"`);
    }
  });

  it('serves files with upstream MIME types, decodes percent-escapes, and falls back to the entry (SPA)', async () => {
    const script = await running.get('/plugins/routes.fixture/ui/assets/app.js');
    expect([script.status, script.headers.get('content-type')]).toEqual([200, 'application/javascript; charset=utf-8']);
    expect(await script.text()).not.toContain('window.__osaurus = {');
    const spaced = await running.get('/plugins/routes.fixture/ui/notes%20with%20space.txt');
    expect([spaced.headers.get('content-type'), await spaced.text()]).toEqual(['text/plain; charset=utf-8', 'plain text\n']);
    const deepLink = await running.get('/plugins/routes.fixture/ui/settings/profile');
    expect(await deepLink.text()).toContain('<title>Route fixture</title>');
    expect((await running.get('/plugins/routes.fixture/ui/assets')).status).toBe(200);
  });

  it("takes a web file's agent from a Referer inside the same web UI, never a route's", async () => {
    const page = `${running.surface.url}/plugins/routes.fixture/ui/?osr_agent=${AGENT}`;
    const asset = await running.get('/plugins/routes.fixture/ui/assets/style.css', { agent: null, headers: { Referer: page } });
    expect(asset.status).toBe(200);
    const route = await running.get('/plugins/routes.fixture/api/hello', { agent: null, headers: { Referer: page } });
    expect(route.status).toBe(401);
    const otherPlugin = `${running.surface.url}/plugins/routes.second/ui/?osr_agent=${AGENT}`;
    expect((await running.get('/plugins/routes.fixture/ui/assets/style.css', { agent: null, headers: { Referer: otherPlugin } })).status).toBe(401);
  });

  it('matches the mount by whole segments: /ui-other is routed, not served', async () => {
    const response = await running.get('/plugins/routes.fixture/ui-other');
    expect([response.status, errorMessage(await response.text())]).toEqual([404, 'No matching route']);
  });

  it('refuses traversal: encoded dots, backslashes, NUL, and symlinks out of the web directory', async () => {
    const web = join(fixture.directory, 'web');
    writeFileSync(join(fixture.directory, 'secret.txt'), 'top secret');
    symlinkSync(join(fixture.directory, 'secret.txt'), join(web, 'leak.txt'));
    mkdirSync(join(web, 'nested'));
    symlinkSync(fixture.directory, join(web, 'nested', 'up'));
    symlinkSync(join(web, 'assets', 'style.css'), join(web, 'inside.css'));
    const statusOf = async (path: string) => {
      const response = await rawRequest(running.surface.url, `/plugins/routes.fixture/ui/${path}`, { headers: { 'X-Osaurus-Agent-Id': AGENT } });
      return [response.status, response.body.toString().includes('top secret') ? 'LEAKED' : 'ok'];
    };
    expect(await statusOf('%2e%2e/secret.txt')).toEqual([400, 'ok']);
    expect(await statusOf('%2E%2E%2Fsecret.txt')).toEqual([400, 'ok']);
    expect(await statusOf('assets/%2e%2e/%2e%2e/secret.txt')).toEqual([400, 'ok']);
    expect(await statusOf('..%5csecret.txt')).toEqual([400, 'ok']);
    expect(await statusOf('%5c..%5csecret.txt')).toEqual([400, 'ok']);
    expect(await statusOf('index.html%00.txt')).toEqual([400, 'ok']);
    expect(await statusOf('%E0%A4%A')).toEqual([400, 'ok']);
    expect(await statusOf('leak.txt')).toEqual([403, 'ok']);
    expect(await statusOf('nested/up/secret.txt')).toEqual([403, 'ok']);
    expect(await statusOf('inside.css')).toEqual([200, 'ok']);
    rmSync(join(web, 'leak.txt'));
  });

  it('answers 404 File not found when neither the file nor the entry exists', async () => {
    const surface = await serve([{ ...fixture, manifest: { ...fixture.manifest, capabilities: { ...fixture.manifest.capabilities, web: { static_dir: 'web', entry: 'missing.html', mount: '/ui', auth: 'none' } } } }]);
    try {
      const response = await surface.get('/plugins/routes.fixture/ui/nothing-here');
      expect([response.status, errorMessage(await response.text())]).toEqual([404, 'File not found']);
    } finally {
      await surface.surface.close();
    }
  });

  it('requires an access key for an owner web UI; none and verify UIs are not rate-limited', async () => {
    const webWith = (auth: 'owner' | 'none') => ({ ...fixture, manifest: { ...fixture.manifest, capabilities: { ...fixture.manifest.capabilities, web: { static_dir: 'web', entry: 'index.html', mount: '/', auth } } } });
    const owner = await serve([webWith('owner')], { verifyAccessKey: (key) => keys.verify(key) });
    const open = await serve([webWith('none')], { rateLimit: { capacity: 1, refillPerSecond: 1e-9 } });
    try {
      expect((await owner.get('/plugins/routes.fixture/')).status).toBe(401);
      expect((await owner.get('/plugins/routes.fixture/', { headers: { Authorization: `Bearer ${ownerKey}` } })).status).toBe(200);
      const statuses = await Promise.all([1, 2, 3].map(async () => (await open.get('/plugins/routes.fixture/anything')).status));
      expect(statuses).toEqual([200, 200, 200]);
    } finally {
      await owner.surface.close();
      await open.surface.close();
    }
  });
});

describe('bad input', () => {
  it('answers 413 for a declared body over the limit and for a chunked body that grows past it; others keep answering', async () => {
    const declared = await new Promise<string>((resolve, reject) => {
      const socket = connect(running.surface.port, '127.0.0.1', () => {
        socket.write(`POST /plugins/routes.fixture/echo HTTP/1.1\r\nHost: x\r\nX-Osaurus-Agent-Id: ${AGENT}\r\nContent-Length: ${64 * 1024 * 1024}\r\n\r\n`);
      });
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(declared).toMatch(/^HTTP\/1\.1 413 /);
    expect(declared).toContain(`Request body is larger than ${1024 * 1024} bytes`);
    const chunked = await rawRequest(running.surface.url, '/plugins/routes.fixture/echo', {
      method: 'POST',
      headers: { 'X-Osaurus-Agent-Id': AGENT, 'Transfer-Encoding': 'chunked' },
      body: Buffer.alloc(1024 * 1024 + 1, 0x61),
    });
    expect(chunked.status).toBe(413);
    expect((await running.get('/plugins/routes.fixture/echo', { method: 'POST', body: Buffer.alloc(1024 * 1024, 0x61) })).status).toBe(200);
  });

  it('answers 431 for too many headers and for headers over the byte limit', async () => {
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, index) => [`x-h${index}`, 'v']));
    const tooMany = await rawRequest(running.surface.url, '/plugins/routes.fixture/echo', { headers: { ...many, 'X-Osaurus-Agent-Id': AGENT } });
    expect([tooMany.status, errorMessage(tooMany.body)]).toEqual([431, 'Request header fields too large']);
    const small = await serve([fixture], {}, { maxHeaderBytes: 8 * 1024 });
    try {
      const huge = await rawRequest(small.surface.url, '/plugins/routes.fixture/echo', { headers: { 'X-Osaurus-Agent-Id': AGENT, 'X-Big': 'a'.repeat(16 * 1024) } });
      expect(huge.status).toBe(431);
      expect((await small.get('/plugins/routes.fixture/echo')).status).toBe(200);
    } finally {
      await small.surface.close();
    }
  });

  it('drops a slowloris body at the request deadline while other requests are served meanwhile', async () => {
    const slow = await serve([fixture], { rateLimit: { capacity: 1000 } }, { requestTimeoutMs: 500, checkIntervalMs: 100 });
    try {
      const slowAnswer = new Promise<string>((resolve) => {
        const socket = connect(slow.surface.port, '127.0.0.1', () => {
          socket.write(`POST /plugins/routes.fixture/echo HTTP/1.1\r\nHost: x\r\nX-Osaurus-Agent-Id: ${AGENT}\r\nContent-Length: 1000\r\n\r\nab`);
        });
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      expect((await slow.get('/plugins/routes.fixture/echo')).status).toBe(200);
      expect(await slowAnswer).toMatch(/^HTTP\/1\.1 408 |^$/);
    } finally {
      await slow.surface.close();
    }
  });

  it('survives hostile URLs: bad escapes, long paths, odd bytes', async () => {
    const statuses: number[] = [];
    for (const path of [
      '/plugins/routes.fixture/posts/%E0%A4%A',
      `/plugins/routes.fixture/${'a/'.repeat(5000)}`,
      '/plugins/routes.fixture/echo?%%%=%zz&=&&',
      '/plugins/%00/echo',
      '/plugins/routes.fixture/items/%00',
      '/v1/api/plugins//echo',
    ]) {
      statuses.push((await rawRequest(running.surface.url, path, { headers: { 'X-Osaurus-Agent-Id': AGENT } })).status);
    }
    expect(statuses).toEqual([200, 404, 200, 404, 200, 404]);
    expect(await received(await running.get('/plugins/routes.fixture/echo?%%%=%zz'))).toMatchObject({ query: { '%%%': '%zz' } });
  });
});

describe('instrumentation', () => {
  it('reports each answered request with its kind, route, agent and status', async () => {
    events.length = 0;
    await (await running.get('/plugins/routes.fixture/teapot')).text();
    await (await running.get('/plugins/routes.fixture/ui/')).text();
    await (await running.get('/plugins/routes.fixture/echo', { agent: null })).text();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events.map(({ kind, pluginId, routeId, agentId, status, error }) => ({ kind, pluginId, routeId, agentId, status, error }))).toEqual([
      { kind: 'route', pluginId: 'routes.fixture', routeId: 'teapot', agentId: AGENT, status: 418, error: null },
      { kind: 'web', pluginId: 'routes.fixture', routeId: null, agentId: AGENT, status: 200, error: null },
      { kind: 'rejected', pluginId: 'routes.fixture', routeId: null, agentId: null, status: 401, error: AGENT_REQUIRED },
    ]);
    expect(events.every((event) => event.durationMs >= 0)).toBe(true);
  });
});

describe('isolated plugins', () => {
  it('answers 502 when the plugin process crashes in handle_route, and serves again after the restart', async () => {
    const isolated = await loadFixturePlugin({}, { isolated: true });
    const surface = await serve([isolated], { rateLimit: { capacity: 100_000 } });
    try {
      const crashed = await surface.get('/plugins/routes.fixture/crash');
      expect(crashed.status).toBe(502);
      expect(errorMessage(await crashed.text())).toMatch(/crashed \(SIGSEGV\)/);
      const echoed = await received(await surface.get('/plugins/routes.fixture/echo'));
      expect(echoed).toMatchObject({ plugin_id: 'routes.fixture' });
    } finally {
      await surface.surface.close();
      await isolated.plugin.shutdown();
    }
  });
});
