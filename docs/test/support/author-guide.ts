import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type WatchedProcess, watchProcess } from './watched-process.ts';

export const docsDir = fileURLToPath(new URL('../..', import.meta.url));
export const repoDir = resolve(docsDir, '..');
export const guideDir = join(docsDir, 'guide', 'author');
export const examplesDir = join(docsDir, 'examples', 'author');
/** The built CLI (`npx nx run osr-host:build`): the guide's `osr-host`. */
export const cli = join(repoDir, 'apps', 'host', 'dist', 'cli.js');

/** The author guide's pages, in reading order. */
export const guidePages = ['index.md', 'c.md', 'rust.md', 'testing.md', 'debugging.md'];

/**
 * Where a marked block runs. A page marks each shell block it wants run with one of
 *   <!-- test: run in a copy of examples/author/c -->   (or .../rust)
 *   <!-- test: run in an empty directory -->
 * and every other shell block with <!-- test: not run (<why>) -->.
 */
export type Workspace = 'c' | 'rust' | 'empty';

const RUN_MARKER = /^<!-- test: run in (?:a copy of examples\/author\/(c|rust)|(an empty directory)) -->$/;
const SKIP_MARKER = /^<!-- test: not run \(.+\) -->$/;

export interface GuideCommand {
  page: string;
  /** The command as a reader would type it (continuations joined, trailing comment removed). */
  line: string;
  /** The `# ...` lines right under it: its exact standard output, line by line. Empty: not shown. */
  expectedStdout: string[];
}

export interface GuideSession {
  page: string;
  workspace: Workspace;
  commands: GuideCommand[];
}

export interface ShellBlock {
  page: string;
  marker: string | undefined;
  text: string;
}

/** Every ```sh block of a page, with the HTML comment right above it (if any). */
export function shellBlocks(page: string): ShellBlock[] {
  const lines = readFileSync(join(guideDir, page), 'utf8').split('\n');
  const blocks: ShellBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    if (lines[index]!.trim() !== '```sh') continue;
    const end = lines.findIndex((line, at) => at > index && line.trim() === '```');
    const above = lines.slice(0, index).findLast((line) => line.trim() !== '')?.trim();
    blocks.push({ page, marker: above?.startsWith('<!--') ? above : undefined, text: lines.slice(index + 1, end).join('\n') });
    index = end;
  }
  return blocks;
}

/** A blocks's marker problem, if any: unmarked, or marked with something neither marker pattern matches. */
export function markerProblem(block: ShellBlock): string | undefined {
  if (block.marker === undefined) return `${block.page}: a shell block has no <!-- test: ... --> marker:\n${block.text}`;
  if (!RUN_MARKER.test(block.marker) && !SKIP_MARKER.test(block.marker)) return `${block.page}: unknown marker ${block.marker}`;
  return undefined;
}

/** Removes a trailing `# comment` that is outside quotes. */
function withoutComment(line: string): string {
  let quote: string | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line[index]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') index++;
    } else if (char === "'" || char === '"') {
      quote = char;
    } else if (char === '#' && (index === 0 || /\s/.test(line[index - 1]!))) {
      return line.slice(0, index).trimEnd();
    }
  }
  return line.trimEnd();
}

