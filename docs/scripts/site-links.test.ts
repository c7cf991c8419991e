import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDeadLinks, resolveSitePath } from './site-links.ts';

function site(pages: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'osr-docs-links-'));
  for (const [path, html] of Object.entries(pages)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), html);
  }
  return dir;
}

describe('findDeadLinks', () => {
  it('accepts clean URLs, index pages, relative links, assets and external links', () => {
    const dist = site({
      'index.html': '<a href="/guide/">g</a><a href="/reference/api#config_get">r</a><a href="https://example.com/x">x</a>',
      'guide/index.html': '<a href="../reference/api">up</a><link href="/assets/style.css">',
      'reference/api.html': '<h2 id="config_get">config_get</h2><a href="#config_get">self</a>',
      'assets/style.css': 'body{}',
    });
    expect(findDeadLinks(dist)).toEqual([]);
  });

  it('reports a link to a page that was not built and a fragment with no element', () => {
    const dist = site({
      'index.html': '<a href="/guide/missing">m</a><a href="/reference/api#nope">n</a>',
      'reference/api.html': '<h2 id="config_get">config_get</h2>',
    });
    expect(findDeadLinks(dist)).toEqual([
      { page: '/index.html', href: '/guide/missing', reason: 'missing page' },
      { page: '/index.html', href: '/reference/api#nope', reason: 'missing anchor' },
    ]);
  });

  it('never resolves a path outside the site', () => {
    const dist = site({ 'index.html': '' });
    expect(resolveSitePath(join(dist, 'index.html', '..'), '/../../etc/passwd')).toBeUndefined();
  });
});
