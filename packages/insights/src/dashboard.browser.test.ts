import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInsightsDashboard } from './dashboard.js';
import { hostCall, tempStore } from './test-support/store.js';
import { hostApiWarnings, WarningLog } from './warnings.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Set INSIGHTS_SCREENSHOTS_DIR=docs to refresh the README's screenshots. */
const SCREENSHOTS = process.env['INSIGHTS_SCREENSHOTS_DIR'] ?? mkdtempSync(join(tmpdir(), 'osr-insights-shots-'));
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

describe.skipIf(!existsSync(CHROMIUM))('Insights page in headless Chromium', () => {
  const opened = tempStore();
  const dashboard = createInsightsDashboard(opened.store, { pollIntervalMs: 50 });
  const server = createServer((request, response) => {
    if (!dashboard.handle(request, response)) response.writeHead(404).end();
  });
  let browser: Browser;
  let origin = '';

  beforeAll(async () => {
    const { store } = opened;
    const started = Date.now() - 60_000;
    for (let index = 0; index < 30; index += 1) {
      store.record(hostCall({ slot: 'complete', pluginId: 'com.example.weather', durationMs: 40 + index * 7, status: index % 6 === 0 ? 429 : 200, startedAt: new Date(started + index * 1000), args: ['{"model":"llama-3-8b","messages":[{"role":"user","content":"Forecast for Paris?"}]}'], response: '{"choices":[{"message":{"content":"Sunny, 21°C"}}]}' }));
    }
    store.record(hostCall({ slot: 'http_request', pluginId: 'com.example.weather', durationMs: 120, startedAt: new Date(started + 31_000), args: ['{"method":"GET","url":"https://api.weather.example/v1/paris","headers":{"Authorization":"Bearer secret"}}'], response: '{"status":200,"body":"{}"}' }));
    store.record(hostCall({ slot: 'log_structured', pluginId: 'com.example.notes', intArg: 3, status: 299, startedAt: new Date(started + 32_000), args: ['note saved slowly', '{"note":{"id":"n-17"},"ms":950}'] }));
    store.record(hostCall({ slot: 'dispatch', pluginId: HOSTILE, status: 202, durationMs: 3, startedAt: new Date(started + 33_000), args: [`{"prompt":"${HOSTILE.replaceAll('"', '\\"')}"}`] }));
    store.flush();
    new WarningLog({ store, print: () => {} }).warnOnce(hostApiWarnings.nullOnChunk('com.example.notes'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    dashboard.close();
    server.closeAllConnections();
    server.close();
    opened.dispose();
  });

  it('shows rows, filters them, opens one in the drawer and renders hostile text as text', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const dialogs: string[] = [];
    page.on('dialog', async (dialog) => {
      dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.goto(dashboard.loginUrl(origin));
    await page.waitForFunction(`document.querySelectorAll('#rows tr').length === 33`);
    await page.waitForSelector('#charts figure');
    expect(await page.$$eval('#charts figcaption', (nodes) => nodes.map((node) => node.textContent))).toEqual([
      'Calls per plugin',
      'Error rate (status ≥ 400)',
      'Latency p50 / p95 / p99',
    ]);
    const hostileCell = await page.$$eval('#rows tr td:nth-child(2)', (cells) => cells.map((cell) => cell.textContent));
    expect(hostileCell).toContain(HOSTILE);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.$$('#rows img')).toHaveLength(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'insights-overview.png') });

    await page.type('#f-payload', 'note.id=n-17');
    await page.click('#apply');
    await page.waitForFunction(`document.querySelectorAll('#rows tr').length === 1`);
    expect(await page.$eval('#rows tr td.path', (cell) => cell.textContent)).toBe('[WARN] note saved slowly');
    expect(await page.evaluate('location.hash')).toContain('payload=note.id%3Dn-17');

    await page.click('#rows tr');
    await page.waitForSelector('#drawer:not([hidden])');
    expect(await page.$eval('#detail-request', (pre) => pre.textContent)).toBe(JSON.stringify({ note: { id: 'n-17' }, ms: 950 }, null, 2));
    await page.screenshot({ path: join(SCREENSHOTS, 'insights-detail.png') });
    expect(await page.$eval('#warnings', (list) => list.textContent)).toContain('com.example.notes|complete_stream|null_chunk');
    expect(dialogs).toEqual([]);
  });

  it('adds rows recorded after the page opened, live', async () => {
    const page = await browser.newPage();
    // The one-time token is spent: this page gets in with the session cookie the first one received.
    await page.goto(`${origin}/insights`);
    await page.waitForFunction(`document.querySelectorAll('#rows tr').length === 33`);
    opened.store.record(hostCall({ slot: 'log', pluginId: 'com.example.live', intArg: 2, args: ['arrived live'] }));
    await page.waitForFunction(`document.querySelector('#rows tr td.path')?.textContent === '[INFO] arrived live'`);
  });
});
