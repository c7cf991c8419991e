import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createInsightsDashboard, type DashboardOptions, type InsightsDashboard } from './dashboard.js';
import type { ActivityStore } from './store.js';
import { hostCall, tempStore } from './test-support/store.js';
import { WarningLog } from './warnings.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>';

async function serve(options: DashboardOptions = {}): Promise<{ store: ActivityStore; dashboard: InsightsDashboard; origin: string }> {
  const opened = tempStore();
  cleanups.push(opened.dispose);
  const dashboard = createInsightsDashboard(opened.store, { pollIntervalMs: 10, ...options });
  const server: Server = createServer((request, response) => {
    if (!dashboard.handle(request, response)) {
      response.writeHead(418);
      response.end('host route');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    dashboard.close();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { store: opened.store, dashboard, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function login(origin: string, dashboard: InsightsDashboard): Promise<string> {
  const response = await fetch(dashboard.loginUrl(origin), { redirect: 'manual' });
  expect(response.status).toBe(303);
  expect(response.headers.get('location')).toBe('/insights');
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('Insights dashboard: access', () => {
  it('serves only after the one-time token, which works once', async () => {
    const { dashboard, origin } = await serve();
    expect((await fetch(`${origin}/insights/api/rows`)).status).toBe(401);
    const cookie = await login(origin, dashboard);
    expect((await fetch(`${origin}/insights/api/rows`, { headers: { cookie } })).status).toBe(200);
    const again = await fetch(dashboard.loginUrl(origin), { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect((await fetch(`${origin}/insights/api/rows`, { headers: { cookie: 'osr_insights_session=guessed' } })).status).toBe(401);
  });

  it('keeps a browser session for days, mints fresh one-time links and shows a browser how to get one', async () => {
    let clock = Date.parse('2026-12-01T10:00:00Z');
    const { dashboard, origin } = await serve({ now: () => clock, sessionTtlMs: 3_600_000, linkTtlMs: 60_000 });
    const cookieLine = (await fetch(dashboard.loginUrl(origin), { redirect: 'manual' })).headers.get('set-cookie')!;
    expect(cookieLine).toMatch(/Max-Age=3600(;|$)/);
    const cookie = cookieLine.split(';')[0]!;
    clock += 3_599_000;
    expect((await fetch(`${origin}/insights/api/rows`, { headers: { cookie } })).status).toBe(200);
    clock += 2_000;
    expect((await fetch(`${origin}/insights/api/rows`, { headers: { cookie } })).status).toBe(401);

    const used = await fetch(dashboard.loginUrl(origin), { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(used.status).toBe(401);
    expect(used.headers.get('content-type')).toContain('text/html');
    expect(await used.text()).toContain('<code>osr-host insights link</code>');

    const fresh = dashboard.newLoginUrl(origin);
    expect(fresh).not.toBe(dashboard.loginUrl(origin));
    expect((await fetch(fresh, { redirect: 'manual' })).status).toBe(303);
    expect((await fetch(fresh, { redirect: 'manual' })).status).toBe(401);
    const stale = dashboard.newLoginUrl(origin);
    clock += 61_000;
    expect((await fetch(stale, { redirect: 'manual' })).status).toBe(401);
  });

  it('accepts the host access key as a bearer header or a login token, and refuses a wrong one', async () => {
    const { origin } = await serve({ accessKey: 'osk-test-key' });
    expect((await fetch(`${origin}/insights/api/stats`, { headers: { authorization: 'Bearer osk-test-key' } })).status).toBe(200);
    expect((await fetch(`${origin}/insights/api/stats`, { headers: { authorization: 'Bearer osk-wrong' } })).status).toBe(401);
    const first = await fetch(`${origin}/insights?token=osk-test-key`, { redirect: 'manual' });
    const second = await fetch(`${origin}/insights?token=osk-test-key`, { redirect: 'manual' });
    expect([first.status, second.status]).toEqual([303, 303]);
  });

  it('leaves other paths to the host and refuses writes', async () => {
    const { origin } = await serve();
    expect((await fetch(`${origin}/insightsx`)).status).toBe(418);
    expect((await fetch(`${origin}/plugins/a`)).status).toBe(418);
    expect((await fetch(`${origin}/insights/api/rows`, { method: 'POST' })).status).toBe(405);
  });
});

describe('Insights dashboard: content', () => {
  it('serves a self-contained page under a strict CSP with no plugin text in it', async () => {
    const { store, dashboard, origin } = await serve();
    store.record(hostCall({ slot: 'log', pluginId: HOSTILE, args: [HOSTILE] }));
    store.flush();
    const cookie = await login(origin, dashboard);
    const page = await fetch(`${origin}/insights`, { headers: { cookie } });
    const html = await page.text();
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'/);
    expect(html).not.toContain('alert(');
    expect(html).not.toMatch(/<script(?! nonce=)/);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('serves uPlot from the mount, behind the same access check, to tags carrying the nonce', async () => {
    const { dashboard, origin } = await serve();
    const cookie = await login(origin, dashboard);
    const page = await fetch(`${origin}/insights`, { headers: { cookie } });
    const nonce = /script-src 'nonce-([^']+)'/.exec(page.headers.get('content-security-policy')!)![1]!;
    const html = await page.text();
    const [, scriptNonce, script] = /<script nonce="([^"]+)" src="(\/insights\/assets\/uplot\.[0-9a-f]{12}\.js)"><\/script>/.exec(html) ?? [];
    const [, styleNonce, style] = /<link nonce="([^"]+)" rel="stylesheet" href="(\/insights\/assets\/uplot\.[0-9a-f]{12}\.css)">/.exec(html) ?? [];
    expect([scriptNonce, styleNonce]).toEqual([nonce, nonce]);
    const js = await fetch(`${origin}${script}`, { headers: { cookie } });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toContain('uPlot');
    const css = await fetch(`${origin}${style}`, { headers: { cookie } });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.uplot');
    expect((await fetch(`${origin}${script}`)).status).toBe(401);
    expect((await fetch(`${origin}/insights/assets/uplot.000000000000.js`, { headers: { cookie } })).status).toBe(404);
  });

  it('returns rows as JSON with markup characters escaped, and full bodies in the detail', async () => {
    const { store, dashboard, origin } = await serve();
    store.record(hostCall({ slot: 'log_structured', pluginId: HOSTILE, intArg: 4, status: 500, args: [HOSTILE, `{"html":"${'<'.repeat(3)}"}`] }));
    store.flush();
    const cookie = await login(origin, dashboard);
    const list = await fetch(`${origin}/insights/api/rows`, { headers: { cookie } });
    expect(list.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(list.headers.get('x-content-type-options')).toBe('nosniff');
    const text = await list.text();
    expect(text).not.toContain('<');
    const { rows } = JSON.parse(text) as { rows: { id: number; pluginId: string; requestBody?: string }[] };
    expect(rows[0]!.pluginId).toBe(HOSTILE);
    expect(rows[0]!.requestBody).toBeUndefined();
    const detail = (await (await fetch(`${origin}/insights/api/rows/${rows[0]!.id}`, { headers: { cookie } })).json()) as { requestBody: string };
    expect(detail.requestBody).toBe('{"html":"<<<"}');
    expect((await fetch(`${origin}/insights/api/rows/999`, { headers: { cookie } })).status).toBe(404);
  });

  it('applies the filters and answers a bad one with 400 and how to write it', async () => {
    const { store, dashboard, origin } = await serve();
    store.record(hostCall({ slot: 'list_models', pluginId: 'a' }));
    store.record(hostCall({ slot: 'http_request', pluginId: 'b', status: 403, args: ['{"url":"https://x.example/"}'] }));
    store.record(hostCall({ slot: 'log_structured', pluginId: 'b', intArg: 2, args: ['m', '{"user":{"id":42}}'] }));
    store.flush();
    const cookie = await login(origin, dashboard);
    const get = async (query: string) => (await (await fetch(`${origin}/insights/api/rows?${query}`, { headers: { cookie } })).json()) as { rows: { path: string }[] };
    expect((await get('plugin=b&status=400-499')).rows.map((row) => row.path)).toEqual(['/host-api/http → https://x.example/']);
    expect((await get('payload=user.id%3D42')).rows.map((row) => row.path)).toEqual(['[INFO] m']);
    expect((await get('since=1h&text=models')).rows).toHaveLength(1);
    const bad = await fetch(`${origin}/insights/api/rows?status=abc`, { headers: { cookie } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('400-499');
    const stats = (await (await fetch(`${origin}/insights/api/stats`, { headers: { cookie } })).json()) as { pluginId: string; calls: number }[];
    expect(stats.map((s) => [s.pluginId, s.calls])).toEqual([['a', 1], ['b', 1]]);
  });

  it('lists kept one-shot warnings', async () => {
    const { store, dashboard, origin } = await serve();
    new WarningLog({ store, print: () => {} }).warnOnce({ key: 'p|complete_stream|null_chunk', message: HOSTILE });
    const cookie = await login(origin, dashboard);
    const warnings = await (await fetch(`${origin}/insights/api/warnings`, { headers: { cookie } })).json();
    expect(warnings).toEqual([expect.objectContaining({ key: 'p|complete_stream|null_chunk', pluginId: 'p', message: HOSTILE })]);
  });

  it('streams new matching rows as server-sent events', async () => {
    const { store, dashboard, origin } = await serve();
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['old'] }));
    store.flush();
    const cookie = await login(origin, dashboard);
    const controller = new AbortController();
    const response = await fetch(`${origin}/insights/api/stream?after=${store.latestId()}&level=ERROR`, { headers: { cookie }, signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    store.record(hostCall({ slot: 'log', intArg: 2, args: ['info: filtered out'] }));
    store.record(hostCall({ slot: 'log', intArg: 4, status: 500, args: ['live error'] }));
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    while (!/event: rows\ndata: .*\n\n/.test(received)) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    controller.abort();
    const data = /event: rows\ndata: (.*)\n\n/.exec(received)![1]!;
    expect(JSON.parse(data).map((row: { path: string }) => row.path)).toEqual(['[ERROR] live error']);
  });
});
