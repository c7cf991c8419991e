import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { handWrittenPages } from '../../scripts/page.ts';

/** A ```ts block of a Markdown file. */
export interface CodeExample {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  /** ```ts no-check: shown, never compiled (for fragments that cannot stand alone). */
  noCheck: boolean;
}

/** Info-string word that opts a block out of the check. */
const NO_CHECK = 'no-check';

/**
 * The Markdown files whose examples readers copy: every package and app README, the root README
 * and the hand-written docs pages.
 */
export function exampleSources(repositoryRoot: string): string[] {
  const readmesIn = (parent: string) =>
    readdirSync(join(repositoryRoot, parent))
      .map((name) => `${parent}/${name}/README.md`)
      .filter((path) => existsSync(join(repositoryRoot, path)));
  return ['README.md', ...readmesIn('packages'), ...readmesIn('apps'), ...handWrittenPages(repositoryRoot)].sort();
}

/** Every ```ts / ```typescript block of a Markdown file, with the line of its opening fence. */
export function extractExamples(markdown: string, file: string): CodeExample[] {
  const examples: CodeExample[] = [];
  const lines = markdown.split('\n');
  let open: { fence: string; line: number; info: string[]; body: string[] } | undefined;
  lines.forEach((text, index) => {
    if (open) {
      if (text.trim().startsWith(open.fence) && text.trim().replace(/[`~]/g, '') === '') {
        const [language = '', ...flags] = open.info;
        // `ts`, `typescript`, and VitePress's `ts{2,4}` / `ts:line-numbers`.
        if (['ts', 'typescript'].includes(/^[a-z]*/i.exec(language)?.[0] ?? '')) {
          examples.push({ file, line: open.line, code: open.body.join('\n'), noCheck: flags.includes(NO_CHECK) });
        }
        open = undefined;
      } else {
        open.body.push(text);
      }
      return;
    }
    const fence = /^\s*(`{3,}|~{3,})\s*(.*)$/.exec(text);
    if (fence?.[1]) open = { fence: fence[1], line: index + 1, info: (fence[2] ?? '').trim().split(/\s+/), body: [] };
  });
  return examples;
}

/** Compiler options of tsconfig.base.json, the ones every package compiles with. */
function baseCompilerOptions(repositoryRoot: string): ts.CompilerOptions {
  const configPath = join(repositoryRoot, 'tsconfig.base.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(configPath, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(`${configPath}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    },
  });
  if (!parsed) throw new Error(`${configPath}: cannot be read`);
  // Each block is its own module, even without imports, so blocks never share top-level names.
  return { ...parsed.options, noEmit: true, moduleDetection: ts.ModuleDetectionKind.Force };
}

/**
 * Type-checks every example (except opted-out ones) as a module of one TypeScript program, and
 * returns one line per problem: `<file>:<line>: <message>`, the line being the Markdown file's.
 *
 * The modules are written to `scratchParent` (inside the repository, so `@osr-host/*` and
 * third-party imports resolve through the workspace's node_modules, to the packages' sources
 * under the `@osr-host/source` condition). They are removed afterwards.
 */
export function typeCheckExamples(examples: CodeExample[], { repositoryRoot, scratchParent }: { repositoryRoot: string; scratchParent: string }): string[] {
  mkdirSync(scratchParent, { recursive: true });
  const scratch = mkdtempSync(join(scratchParent, 'readme-examples-'));
  try {
    const modules = new Map<string, CodeExample>();
    examples
      .filter((example) => !example.noCheck)
      .forEach((example, index) => {
        const name = `${String(index).padStart(3, '0')}-${example.file.replace(/[^a-z0-9]+/gi, '-')}-L${example.line}.ts`;
        const path = join(scratch, name);
        writeFileSync(path, `${example.code}\n`);
        modules.set(path, example);
      });
    const program = ts.createProgram({ rootNames: [...modules.keys()], options: baseCompilerOptions(repositoryRoot) });
    const diagnostics = [
      ...program.getOptionsDiagnostics(),
      ...program.getGlobalDiagnostics(),
      ...[...modules.keys()].flatMap((path) => {
        const sourceFile = program.getSourceFile(path);
        return sourceFile ? [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)] : [];
      }),
    ];
    return diagnostics.map((diagnostic) => {
      const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
      const example = diagnostic.file && modules.get(diagnostic.file.fileName);
      if (!diagnostic.file || diagnostic.start === undefined || !example) {
        const where = diagnostic.file ? relative(repositoryRoot, diagnostic.file.fileName) : 'compiler options';
        return `${where}: TS${diagnostic.code}: ${message}`;
      }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const source = example.code.split('\n')[line]?.trim() ?? '';
      return `${example.file}:${example.line + 1 + line}: TS${diagnostic.code}: ${message}\n    ${source}\n  (in the block opened at line ${example.line})`;
    });
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function readExamples(repositoryRoot: string): CodeExample[] {
  return exampleSources(repositoryRoot).flatMap((file) => extractExamples(readFileSync(join(repositoryRoot, file), 'utf8'), file));
}
