import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import {
  Application,
  Converter,
  DeclarationReflection,
  type DocumentationEntryPoint,
  type ProjectReflection,
  ReflectionKind,
  type TypeDocOptions,
} from 'typedoc';
import { MarkdownPageEvent, type PluginOptions } from 'typedoc-plugin-markdown';
import ts from 'typescript';

/** One public entry point of a package, and where its API reference lands on the site. */
export interface ApiEntryPoint {
  /** The import specifier, e.g. `@osr-host/abi-struct/testing`; typedoc's module name. */
  specifier: string;
  /** Absolute path of the TypeScript source behind the specifier. */
  source: string;
  /** The package's tsconfig.json; the entry point is compiled with its options. */
  tsconfig: string;
  /** Site page the reference is part of, e.g. `/packages/abi-struct`. */
  page: string;
  /** Prepended to every anchor of this entry point, so it cannot clash with the page's other headings. */
  anchorPrefix: string;
}

export interface ApiReference {
  specifier: string;
  /** Markdown whose links point at site pages, headings starting at `headingLevel`. */
  markdown: string;
}

/** Options of typedoc and typedoc-plugin-markdown: one Markdown file per module, tables over nested headings. */
function typedocOptions(outputDirectory: string, repositoryUrl: string, repositoryRoot: string): TypeDocOptions & Partial<PluginOptions> {
  return {
    plugin: ['typedoc-plugin-markdown'],
    router: 'module',
    out: outputDirectory,
    readme: 'none',
    skipErrorChecking: true,
    excludePrivate: true,
    excludeInternal: true,
    disableGit: true,
    displayBasePath: repositoryRoot,
    sourceLinkTemplate: `${repositoryUrl}/blob/main/{path}#L{line}`,
    hidePageHeader: true,
    hidePageTitle: true,
    hideBreadcrumbs: true,
    useCustomAnchors: true,
    sanitizeComments: true,
    parametersFormat: 'table',
    interfacePropertiesFormat: 'table',
    classPropertiesFormat: 'table',
    typeAliasPropertiesFormat: 'table',
    enumMembersFormat: 'table',
    propertyMembersFormat: 'table',
    typeDeclarationFormat: 'table',
    logLevel: 'Error',
  };
}

function readCompilerOptions(tsconfig: string): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(`${tsconfig}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    },
  });
  if (!parsed) throw new Error(`${tsconfig}: cannot be read`);
  return { ...parsed.options, noEmit: true };
}

/** Options that only say where output goes; packages differing in these alone can share a program. */
function withoutOutputPaths({ configFilePath, outDir, declarationDir, tsBuildInfoFile, ...options }: ts.CompilerOptions) {
  return options;
}

/**
 * Compiles every entry point with the options of its package's tsconfig. Packages whose options
 * agree share one program (one checker resolving the packages' common types once), and programs
 * share parsed files through a document registry.
 */
function createPrograms(entryPoints: ApiEntryPoint[]): Map<ApiEntryPoint, ts.Program> {
  const groups = new Map<string, { options: ts.CompilerOptions; entries: ApiEntryPoint[] }>();
  for (const entry of entryPoints) {
    const options = readCompilerOptions(entry.tsconfig);
    const key = JSON.stringify(withoutOutputPaths(options));
    const group = groups.get(key) ?? { options, entries: [] };
    group.entries.push(entry);
    groups.set(key, group);
  }
  const registry = ts.createDocumentRegistry();
  const texts = new Map<string, string | undefined>();
  const programs = new Map<ApiEntryPoint, ts.Program>();
  for (const { options, entries } of groups.values()) {
    const host = ts.createCompilerHost(options, true);
    host.getSourceFile = (fileName, languageVersionOrOptions) => {
      if (!texts.has(fileName)) texts.set(fileName, ts.sys.readFile(fileName));
      const text = texts.get(fileName);
      if (text === undefined) return undefined;
      const snapshot = ts.ScriptSnapshot.fromString(text);
      return registry.acquireDocument(fileName, options, snapshot, '1', undefined, languageVersionOrOptions);
    };
    const program = ts.createProgram({ rootNames: entries.map((entry) => entry.source), options, host });
    for (const entry of entries) programs.set(entry, program);
  }
  return programs;
}

/**
 * Members a class or interface inherits from outside the project (Error's `stack`,
 * EventEmitter's `on`…) are documented where they are declared; listing them under every
 * subclass would bury the package's own API.
 */
function removeExternallyInheritedMembers(project: ProjectReflection): void {
  for (const owner of project.getReflectionsByKind(ReflectionKind.Class | ReflectionKind.Interface)) {
    for (const member of [...((owner as DeclarationReflection).children ?? [])]) {
      if (member.inheritedFrom && !member.inheritedFrom.reflection) project.removeReflection(member);
    }
  }
}

/**
 * Renders the API reference of every entry point with typedoc-plugin-markdown, in one typedoc
 * Application. The plugin writes into a temporary directory, which is removed afterwards.
 */
export async function renderApiReferences(
  entryPoints: ApiEntryPoint[],
  { repositoryUrl, repositoryRoot, headingLevel }: { repositoryUrl: string; repositoryRoot: string; headingLevel: number },
): Promise<ApiReference[]> {
  const outputDirectory = mkdtempSync(join(tmpdir(), 'osr-host-typedoc-'));
  try {
    // No option readers: typedoc must not pick up the process's argv (Vitest's) or a stray typedoc.json.
    const app = await Application.bootstrapWithPlugins(typedocOptions(outputDirectory, repositoryUrl, repositoryRoot), []);
    const programs = createPrograms(entryPoints);
    const documented: DocumentationEntryPoint[] = entryPoints.map((entry) => {
      const program = programs.get(entry);
      const sourceFile = program?.getSourceFile(entry.source);
      if (!program || !sourceFile) throw new Error(`typedoc: ${entry.source} is not part of its program`);
      return { displayName: entry.specifier, program, sourceFile };
    });
    // After inheritance is resolved (priority 0), before members are grouped (-100).
    app.converter.on(Converter.EVENT_RESOLVE_END, (context) => removeExternallyInheritedMembers(context.project), -50);
    await app.initializeRepositories(documented);
    const project = app.converter.convert(documented);
    // Pages are taken as the plugin renders them; its files in the temporary directory are not read back.
    const pages = new Map<string, { file: string; contents: string }>();
    app.renderer.on(MarkdownPageEvent.END, (page) => {
      if (page.model instanceof DeclarationReflection && page.model.kindOf(ReflectionKind.Module)) {
        pages.set(page.model.name, { file: page.url, contents: page.contents ?? '' });
      }
    });
    await app.generateOutputs(project);

    const entryByFile = new Map<string, ApiEntryPoint>();
    for (const entry of entryPoints) {
      const page = pages.get(entry.specifier);
      if (page) entryByFile.set(page.file, entry);
    }
    return entryPoints.map((entry) => {
      const page = pages.get(entry.specifier);
      if (!page) throw new Error(`typedoc: no page was rendered for ${entry.specifier}`);
      return {
        specifier: entry.specifier,
        markdown: toSiteMarkdown(page.contents, { file: page.file, entry, entryByFile, headingLevel }),
      };
    });
  } finally {
    rmSync(outputDirectory, { recursive: true, force: true });
  }
}

interface SiteMarkdownContext {
  /** The module's file, relative to typedoc's output directory. */
  file: string;
  entry: ApiEntryPoint;
  entryByFile: Map<string, ApiEntryPoint>;
  /** Level of the module's top headings (typedoc's `## Classes`) on the site page. */
  headingLevel: number;
}

