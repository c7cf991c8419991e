import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { logRecords, logText } from '../../apps/host/src/test-support/logs.ts';
import {
  type CommandResult,
  cli,
  docsDir,
  examplesDir,
  type GuideSession,
  guideDir,
  guidePages,
  guideSessions,
  markerProblem,
  repoDir,
  runSession,
  type SessionRun,
  shellBlocks,
  stdoutLines,
} from './support/author-guide.ts';

/**
 * The plugin author guide runs as written: every shell block its pages mark is run in a fresh copy of
 * the example it builds (docs/test/support/author-guide.ts says how), each command must succeed, and
 * each `# ...` line under a command must be exactly what it printed. On top of that, the checks below
 * spell out what the quickstart demonstrates, so deleting an output line cannot quietly drop them.
 */

const haveCargo = spawnSync('cargo', ['--version']).status === 0;
if (!haveCargo && !process.env.CI) console.warn('author guide: the Rust example is skipped, cargo is missing; it always runs when CI is set');

const sessions = guideSessions();
const sessionOf = (page: string, workspace: GuideSession['workspace']) => {
  const session = sessions.find((candidate) => candidate.page === page && candidate.workspace === workspace);
  if (!session) throw new Error(`${page} has no block run in ${workspace}`);
  return session;
};

/** The result of the n-th command (1-based) whose line matches. */
function resultOf(run: SessionRun, pattern: RegExp, n = 1): CommandResult {
  const result = run.results.filter(({ command }) => pattern.test(command.line))[n - 1];
  if (!result) throw new Error(`no command #${n} matching ${pattern}`);
  return result;
}

/** What every run command must do: succeed, print what its page shows, and keep to its --home. */
function expectAsWritten(run: SessionRun): void {
  for (const { command, code, stdout, stderr } of run.results) {
    const where = `${command.page}: ${command.line}\n${stderr}`;
    if (code !== null) expect(code, where).toBe(0);
    if (command.expectedStdout.length > 0) expect(stdoutLines(stdout), where).toEqual(command.expectedStdout);
  }
  expect(existsSync(run.fallbackHome), 'a command ran without --home and wrote to $OSR_HOST_HOME').toBe(false);
}

/** Forgets the settings the pages write: config goes to the OS keychain when there is one, which every home shares. */
function forgetGuideConfig(): void {
  const home = mkdtempSync(join(tmpdir(), 'osr-author-guide-config-'));
  for (const agent of [[], ['--agent', '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB']]) {
    spawnSync(process.execPath, [cli, 'config', 'delete', 'dev.example.notes', 'max_notes', ...agent, '--home', home]);
  }
}

beforeAll(() => {
  expect(existsSync(cli), `${cli} is missing: run \`npx nx run osr-host:build\` first`).toBe(true);
  forgetGuideConfig();
});

describe('the author guide pages', () => {
  it('mark every shell block as run or not run, and run at least the quickstart, C, Rust, testing and debugging commands', () => {
    const problems = guidePages.flatMap((page) => shellBlocks(page).map(markerProblem)).filter((problem) => problem !== undefined);
    expect(problems).toEqual([]);
    expect(sessions.map(({ page, workspace }) => `${page} ${workspace}`).sort()).toEqual(
      ['c.md c', 'debugging.md c', 'index.md c', 'index.md empty', 'rust.md rust', 'testing.md c'].sort(),
    );
  });

  it('show code only through file snippets that exist, region included', () => {
    for (const page of guidePages) {
      const text = readFileSync(join(guideDir, page), 'utf8');
      expect(text, `${page} pastes code: show it with <<< @/examples/...`).not.toMatch(/^```(c|rust|toml|make|makefile|json)\b/m);
      for (const [, path, region] of text.matchAll(/^<<< @\/(\S+?)(?:#([\w-]+))?(?:\{[^}]*\})?$/gm)) {
        const file = join(docsDir, path!);
        expect(existsSync(file), `${page}: ${path}`).toBe(true);
        // VitePress shows the whole file when a region is missing, so a renamed region would go unnoticed.
        if (region) expect(readFileSync(file, 'utf8'), `${page}: region ${region} of ${path}`).toMatch(new RegExp(`^\\s*(//|#) ?#?region ${region}$`, 'm'));
      }
    }
  });

  it('quote only error messages that the host really prints', () => {
    const sources = resolveStringConstants([join(repoDir, 'packages'), join(repoDir, 'apps', 'host', 'src')].flatMap((root) => sourceFiles(root)).map((file) => readFileSync(file, 'utf8')));
    const page = readFileSync(join(guideDir, 'debugging.md'), 'utf8');
    const quoted = [...page.matchAll(/^\| `([^`]+)` \|/gm)].map(([, message]) => message!);
    expect(quoted.length).toBeGreaterThan(8);
    for (const message of quoted) {
      // Placeholders such as <id> stand for interpolated values; every literal piece must be in the code.
      for (const piece of message.split(/<[a-z_ ]+>/).map((part) => part.replace(/^[\s:]+|\s+$/g, '')).filter((part) => part.length >= 6)) {
        expect(sources.some((source) => source.includes(piece)), `"${piece}" (from "${message}") is not in the host's sources`).toBe(true);
      }
    }
  });

  it('give both examples the same manifest', () => {
    expect(readFileSync(join(examplesDir, 'rust', 'osaurus-plugin.json'), 'utf8')).toBe(readFileSync(join(examplesDir, 'c', 'osaurus-plugin.json'), 'utf8'));
  });
});