function parseCommands(page: string, text: string): GuideCommand[] {
  const commands: GuideCommand[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const trimmed = raw.trim();
    if (pending === '' && trimmed.startsWith('#')) {
      const last = commands.at(-1);
      if (!last) throw new Error(`${page}: an output comment comes before any command: ${raw}`);
      last.expectedStdout.push(trimmed.replace(/^# ?/, ''));
      continue;
    }
    if (trimmed === '') continue;
    const line = withoutComment(raw);
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    commands.push({ page, line: `${pending}${line}`.trim(), expectedStdout: [] });
    pending = '';
  }
  return commands;
}

/** The guide's runnable sessions: per page and workspace, its marked blocks' commands in order. */
export function guideSessions(): GuideSession[] {
  const sessions: GuideSession[] = [];
  for (const page of guidePages) {
    for (const block of shellBlocks(page)) {
      const match = block.marker === undefined ? null : RUN_MARKER.exec(block.marker);
      if (!match) continue;
      const workspace = (match[1] ?? 'empty') as Workspace;
      let session = sessions.find((candidate) => candidate.page === page && candidate.workspace === workspace);
      if (!session) {
        session = { page, workspace, commands: [] };
        sessions.push(session);
      }
      session.commands.push(...parseCommands(page, block.text));
    }
  }
  return sessions;
}

export interface CommandResult {
  command: GuideCommand;
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SessionRun {
  results: CommandResult[];
  /** Standard error of the long-running commands (serve, tools dev), by command line. */
  background: Map<string, string>;
  /** The directory the session started in: a copy of the example, or an empty directory. */
  directory: string;
  /** The home osr-host falls back to without --home; the guide's commands should never touch it. */
  fallbackHome: string;
}

/** A command the session leaves running (serve, tools dev), through bash as a reader's shell would. */
function startBackground(command: string, options: { cwd: string; env: NodeJS.ProcessEnv }): WatchedProcess {
  return watchProcess(spawn('bash', ['-c', `exec ${command}`], { ...options, stdio: ['ignore', 'ignore', 'pipe'] }), command);
}

function run(command: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Omit<CommandResult, 'command'>> {
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn('bash', ['-c', command], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', rejectRun);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** `osr-host` on the PATH, as the quickstart's alias makes it: the built CLI under this Node. */
function installCliShim(directory: string): string {
  const bin = join(directory, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'osr-host'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} "$@"\n`);
  chmodSync(join(bin, 'osr-host'), 0o755);
  return bin;
}

/**
 * Runs a session's commands as a reader would, one after the other with bash, in a fresh copy of
 * its example (build outputs and homes never land in the repository). Differences from a terminal:
 * `cd docs/examples/author/<x>` is where the session already is; `osr-host serve` and
 * `osr-host tools dev` keep running in the background (serve on a free port: `--port 0` is
 * added and `127.0.0.1:1337` in later commands becomes that port); the C example is built against
 * this repository's header through OSR_INCLUDE, since the copy is outside the repository.
 */
export async function runSession(session: GuideSession): Promise<SessionRun> {
  const root = mkdtempSync(join(tmpdir(), `osr-author-guide-${basename(session.page, '.md')}-`));
  const bin = installCliShim(root);
  let cwd = root;
  if (session.workspace !== 'empty') {
    const example = join(examplesDir, session.workspace);
    cwd = join(root, session.workspace);
    const leftovers = new Set(['build', 'target', '.osr-home', 'Cargo.lock']);
    cpSync(example, cwd, { recursive: true, filter: (source) => !leftovers.has(basename(source)) });
  }
  const directory = cwd;
  const fallbackHome = join(root, 'fallback-home');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    OSR_HOST_HOME: fallbackHome,
    OSR_INCLUDE: join(repoDir, 'packages', 'abi-struct', 'include'),
    CC: 'gcc',
  };
  const results: CommandResult[] = [];
  const running: Array<{ line: string; job: WatchedProcess }> = [];
  let servedPort: string | undefined;
  try {
    for (const command of session.commands) {
      const cd = /^cd\s+(\S+)$/.exec(command.line);
      if (cd) {
        const exampleDir = /^docs\/examples\/author\/(c|rust)$/.exec(cd[1]!);
        if (exampleDir) {
          if (exampleDir[1] !== session.workspace) throw new Error(`${session.page}: ${command.line} in a session that runs in ${session.workspace}`);
          if (!existsSync(join(repoDir, cd[1]!))) throw new Error(`${session.page}: ${command.line}: no such directory in the repository`);
        } else {
          cwd = resolve(cwd, cd[1]!);
        }
        results.push({ command, code: 0, stdout: '', stderr: '' });
        continue;
      }
      if (/^osr-host serve\b/.test(command.line)) {
        const serve = startBackground(`${command.line} --port 0`, { cwd, env });
        running.push({ line: command.line, job: serve });
        servedPort = (await serve.waitForLog(/serving on http:\/\/127\.0\.0\.1:(\d+)/))[1];
        results.push({ command, code: null, stdout: '', stderr: serve.stderr() });
        continue;
      }
      if (/^osr-host tools dev\b/.test(command.line)) {
        const dev = startBackground(command.line, { cwd, env });
        running.push({ line: command.line, job: dev });
        await dev.waitForLog(/^watching /m);
        results.push({ command, code: null, stdout: '', stderr: dev.stderr() });
        continue;
      }
      const line = servedPort === undefined ? command.line : command.line.replaceAll('127.0.0.1:1337', `127.0.0.1:${servedPort}`);
      results.push({ command, ...(await run(line, { cwd, env })) });
    }
  } finally {
    for (const { job } of [...running].reverse()) await job.stop();
  }
  return { results, background: new Map(running.map(({ line, job }) => [line, job.stderr()])), directory, fallbackHome };
}

/** The standard output lines a page shows for a command, against what it printed. */
export function stdoutLines(stdout: string): string[] {
  return stdout.replace(/\n$/, '').split('\n').map((line) => line.trimEnd());
}
