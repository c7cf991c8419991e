import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDeadLinks } from '../scripts/site-links.ts';
import { serveSite } from './support/site-server.ts';

/** The built site: `npx nx run docs:test` builds it first. */
const distDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.vitepress', 'dist');
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.CI) {
  console.warn(`site browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium); they always run when CI is set`);
}

describe('the built site', () => {
  it('exists (build it with `npx nx run docs:build`)', () => {
    expect(existsSync(join(distDir, 'index.html')), `${distDir} is missing: run \`npx nx run docs:build\` first`).toBe(true);
  });

  it('has no link, in any page, nav or sidebar, to a missing page or anchor', () => {
    expect(findDeadLinks(distDir)).toEqual([]);
  });

  it('has every page the sidebar promises', () => {
    for (const page of ['guide/author/index', 'guide/operator/index', 'reference/host-api', 'reference/compatibility', 'packages/abi-struct', 'architecture', 'decisions']) {
      expect(existsSync(join(distDir, `${page}.html`)), page).toBe(true);
    }
  });
});

describe.skipIf(!haveChromium && !process.env.CI)('the built site in headless Chromium', () => {
  let browser: BrowserContext;
  let site: Awaited<ReturnType<typeof serveSite>>;

  beforeAll(async () => {
    site = await serveSite(distDir);
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'osr-docs-chromium-')), {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await site?.close();
  });

  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Failed requests are reported with their URL below, so the browser's own line for them is dropped.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
    });
    page.on('response', (response) => {
      if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`);
    });
    const response = await page.goto(`${site.url}${path}`);
    expect(response?.status(), path).toBe(200);
    return { page, errors };
  }

  it('draws the architecture data flow and the two host-callback sequences', async () => {
    const { page, errors } = await open('/architecture');
    await page.waitForSelector('.mermaid svg', { timeout: 30_000 });
    await expect.poll(() => page.locator('.mermaid svg').count()).toBe(3);
    // Each diagram once drawn (they render one by one), whatever order they finish in.
    const drawn = () => page.locator('.mermaid svg').allTextContents();
    const drawing = (...texts: string[]) => async () => (await drawn()).filter((text) => texts.every((part) => text.includes(part))).length;
    await expect.poll(drawing('@osr-host/runtime', 'plugin .so')).toBe(1);
    await expect.poll(drawing('osrb_reply', 'HOST_CALL')).toBe(1);
    await expect.poll(drawing('osrb_server_reply', 'HOST_CALL_ANSWERED')).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('finds a host API slot with the local search and opens its reference', async () => {
    const { page, errors } = await open('/');
    await page.locator('.VPNavBarSearch button').click();
    await page.locator('input.search-input').fill('db_query');
    const firstHit = page.locator('.result').first();
    await firstHit.waitFor({ timeout: 15_000 });
    await firstHit.click();
    await page.waitForURL(/\/reference\/host-api/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('renders the generated pages without script errors', async () => {
    for (const path of ['/', '/reference/host-api', '/reference/compatibility', '/packages/runtime', '/guide/author/', '/guide/operator/']) {
      const { page, errors } = await open(path);
      await expect.poll(() => page.locator('h1').count(), { message: path }).toBeGreaterThan(0);
      expect(errors, path).toEqual([]);
      await page.close();
    }
  });
});
