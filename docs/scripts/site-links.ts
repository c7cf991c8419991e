import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** A link in the built site that leads nowhere, with the page it was found on. */
export interface DeadLink {
  page: string;
  href: string;
  reason: 'missing page' | 'missing anchor';
}

/**
 * Resolves a site path the way the server does with VitePress `cleanUrls`:
 * `/a/b` is `a/b.html`, `/a/` is `a/index.html`, and assets are files as named.
 */
export function resolveSitePath(distDir: string, pathname: string): string | undefined {
  const decoded = decodeURIComponent(pathname).replace(/^\/+/, '');
  const candidates = decoded === '' || decoded.endsWith('/') ? [`${decoded}index.html`] : [decoded, `${decoded}.html`, `${decoded}/index.html`];
  for (const candidate of candidates) {
    const file = join(distDir, candidate);
    if (!relative(distDir, file).startsWith('..') && existsSync(file) && statSync(file).isFile()) return file;
  }
  return undefined;
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return htmlFiles(path);
    return entry.name.endsWith('.html') ? [path] : [];
  });
}

function anchorsOf(file: string): Set<string> {
  return new Set([...readFileSync(file, 'utf8').matchAll(/\s(?:id|name)="([^"]+)"/g)].map((match) => match[1] as string));
}

/**
 * Every same-site `href` in every built page must reach a page, and its `#fragment` an
 * element id on that page. VitePress checks links written in Markdown; this also covers
 * the sidebar, the nav, the home page's actions and raw HTML in generated pages.
 */
export function findDeadLinks(distDir: string): DeadLink[] {
  const anchorsByFile = new Map<string, Set<string>>();
  const dead: DeadLink[] = [];
  for (const file of htmlFiles(distDir)) {
    const page = `/${relative(distDir, file).split(sep).join('/')}`;
    const html = readFileSync(file, 'utf8');
    for (const match of html.matchAll(/\shref="([^"]*)"/g)) {
      const href = (match[1] as string).replaceAll('&amp;', '&');
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href)) continue;
      const url = new URL(href, `http://site${page}`);
      const target = resolveSitePath(distDir, url.pathname);
      if (target === undefined) {
        dead.push({ page, href, reason: 'missing page' });
        continue;
      }
      const fragment = decodeURIComponent(url.hash.slice(1));
      if (fragment === '' || !target.endsWith('.html')) continue;
      if (!anchorsByFile.has(target)) anchorsByFile.set(target, anchorsOf(target));
      if (!anchorsByFile.get(target)!.has(fragment)) {
        dead.push({ page, href, reason: 'missing anchor' });
      }
    }
  }
  return dead;
}