/** Sources with `${NAME}` replaced by NAME's value wherever NAME is a plain string constant (`const NAME = '…'`). */
function resolveStringConstants(sources: string[]): string[] {
  const constants = new Map(sources.flatMap((source) => [...source.matchAll(/\bconst ([A-Z][A-Z0-9_]*) = '([^'\\]*)'/g)].map(([, name, value]) => [name!, value!] as const)));
  return sources.map((source) => source.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (placeholder, name: string) => constants.get(name) ?? placeholder));
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'dist', 'build'].includes(entry.name) ? [] : sourceFiles(path);
    return /\.(ts|c)$/.test(entry.name) && !/\.(test|bench)\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('the quickstart', () => {
  let run: SessionRun;

  beforeAll(async () => {
    run = await runSession(sessionOf('index.md', 'c'));
  }, 300_000);

  it('runs as written', () => {
    expectAsWritten(run);
  });

  it('builds the C example with gcc -Wall -Wextra -Werror', () => {
    const make = resultOf(run, /^make$/);
    expect(make.stdout).toMatch(/^gcc [^\n]*-Wall -Wextra -Werror[\s\S]* plugin\.c -o build\/libnotes\.so$/m);
    expect(existsSync(join(run.directory, 'build', 'libnotes.so'))).toBe(true);
  });

  it('validates the manifest the library returns', () => {
    const validated = resultOf(run, /^osr-host manifest validate /);
    const manifest = JSON.parse(validated.stdout) as { plugin_id: string; capabilities: { tools: Array<{ id: string }> } };
    expect(manifest.plugin_id).toBe('dev.example.notes');
    expect(manifest.capabilities.tools.map((tool) => tool.id)).toEqual(['add_note', 'list_notes']);
  });

  it('saves notes in the plugin database and logs through the host', () => {
    expect(JSON.parse(resultOf(run, / add_note /).stdout)).toEqual({ ok: true, result: { id: 1 } });
    expect(logRecords(resultOf(run, / add_note /).stderr)).toContainEqual(expect.objectContaining({ level: 'info', plugin: 'dev.example.notes', msg: 'saved note 1' }));
    expect(JSON.parse(resultOf(run, / list_notes /).stdout).result.rows).toEqual([
      [1, 'buy milk'],
      [2, 'call Ada'],
    ]);
    expect(existsSync(join(run.directory, '.osr-home', 'Tools', 'dev.example.notes', 'data', 'data.db'))).toBe(true);
  });

  it('round-trips a setting: the CLI writes it, the plugin reads it and keeps only the newest notes', () => {
    expect(resultOf(run, /^osr-host config get /).stdout).toBe('2\n');
    expect(JSON.parse(resultOf(run, / list_notes /, 2).stdout).result.rows).toEqual([
      [2, 'call Ada'],
      [3, 'water the plants'],
    ]);
  });

  it('serves the plugin that tools dev built and installed', () => {
    const health = JSON.parse(resultOf(run, /^curl /).stdout) as { plugins: unknown[]; failures: unknown[] };
    expect(health.plugins).toEqual([{ plugin_id: 'dev.example.notes', version: '1.0.0', abi: 6 }]);
    expect(health.failures).toEqual([]);
    expect(logText(run.background.get('osr-host tools dev . --home .osr-home')!)).toMatch(/reloaded: \{"reloaded":\["dev\.example\.notes"\],"failures":\[\]\}/);
  });
});

describe('the quickstart scaffold', () => {
  it('creates, builds and invokes a scaffolded C plugin as written', async () => {
    const run = await runSession(sessionOf('index.md', 'empty'));
    expectAsWritten(run);
    expect(resultOf(run, /^osr-host tools create /).stdout).toContain('Created dev.example.greeter in ');
  }, 300_000);
});

describe('A plugin in C', () => {
  it('runs as written', async () => {
    expectAsWritten(await runSession(sessionOf('c.md', 'c')));
  }, 300_000);
});

describe.skipIf(!haveCargo && !process.env.CI)('A plugin in Rust', () => {
  it('builds with cargo offline and answers like the C example', async () => {
    const run = await runSession(sessionOf('rust.md', 'rust'));
    expectAsWritten(run);
    expect(existsSync(join(run.directory, 'target', 'release', 'libnotes.so'))).toBe(true);
    expect(JSON.parse(resultOf(run, / list_notes /).stdout)).toEqual({
      ok: true,
      result: {
        columns: ['id', 'text'],
        rows: [
          [1, 'buy milk'],
          [2, 'call Ada'],
        ],
      },
    });
  }, 300_000);
});

describe('Testing with the host CLI', () => {
  it('runs as written', async () => {
    expectAsWritten(await runSession(sessionOf('testing.md', 'c')));
  }, 300_000);
});

describe('Debugging', () => {
  it('runs as written', async () => {
    const run = await runSession(sessionOf('debugging.md', 'c'));
    expectAsWritten(run);
    expect(resultOf(run, /^osr-host insights tail /).stdout).toMatch(/dev\.example\.notes +POST +200 .*\/host-api\/db\/exec/);
  }, 300_000);
});
