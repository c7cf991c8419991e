import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generatePackagePages, readPackages, rewriteLinks, siteLinkTarget, splitTitle } from './packages.ts';
import { repositoryRoot } from './page.ts';
import { type ApiEntryPoint, toSiteMarkdown } from './typedoc-markdown.ts';

const repositoryUrl = 'https://github.com/osr-host/osr-host';
const packages = readPackages();
const packageDirs = new Set(packages.map((info) => info.dir));
const entryPoints = packages.flatMap((info) => info.entryPoints.map((entry) => ({ dir: info.dir, name: info.name, ...entry })));

/** Lines outside fenced code blocks, with inline code spans removed. */
function proseLines(markdown: string): string[] {
  let inFence = false;
  return markdown.split('\n').flatMap((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return [];
    }
    return inFence ? [] : [line.replace(/`+[^`]*`+/g, '')];
  });
}

function linkTargets(markdown: string): string[] {
  return proseLines(markdown).flatMap((line) => [
    ...[...line.matchAll(/\]\(([^)\s]+)/g)].map((match) => match[1] ?? ''),
    ...[...line.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? ''),
  ]);
}

function anchorsOf(markdown: string): Set<string> {
  return new Set(
    proseLines(markdown).flatMap((line) => [...line.matchAll(/\{#([^}\s]+)\}|<a id="([^"]+)">/g)].map((match) => match[1] ?? match[2] ?? '')),
  );
}

/** The part of a page under an entry point's `## API reference` heading. */
function apiSection(page: string, specifier: string, packageName: string): string {
  const heading = specifier === packageName ? '## API reference\n' : `## API reference: \`${specifier}\`\n`;
  const start = page.indexOf(heading);
  if (start === -1) return '';
  const rest = page.slice(start + heading.length);
  const end = rest.search(/^(## API reference|:::$)/m);
  return end === -1 ? rest : rest.slice(0, end);
}

/** Names of the reflections an API section has a heading for (`#### createNet() {#api_createnet}` → createNet). */
function documentedNames(section: string): Set<string> {
  return new Set(
    proseLines(section.replace(/`/g, '')).flatMap((line) => {
      const heading = /^#{3,6} (.+?) \{#[^}]+\}$/.exec(line)?.[1];
      return heading ? [heading.replace(/\\(.)/g, '$1').replace(/\(\)$/, '')] : [];
    }),
  );
}

describe('the package pages', () => {
  let pages: Map<string, string>;

  beforeAll(async () => {
    pages = new Map((await generatePackagePages()).map((page) => [page.path, page.content]));
  }, 300_000);

  it('are one page per directory of packages/', () => {
    const dirs = readdirSync(join(repositoryRoot, 'packages'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(repositoryRoot, 'packages', entry.name, 'package.json')))
      .map((entry) => `packages/${entry.name}.md`);
    expect(dirs.length).toBeGreaterThan(0);
    expect([...pages.keys()].sort()).toEqual(dirs.sort());
  });

  it('open with the README, its first heading as the page title', () => {
    for (const info of packages) {
      const page = pages.get(`packages/${info.dir}.md`) ?? '';
      const readme = readFileSync(join(repositoryRoot, 'packages', info.dir, 'README.md'), 'utf8');
      const { title } = splitTitle(readme, info.dir);
      expect(page.split('\n').find((line) => line.startsWith('# ')), info.dir).toBe(`# ${title}`);
      expect(page.indexOf('## Install'), info.dir).toBeLessThan(page.indexOf('## API reference'));
    }
  });

  it.each(entryPoints.map((entry) => [entry.specifier, entry] as const))(
    'document every value export of %s',
    async (specifier, entry) => {
      const exported = Object.keys(await import(specifier));
      expect(exported.length).toBeGreaterThan(0);
      const documented = documentedNames(apiSection(pages.get(`packages/${entry.dir}.md`) ?? '', specifier, entry.name));
      expect(exported.filter((name) => !documented.has(name))).toEqual([]);
    },
  );

  it('link only to site pages, anchors that exist, and absolute URLs', () => {
    const anchors = new Map([...pages].map(([path, page]) => [`/${path.replace(/\.md$/, '')}`, anchorsOf(page)]));
    for (const [path, page] of pages) {
      const self = `/${path.replace(/\.md$/, '')}`;
      for (const target of linkTargets(page)) {
        expect(target, `${path}: ${target}`).toMatch(/^(https:\/\/|#|\/)/);
        if (/^https:/.test(target)) continue;
        const [route = '', anchor] = target.split('#');
        const pagePath = route === '' ? self : route;
        const isPackagePage = /^\/packages\/[^/]+$/.test(pagePath) && packageDirs.has(pagePath.slice('/packages/'.length));
        const isDocsPage = !pagePath.startsWith('/packages/') && existsSync(join(repositoryRoot, 'docs', `${pagePath}.md`));
        expect(isPackagePage || isDocsPage, `${path}: ${target} is no page`).toBe(true);
        // Generated anchors all start with an entry point's prefix; the README's own headings are slugged by VitePress.
        if (isPackagePage && anchor && /^api[-_]/.test(anchor)) {
          expect(anchors.get(pagePath)?.has(anchor), `${path}: ${target} has no anchor`).toBe(true);
        }
      }
    }
    expect(pages.get('packages/runtime.md')).toContain('](/architecture)');
  });

  it('never repeat a generated anchor on a page (VitePress refuses duplicate heading ids)', () => {
    for (const [path, page] of pages) {
      const ids = proseLines(page).flatMap((line) => [...line.matchAll(/\{#([^}\s]+)\}/g)].map((match) => match[1]));
      expect(ids.filter((id, index) => ids.indexOf(id) !== index), path).toEqual([]);
    }
  });

  it('escape markup in the API reference and keep the page out of Vue interpolation', () => {
    for (const [path, page] of pages) {
      const api = page.slice(page.indexOf('## API reference'));
      for (const line of proseLines(api)) {
        const tags = line.replace(/<a id="[^"]+"><\/a>/g, '').replace(/\\</g, '').match(/<[^ ]*/g) ?? [];
        expect(tags, `${path}: ${line}`).toEqual([]);
      }
      const body = page.slice(page.indexOf('\n# '));
      expect(body.split('\n\n')[1], path).toBe('::: v-pre');
      expect(body.trimEnd().endsWith('\n:::'), path).toBe(true);
    }
  });
});

describe('rewriteLinks', () => {
  const context = { file: 'packages/runtime/README.md', repositoryUrl, packageDirs: new Set(['runtime', 'net']) };

  it('sends docs pages and package READMEs to their site pages', () => {
    expect(siteLinkTarget('../../docs/architecture.md', context)).toBe('/architecture');
    expect(siteLinkTarget('../../docs/decisions.md#d8', context)).toBe('/decisions#d8');
    expect(siteLinkTarget('../../docs/index.md', context)).toBe('/');
    expect(siteLinkTarget('../net/README.md', context)).toBe('/packages/net');
    expect(siteLinkTarget('../net', context)).toBe('/packages/net');
    expect(siteLinkTarget('../net/#exports', context)).toBe('/packages/net#exports');
  });

  it('sends other repository files to the repository, images as raw files', () => {
    expect(siteLinkTarget('../../apps/host/README.md', context)).toBe(`${repositoryUrl}/blob/main/apps/host/README.md`);
    expect(siteLinkTarget('src/index.ts#L3', context)).toBe(`${repositoryUrl}/blob/main/packages/runtime/src/index.ts#L3`);
    expect(siteLinkTarget('../../examples/hello-plugin', context)).toBe(`${repositoryUrl}/tree/main/examples/hello-plugin`);
    expect(siteLinkTarget('../../docs/missing-page.md', context)).toBe(`${repositoryUrl}/blob/main/docs/missing-page.md`);
    expect(siteLinkTarget('docs/shot.png', context, { image: true })).toBe(`${repositoryUrl}/blob/main/packages/runtime/docs/shot.png?raw=true`);
  });

  it('keeps absolute URLs, site paths and anchors, and refuses links out of the repository', () => {
    for (const target of ['https://example.com/a.md', 'mailto:a@example.com', '/benchmarks', '#usage']) {
      expect(siteLinkTarget(target, context)).toBe(target);
    }
    expect(() => siteLinkTarget('../../../elsewhere.md', context)).toThrow(/leaves the repository/);
  });

  it('rewrites inline links, images, definitions and HTML attributes, never code', () => {
    const readme = [
      'See [the design](../../docs/architecture.md) and [`@osr-host/net`](../net "net").',
      '![shot](docs/shot.png) <img src="docs/shot.png" alt="">',
      '[arch]: ../../docs/architecture.md',
      'Code stays: `[a](../net)`.',
      '```md',
      '[a](../net)',
      '```',
    ].join('\n');
    expect(rewriteLinks(readme, context)).toBe(
      [
        'See [the design](/architecture) and [`@osr-host/net`](/packages/net "net").',
        `![shot](${repositoryUrl}/blob/main/packages/runtime/docs/shot.png?raw=true) <img src="${repositoryUrl}/blob/main/packages/runtime/docs/shot.png?raw=true" alt="">`,
        '[arch]: /architecture',
        'Code stays: `[a](../net)`.',
        '```md',
        '[a](../net)',
        '```',
      ].join('\n'),
    );
  });
});

describe('toSiteMarkdown', () => {
  const entry = (specifier: string, page: string, anchorPrefix: string): ApiEntryPoint => ({
    specifier,
    source: `/src/${specifier}.ts`,
    tsconfig: '/tsconfig.json',
    page,
    anchorPrefix,
  });
  const main = entry('@x/a', '/packages/a', 'api_');
  const testing = entry('@x/a/testing', '/packages/a', 'api-testing_');
  const other = entry('@x/b', '/packages/b', 'api_');
  const entryByFile = new Map([
    ['a/src.md', main],
    ['a/src/testing.md', testing],
    ['b/src.md', other],
  ]);

  it('prefixes anchors, turns module links into site links and moves headings down', () => {
    const module = [
      '## Classes',
      '### Store {#store}',
      'Uses [`Row`](#row), [`fake`](src/testing.md#fake) and [`Db`](../b/src.md#db); see [the spec](https://example.com/#x).',
      '| <a id="property-path"></a> `path` | `string` |',
      '#### Methods',
      '##### run() {#run}',
      '###### Parameters',
      '```ts',
      'const anchor = "{#kept}"; // [kept](#kept)',
      '```',
    ].join('\n');
    expect(toSiteMarkdown(module, { file: 'a/src.md', entry: main, entryByFile, headingLevel: 3 })).toBe(
      [
        '### Classes',
        '#### Store {#api_store}',
        'Uses [`Row`](#api_row), [`fake`](#api-testing_fake) and [`Db`](/packages/b#api_db); see [the spec](https://example.com/#x).',
        '| <a id="api_property-path"></a> `path` | `string` |',
        '##### Methods',
        '###### run() {#api_run}',
        '**Parameters**',
        '```ts',
        'const anchor = "{#kept}"; // [kept](#kept)',
        '```',
      ].join('\n'),
    );
  });

  it('refuses a link to a module that was not rendered', () => {
    expect(() => toSiteMarkdown('[x](../c/src.md#y)', { file: 'a/src.md', entry: main, entryByFile, headingLevel: 3 })).toThrow(
      /no rendered module/,
    );
  });
});
