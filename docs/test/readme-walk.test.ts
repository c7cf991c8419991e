import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repositoryRoot } from '../scripts/page.ts';
import { simpleCommands } from './support/cli-commands.ts';
import { watchProcess } from './support/watched-process.ts';

/** The README's sh blocks, in order, each with the heading it stands under and its command lines. */
function readmeBlocks(): Array<{ heading: string; lines: string[] }> {
  const blocks: Array<{ heading: string; lines: string[] }> = [];
  let heading = '';
  let block: string[] | undefined;
  for (const line of readFileSync(join(repositoryRoot, 'README.md'), 'utf8').split('\n')) {
    if (block === undefined && line.startsWith('#')) heading = line.replace(/^#+\s*/, '');
    else if (block === undefined && line.trim() === '```sh') block = [];
    else if (block !== undefined && line.trim() === '```') {
      blocks.push({ heading, lines: block });
      block = undefined;
    } else if (block !== undefined && line.trim() !== '') block.push(line);
  }
  return blocks;
}

/** A command line without its trailing `# comment`. */
const withoutComment = (line: string) => line.replace(/\s+#\s.*$/, '');

/** Runs one README line with bash, as a reader pastes it; `npx osr-host` finds the checkout's own bin. */
function runLine(line: string, cwd: string) {
  const env = { ...process.env, PATH: `${join(repositoryRoot, 'node_modules', '.bin')}${delimiter}${process.env.PATH}`, NO_COLOR: '1', npm_config_yes: 'false' };
  return spawnSync('bash', ['-c', withoutComment(line)], { cwd, env, encoding: 'utf8', timeout: 180_000 });
}

let started: ChildProcess | undefined;
let scratch: string | undefined;
afterAll(() => {
  if (started?.pid) process.kill(-started.pid, 'SIGTERM');
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the README, walked as written', () => {
  const blocks = readmeBlocks();

  it('starts with the set-up: one command that serves the example plugin, one that tests', () => {
    expect(blocks[0]!.lines.map(withoutComment)).toEqual(['npm ci && npm start', 'npm test']);
    expect(blocks.map((block) => block.heading)).toEqual(expect.arrayContaining(['Try it', 'Plugin authors']));
  });

  it('serves with `npm start`, then runs every command of "Try it" and "Plugin authors" in order', async () => {
    // `npm ci` already ran for this checkout (the tests need it); `-- --port 0` keeps a busy 1337 from failing the walk.
    started = spawn('npm', ['start', '--', '--port', '0'], { cwd: repositoryRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    const serve = watchProcess(started, 'npm start');
    const [, origin] = await serve.waitForLog(/serving on (http:\/\/127\.0\.0\.1:\d+)/, 300_000);
    // Under a supervisor (stderr is a pipe), the host logs JSON lines.
    expect(serve.logs()).toContainEqual(expect.objectContaining({ level: 'info', time: expect.any(String), msg: `serving on ${origin} (Ctrl-C to stop)` }));
    expect(await (await fetch(`${origin}/health`)).json()).toMatchObject({ status: 'ok', plugins: [expect.objectContaining({ plugin_id: 'dev.osr.hello' })] });

    const outputs = new Map<string, string>();
    const walk = (heading: string, cwd: string) => {
      for (const line of blocks.find((block) => block.heading === heading)!.lines) {
        const result = runLine(line, cwd);
        expect({ line, code: result.status, stderr: result.stderr }).toMatchObject({ line, code: 0 });
        outputs.set(simpleCommands(withoutComment(line))[0]!.slice(0, 3).join(' '), result.stdout);
      }
    };
    walk('Try it', repositoryRoot);
    expect(JSON.parse(outputs.get('npx osr-host invoke')!)).toBeDefined();
    const link = outputs.get('npx osr-host insights')!.trim();
    expect(link).toMatch(new RegExp(`^${origin}/insights\\?token=`));
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(303);

    // The author's commands make a project in the working directory: a scratch one inside the
    // checkout (git ignores .scratch/), where `npx osr-host` still finds the checkout's own CLI.
    mkdirSync(join(repositoryRoot, '.scratch'), { recursive: true });
    scratch = mkdtempSync(join(repositoryRoot, '.scratch', 'readme-author-'));
    walk('Plugin authors', scratch);
    expect(outputs.get('npx osr-host invoke')).toContain('"ok":true');
  }, 600_000);
});
