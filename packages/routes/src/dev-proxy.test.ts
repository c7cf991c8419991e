import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devProxyFile } from './index.js';
import { errorMessage, loadFixturePlugin, type RunningSurface, serve } from './test-support/fixture.js';

let vite: ViteDevServer;
let viteUrl: string;
let running: RunningSurface;
let fixture: Awaited<ReturnType<typeof loadFixturePlugin>>;
const seenByDevServer: Array<{ method?: string; body: string; headers: Record<string, unknown> }> = [];
const home = mkdtempSync(join(tmpdir(), 'osr-routes-home-'));

function configureProxy(pluginId: string, webProxy: string): void {
  mkdirSync(join(home, 'config'), { recursive: true });
  writeFileSync(devProxyFile(home), JSON.stringify({ plugin_id: pluginId, web_proxy: webProxy }));
}

/** Sends a WebSocket upgrade through the router and returns the status line and the first frame's text. */
function upgradeThroughProxy(path: string): Promise<{ statusLine: string; firstMessage: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(running.surface.port, '127.0.0.1', () => {
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
          `Host: 127.0.0.1:${running.surface.port}`,
          'Connection: Upgrade',
          'Upgrade: websocket',
          'Sec-WebSocket-Version: 13',
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Protocol: vite-hmr',
          '',
          '',
        ].join('\r\n'),
      );
    });
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      const headerEnd = buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const statusLine = buffer.subarray(0, buffer.indexOf('\r\n')).toString();
      const frame = buffer.subarray(headerEnd + 4);
      if (!statusLine.includes(' 101 ')) {
        socket.destroy();
        return resolve({ statusLine, firstMessage: '' });
      }
      // A short unmasked server text frame: FIN+opcode, 7-bit length, payload.
      if (frame.length < 2 || frame.length < 2 + (frame[1] as number)) return;
      socket.destroy();
      resolve({ statusLine, firstMessage: frame.subarray(2, 2 + (frame[1] as number)).toString() });
    });
    socket.on('error', reject);
  });
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'osr-routes-vite-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><html><head><title>vite app</title></head><body><script type="module" src="/main.js"></script></body></html>');
  writeFileSync(join(root, 'main.js'), 'document.title = "from vite";\n');
  vite = await createServer({
    root,
    configFile: false,
    logLevel: 'silent',
    server: { host: '127.0.0.1', port: 0, strictPort: false },
    optimizeDeps: { noDiscovery: true, include: [] },
    plugins: [
      {
        name: 'echo-request',
        // Runs before Vite's own middlewares, so its 404 fallback does not answer first.
        configureServer(server) {
          server.middlewares.use('/echo-request', (request, response) => {
            let body = '';
            request.on('data', (chunk) => {
              body += chunk;
            });
            request.on('end', () => {
              seenByDevServer.push({ method: request.method, body, headers: request.headers });
              response.setHeader('Content-Type', 'application/json');
              response.setHeader('X-Dropped', 'yes');
              response.end('{"ok":true}');
            });
          });
        },
      },
    ],
  });
  await vite.listen();
  const address = vite.httpServer?.address() as AddressInfo;
  viteUrl = `http://127.0.0.1:${address.port}`;
  fixture = await loadFixturePlugin({ PLUGIN_ID: '"routes.dev"' });
  running = await serve([fixture], { home });
});

afterAll(async () => {
  rmSync(devProxyFile(home), { force: true });
  await running?.surface.close();
  await vite?.close();
  await fixture?.plugin.shutdown();
});

describe('dev proxy', () => {
  it('serves the web mount from the dev server, with the context injected into HTML, and is re-read per request', async () => {
    rmSync(devProxyFile(home), { force: true });
    expect(await (await running.get('/plugins/routes.dev/ui/')).text()).toContain('<title>Route fixture</title>');
    configureProxy('routes.dev', `${viteUrl}/`);
    const page = await running.get('/plugins/routes.dev/ui/');
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('<title>vite app</title>');
    expect(html).toContain('/@vite/client');
    expect(html.indexOf('window.__osaurus')).toBeLessThan(html.indexOf('</head>'));
    const module = await running.get('/plugins/routes.dev/ui/main.js?import');
    expect([module.status, module.headers.get('content-type')]).toEqual([200, 'text/javascript']);
    expect(await module.text()).toContain('from vite');
  });

  it('forwards method, body and headers, and drops the agent header and credentials', async () => {
    configureProxy('routes.dev', viteUrl);
    const response = await running.get('/plugins/routes.dev/ui/echo-request', {
      method: 'POST',
      body: 'ping',
      headers: { 'X-Custom': 'kept', Authorization: 'Bearer secret' },
    });
    expect([response.status, await response.text(), response.headers.get('x-dropped')]).toEqual([200, '{"ok":true}', null]);
    expect(seenByDevServer[0]).toMatchObject({ method: 'POST', body: 'ping', headers: { 'x-custom': 'kept' } });
    expect(seenByDevServer[0]?.headers).not.toHaveProperty('authorization');
    expect(seenByDevServer[0]?.headers).not.toHaveProperty('x-osaurus-agent-id');
  });

  it('connects a Vite HMR WebSocket through the proxy', async () => {
    configureProxy('routes.dev', viteUrl);
    const token = vite.config.webSocketToken;
    const { statusLine, firstMessage } = await upgradeThroughProxy(`/plugins/routes.dev/ui/?token=${token}`);
    expect(statusLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(JSON.parse(firstMessage)).toEqual({ type: 'connected' });
  });

  it('refuses upgrades outside a dev-proxied web mount', async () => {
    configureProxy('someone.else', viteUrl);
    expect((await upgradeThroughProxy('/plugins/routes.dev/ui/')).statusLine).toBe('HTTP/1.1 404 Not Found');
    configureProxy('routes.dev', viteUrl);
    expect((await upgradeThroughProxy('/plugins/routes.dev/echo')).statusLine).toBe('HTTP/1.1 404 Not Found');
  });

  it('answers 502 for an invalid proxy URL and an unreachable dev server', async () => {
    configureProxy('routes.dev', 'not a url');
    const invalid = await running.get('/plugins/routes.dev/ui/');
    expect([invalid.status, errorMessage(await invalid.text())]).toEqual([502, 'Invalid proxy URL']);
    configureProxy('routes.dev', 'http://127.0.0.1:1');
    const unreachable = await running.get('/plugins/routes.dev/ui/');
    expect(unreachable.status).toBe(502);
    expect(errorMessage(await unreachable.text())).toMatch(/^Dev server unreachable: /);
  });
});
