import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { GENERATED_PATHS, generatedNotice, type GeneratedPage, repositoryRoot } from './page.ts';
import { type ApiEntryPoint, renderApiReferences } from './typedoc-markdown.ts';

/** The export condition under which each package points at its TypeScript sources. */
const sourceCondition = '@osr-host/source';

export interface PackageInfo {
  /** Directory under packages/, also the page's name: /packages/<dir>. */
  dir: string;
  name: string;
  /** Web address of the repository, e.g. https://github.com/osr-host/osr-host. */
  repositoryUrl: string;
  entryPoints: ApiEntryPoint[];
}

interface PackageManifest {
  name: string;
  repository?: string | { url: string };
  exports?: Record<string, string | Record<string, unknown>>;
}

/** `git+https://host/owner/repo.git` → `https://host/owner/repo`. */
function repositoryWebUrl(repository: PackageManifest['repository'], name: string): string {
  const url = typeof repository === 'string' ? repository : repository?.url;
  if (!url) throw new Error(`${name}: package.json has no repository`);
  return url.replace(/^git\+/, '').replace(/\.git$/, '');
}

/** `.` → `api_`, `./testing` → `api-testing_`. An underscore never occurs in VitePress's own heading slugs. */
function anchorPrefix(subpath: string): string {
  return subpath === '.' ? 'api_' : `api-${subpath.slice(2).replace(/[^a-z0-9]+/gi, '-').toLowerCase()}_`;
}

export function readPackages(): PackageInfo[] {
  const packagesRoot = join(repositoryRoot, 'packages');
  return readdirSync(packagesRoot, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(packagesRoot, entry.name, 'package.json')))
    .map(({ name: dir }) => {
      const packageRoot = join(packagesRoot, dir);
      const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as PackageManifest;
      const entryPoints = Object.entries(manifest.exports ?? {}).flatMap(([subpath, target]) => {
        const source = typeof target === 'object' ? target[sourceCondition] : undefined;
        if (typeof source !== 'string') return [];
        return [
          {
            specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
            source: join(packageRoot, source),
            tsconfig: join(packageRoot, 'tsconfig.json'),
            page: `/packages/${dir}`,
            anchorPrefix: anchorPrefix(subpath),
          },
        ];
      });
      return { dir, name: manifest.name, repositoryUrl: repositoryWebUrl(manifest.repository, manifest.name), entryPoints };
    })
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

export interface LinkContext {
  /** The Markdown file's path relative to the repository root, e.g. `packages/runtime/README.md`. */
  file: string;
  repositoryUrl: string;
  packageDirs: ReadonlySet<string>;
}

/**
 * The site page a repository path is published as: a hand-written docs page, or a package
 * page for a package's directory or README.
 */
function sitePageOf(path: string, packageDirs: ReadonlySet<string>): string | undefined {
  const docsPage = /^docs\/(.+)\.md$/.exec(path)?.[1];
  if (docsPage && !docsPage.startsWith('packages/') && existsSync(join(repositoryRoot, path))) {
    return `/${docsPage.replace(/(^|\/)index$/, '$1')}`;
  }
  const packageDir = /^packages\/([^/]+)(?:\/README\.md)?\/?$/.exec(path)?.[1];
  return packageDir && packageDirs.has(packageDir) ? `/packages/${packageDir}` : undefined;
}

/**
 * Rewrites a link target written relative to `context.file` for the site: docs pages and package
 * READMEs become site pages, any other repository file its address on the repository's web UI
 * (images as raw files, so they still display). Absolute URLs, site paths and anchors are kept.
 */
export function siteLinkTarget(target: string, context: LinkContext, { image = false } = {}): string {
  if (/^([a-z][a-z0-9+.-]*:|#|\/)/i.test(target)) return target;
  const hashAt = target.indexOf('#');
  const pathPart = hashAt === -1 ? target : target.slice(0, hashAt);
  const anchor = hashAt === -1 ? '' : target.slice(hashAt);
  const path = posix.normalize(posix.join(posix.dirname(context.file), decodeURI(pathPart))).replace(/\/$/, '');
  if (path.startsWith('../')) throw new Error(`${context.file}: the link ${target} leaves the repository`);
  const page = image ? undefined : sitePageOf(path, context.packageDirs);
  if (page) return `${page}${anchor}`;
  const isDirectory = statSync(join(repositoryRoot, path), { throwIfNoEntry: false })?.isDirectory() ?? false;
  return `${context.repositoryUrl}/${isDirectory ? 'tree' : 'blob'}/main/${encodeURI(path)}${image ? '?raw=true' : ''}${anchor}`;
}

/** Rewrites the links, images, reference definitions and HTML `src`/`href`s of a Markdown file, outside code. */
export function rewriteLinks(markdown: string, context: LinkContext): string {
  let fence: string | undefined;
  return markdown
    .split('\n')
    .map((line) => {
      const fenceMark = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence) {
        if (fenceMark?.startsWith(fence)) fence = undefined;
        return line;
      }
      if (fenceMark) {
        fence = fenceMark;
        return line;
      }
      const definition = /^(\s{0,3}\[[^\]]+\]:\s*)(\S+)(.*)$/.exec(line);
      if (definition) return `${definition[1]}${siteLinkTarget(definition[2] ?? '', context)}${definition[3]}`;
      return rewriteInlineLinks(line, context);
    })
    .join('\n');
}

