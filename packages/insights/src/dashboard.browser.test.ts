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
/**
 * Page-side: how many separate bars of `color` the uPlot canvas of chart
 * `chart` shows. Bars are horizontal, one row per plugin, so each bar is a run
 * of canvas rows holding that exact colour.
 */
const BARS = `(chart, color) => {
  const canvas = document.querySelectorAll('#charts .uplot canvas')[chart];
  const { width, height } = canvas;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const rgb = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16));
  let bars = 0, inBar = false;
  for (let y = 0; y < height; y += 1) {
    let found = false;
    for (let x = 0; x < width && !found; x += 1) {
      const at = (y * width + x) * 4;
      found = pixels[at] === rgb[0] && pixels[at + 1] === rgb[1] && pixels[at + 2] === rgb[2];
    }
    if (found && !inBar) bars += 1;
    inBar = found;
  }
  return bars;
}`;

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
    // Script errors, and anything the CSP refuses (reported on the console), would break the charts.
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) pageErrors.push(message.text());
    });
    await page.goto(dashboard.loginUrl(origin));
    await page.waitForFunction(`document.querySelectorAll('#rows tr').length === 33`);
    await page.waitForSelector('#charts .uplot canvas');
    expect(await page.$$eval('#charts figcaption', (nodes) => nodes.map((node) => node.textContent))).toEqual([
      'Calls and logs per plugin',
      'Error rate (status ≥ 400)',
      'Latency p50 / p95 / p99',
    ]);
    const canvases = await page.$$eval('#charts .uplot canvas', (nodes) => nodes.map((node) => node.getBoundingClientRect()).map(({ width, height }) => ({ width, height })));
    expect(canvases).toHaveLength(3);
    for (const box of canvases) expect(box.width * box.height).toBeGreaterThan(0);
    // Calls: weather and the hostile id; logs: notes. Errors: only weather has any (5 of 31).
    expect(await page.evaluate(`(${BARS})(0, '#0a84ff')`)).toBe(2);
    expect(await page.evaluate(`(${BARS})(0, '#8e8e93')`)).toBe(1);
    expect(await page.evaluate(`(${BARS})(1, '#ff453a')`)).toBe(1);
    expect(await page.evaluate(`(${BARS})(2, '#bf5af2')`)).toBeGreaterThanOrEqual(1);
    // The legend names the hovered row's plugin in full, as text: the middle of three sorted ids is notes.
    const over = (await page.$('#charts .uplot .u-over'))!;
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    expect(await page.$eval('#charts .uplot .u-legend .u-value', (cell) => cell.textContent)).toBe('com.example.notes');
    await page.mouse.move(0, 0);
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
    expect(pageErrors).toEqual([]);
  });

  it('adds rows recorded after the page opened, live', async () => {
    const page = await browser.newPage();
    // The one-time token is spent: this page gets in with the session cookie the first one received.
    await page.goto(`${origin}/insights`);
    await page.waitForFunction(`document.querySelectorAll('#rows tr').length === 33`);
    opened.store.record(hostCall({ slot: 'log', pluginId: 'com.example.live', intArg: 2, args: ['arrived live'] }));
    await page.waitForFunction(`document.querySelector('#rows tr td.path')?.textContent === '[INFO] arrived live'`);
    // The charts follow: the new plugin's log adds a second logs bar.
    await page.waitForFunction(`(${BARS})(0, '#8e8e93') === 2`);
  });
});
