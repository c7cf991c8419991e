import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT, loadFixturePlugin, type RunningSurface, serve } from './test-support/fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium); they always run when CI is set`);
}
const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');

describe.skipIf(!haveChromium && !process.env.CI)('web UI in headless Chromium', () => {
  let browser: BrowserContext;
  let running: RunningSurface;
  let fixture: Awaited<ReturnType<typeof loadFixturePlugin>>;

  beforeAll(async () => {
    fixture = await loadFixturePlugin({ PLUGIN_ID: '"routes.browser"' });
    running = await serve([fixture]);
    // A persistent context on a fresh directory is how Playwright takes --user-data-dir.
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'osr-routes-chromium-')), {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await running?.surface.close();
    await fixture?.plugin.shutdown();
  });

  it('renders the page opened with ?osr_agent=; window.__osaurus.fetch reaches the route with the agent, a plain fetch gets 401', async () => {
    const page = await browser.newPage();
    const seenByServer: Array<{ url: string; agent: string | null }> = [];
    page.on('request', (request) => seenByServer.push({ url: request.url(), agent: request.headers()['x-osaurus-agent-id'] ?? null }));
    const response = await page.goto(`${running.surface.url}/plugins/routes.browser/ui/?osr_agent=${AGENT}`);
    expect(response?.status()).toBe(200);

    // Page-side code as strings: this package's TypeScript has no DOM types.
    await page.waitForFunction("!document.body.textContent.includes('pending')");
    expect(await page.textContent('#agent')).toBe(`agent: ${AGENT}`);
    // The page shows what the plugin received: the agent header the injected fetch added.
    expect(await page.textContent('#with-header')).toBe(`with header: 200 ${AGENT}`);
    expect(await page.textContent('#without-header')).toBe('without header: 401');
    expect(await page.evaluate('window.__osaurus.apiUrl')).toBe('/plugins/routes.browser/api');
    const apiCalls = seenByServer.filter((request) => request.url.includes('/api/hello'));
    expect(apiCalls.map((request) => request.agent).sort()).toEqual([AGENT, null]);

    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'web-ui.png'), fullPage: true });
    expect(existsSync(join(artifacts, 'web-ui.png'))).toBe(true);
  });
});