function rewriteInlineLinks(line: string, context: LinkContext): string {
  // Code spans are masked so a link whose text is code (`[`x`](y)`) is still seen whole.
  const spans: string[] = [];
  const masked = line
    .split(/(`+[^`]*`+)/)
    .map((part, index) => (index % 2 === 1 ? `\u0000${spans.push(part) - 1}\u0000` : part))
    .join('');
  return masked
    .replace(/(!?)\[([^\]]*)\]\(([^)\s]+)((?:\s+"[^"]*")?)\)/g, (_, bang: string, text: string, target: string, title: string) => {
      return `${bang}[${text}](${siteLinkTarget(target, context, { image: bang === '!' })}${title})`;
    })
    .replace(/<(img|a)\b([^>]*?)\b(src|href)="([^"]+)"/g, (_, tag: string, attributes: string, name: string, target: string) => {
      return `<${tag}${attributes}${name}="${siteLinkTarget(target, context, { image: tag === 'img' })}"`;
    })
    .replace(/\u0000(\d+)\u0000/g, (_, index: string) => spans[Number(index)] ?? '');
}

/** Splits a README into its first `# ` heading and the rest. */
export function splitTitle(readme: string, file: string): { title: string; body: string } {
  const lines = readme.split('\n');
  const titleAt = lines.findIndex((line) => /^# \S/.test(line));
  if (titleAt === -1) throw new Error(`${file}: no '# ' heading to use as the page title`);
  return {
    title: (lines[titleAt] ?? '').slice(2).trim(),
    body: [...lines.slice(0, titleAt), ...lines.slice(titleAt + 1)].join('\n').trim(),
  };
}

/**
 * One page per package, `packages/<dir>.md`: the README (its first heading is the page title),
 * then the API reference typedoc generates from every TypeScript entry point of the exports map.
 * Everything under the title sits in a `v-pre` block, so `{{ }}` in prose or signatures is shown
 * rather than evaluated by Vue.
 */
export async function generatePackagePages(): Promise<GeneratedPage[]> {
  const packages = readPackages();
  if (packages.length === 0) return [];
  const packageDirs = new Set(packages.map((info) => info.dir));
  // One repository holds every package; typedoc's source links use its address.
  const repositoryUrl = packages[0]!.repositoryUrl;
  const references = await renderApiReferences(
    packages.flatMap((info) => info.entryPoints),
    { repositoryUrl, repositoryRoot, headingLevel: 3 },
  );
  const referenceOf = new Map(references.map((reference) => [reference.specifier, reference.markdown]));

  return packages.map((info) => {
    const file = `packages/${info.dir}/README.md`;
    const { title, body } = splitTitle(readFileSync(join(repositoryRoot, file), 'utf8'), file);
    const apiSections = info.entryPoints.map((entry) => {
      const heading = entry.specifier === info.name ? 'API reference' : `API reference: \`${entry.specifier}\``;
      const source = relative(repositoryRoot, entry.source);
      return [
        `## ${heading}`,
        `Generated from [\`${relative(join(repositoryRoot, 'packages', info.dir), entry.source)}\`](${info.repositoryUrl}/blob/main/${source}) with typedoc.`,
        referenceOf.get(entry.specifier)?.trim() ?? '',
      ].join('\n\n');
    });
    const content = [
      `${generatedNotice(`${file} and the package's entry points (typedoc)`)}# ${title}`,
      '::: v-pre',
      rewriteLinks(body, { file, repositoryUrl: info.repositoryUrl, packageDirs }),
      ...apiSections,
      ':::',
    ].join('\n\n');
    return { path: `${GENERATED_PATHS.packagePages}/${info.dir}.md`, content: `${content}\n` };
  });
}