/**
 * Turns one typedoc-plugin-markdown module page into a section of a site page: anchors get the
 * entry point's prefix, links to other modules become site links, headings move down to
 * `headingLevel`, and headings deeper than Markdown's six levels become bold lines.
 */
export function toSiteMarkdown(markdown: string, context: SiteMarkdownContext): string {
  const shift = context.headingLevel - 2;
  let inFence = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
      if (inFence || /^\s*(```|~~~)/.test(line)) return line;
      const rewritten = outsideCodeSpans(line, (text) => rewriteAnchorsAndLinks(text, context));
      const heading = /^(#{1,6}) (.*)$/.exec(rewritten);
      if (!heading?.[1] || heading[2] === undefined) return rewritten;
      const level = heading[1].length + shift;
      if (level <= 6) return `${'#'.repeat(level)} ${heading[2]}`;
      const custom = /^(.*?)\s*\{#([^}]+)\}$/.exec(heading[2]);
      return custom ? `<a id="${custom[2]}"></a>**${custom[1]}**` : `**${heading[2]}**`;
    })
    .join('\n');
}

function rewriteAnchorsAndLinks(text: string, { file, entry, entryByFile }: SiteMarkdownContext): string {
  return text
    .replace(/\{#([^}\s]+)\}/g, (_, id: string) => `{#${entry.anchorPrefix}${id}}`)
    .replace(/<a id="([^"]+)"><\/a>/g, (_, id: string) => `<a id="${entry.anchorPrefix}${id}"></a>`)
    .replace(/\]\(([^)\s]*)\)/g, (whole, target: string) => {
      if (/^[a-z][a-z+.-]*:/i.test(target)) return whole;
      const [path = '', anchor] = target.split('#');
      const targetEntry = path === '' ? entry : entryByFile.get(posix.join(posix.dirname(file), path));
      if (!targetEntry) throw new Error(`typedoc: ${file} links to ${target}, which is no rendered module`);
      const page = targetEntry.page === entry.page && anchor ? '' : targetEntry.page;
      return `](${page}${anchor ? `#${targetEntry.anchorPrefix}${anchor}` : ''})`;
    });
}

/** Applies `rewrite` to the parts of a line outside inline code spans. */
function outsideCodeSpans(line: string, rewrite: (text: string) => string): string {
  return line
    .split(/(`+[^`]*`+)/)
    .map((part, index) => (index % 2 === 1 ? part : rewrite(part)))
    .join('');
}
