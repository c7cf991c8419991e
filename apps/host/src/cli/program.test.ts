import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import type { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import hostPackage from '../../package.json' with { type: 'json' };
import { runCli, startServe, stopCommands } from '../test-support/cli.js';
import { packageDirectory } from '../test-support/packages.js';
import { createProgram } from './program.js';

const ANSI = /\u001b\[[0-9;]*m/;
const freshHome = () => mkdtempSync(join(tmpdir(), 'osr-host-home-'));

/** Every command a user can run, with the words that reach it (`tools install`, `serve`, …). */
function leafCommands(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  const here = command.parent ? [...path, command.name()] : path;
  const children = command.commands.filter((child) => child.name() !== 'help');
  return children.length === 0 ? [{ path: here, command }] : children.flatMap((child) => leafCommands(child, here));
}

describe('osr-host command line', () => {
  afterEach(stopCommands);

  it('prints the package version with --version', () => {
    expect(runCli(['--version'])).toMatchObject({ code: 0, stdout: `${hostPackage.version}\n` });
  });

  it("shows each command's own options, arguments and examples with --help", () => {
    const commands = leafCommands(createProgram({ check: true }));
    expect(commands.map(({ path }) => path.join(' '))).toEqual(expect.arrayContaining(['serve', 'invoke', 'tools install', 'tasks watch', 'insights link', 'keys mint']));
    for (const { path, command } of commands) {
      if (command.options.length === 0 && command.registeredArguments.length === 1 && command.registeredArguments[0]!.name() === 'arguments') continue; // parsed by its package
      const help = command.helpInformation();
      expect(help, path.join(' ')).toContain(`Usage: osr-host ${path.join(' ')}`);
      for (const option of command.options) expect(help, `${path.join(' ')} ${option.long}`).toContain(option.long!);
    }
    // Through the real binary: a subcommand's help is its own, not the global one.
    const serveHelp = runCli(['serve', '--help']);
    expect(serveHelp.code).toBe(0);
    expect(serveHelp.stdout).toMatch(/Usage: osr-host serve \[options\][\s\S]*--port <n>[\s\S]*Examples:/);
    const toolsHelp = runCli(['tools', '--help']).stdout;
    expect(toolsHelp).toMatch(/Usage: osr-host tools[\s\S]*install \[options\] <dir\|zip\|url\|id>/);
    expect(toolsHelp).not.toContain('Usage: osr-host [options] [command]');
  });

  it('suggests the command or option meant, and exits 2 for a wrong command line', () => {
    const command = runCli(['serv']);
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('(Did you mean serve?)');
    const option = runCli(['invoke', 'x.so', 'echo', '--hme', '/tmp']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('(Did you mean --home?)');
    expect(runCli([]).code).toBe(2);
  });

  it('paints only where colour is wanted: NO_COLOR always wins, FORCE_COLOR forces it into a pipe', () => {
    const home = freshHome();
    expect(runCli(['agents', 'list', '--home', home], { FORCE_COLOR: '1', NO_COLOR: '' }).stdout).toMatch(ANSI);
    expect(runCli(['agents', 'list', '--home', home], { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout).not.toMatch(ANSI);
    expect(runCli(['agents', 'list', '--home', home], { CI: 'true', FORCE_COLOR: undefined, NO_COLOR: undefined }).stdout).not.toMatch(ANSI);
  });

  it('lists as a table with a header, or as JSON with --json', () => {
    const home = freshHome();
    const table = runCli(['agents', 'list', '--home', home], { NO_COLOR: '1' }).stdout.split('\n');
    expect(table[0]).toMatch(/^ID +NAME +NOTE$/);
    expect(table[1]).toMatch(/^00000000-0000-0000-0000-000000000001 +Default +built-in Default agent$/);
    const listed = JSON.parse(runCli(['agents', 'list', '--home', home, '--json']).stdout) as Array<{ id: string; builtIn: boolean; default: boolean }>;
    expect(listed).toHaveLength(2);
    expect(listed.filter((agent) => agent.default)).toHaveLength(1);
    expect(JSON.parse(runCli(['keys', 'list', '--home', home, '--json']).stdout)).toEqual([]);
    expect(JSON.parse(runCli(['tools', 'list', '--home', home, '--json']).stdout)).toEqual([]);
  });
});

describe('osr-host serve landing page', () => {
  afterEach(stopCommands);

  it('answers GET / with the loaded plugins, their tools and routes, and where MCP and Insights are', async () => {
    const home = freshHome();
    const source = packageDirectory('test.plugin', '1.0.6', compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }));
    expect(runCli(['tools', 'install', source, '--dev', '--home', home]).code).toBe(0);
    const serve = await startServe(['--dev', '--home', home]);
    const origin = `http://127.0.0.1:${serve.port}`;
    const page = await fetch(`${origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/mcp');
    expect(html).toContain('href="/insights"');
    expect(html).toContain('osr-host insights link');
    expect(html).toContain('<code>test.plugin</code> 1.0.6');
    expect(html).toMatch(/<code>echo<\/code>/);
    const missing = await fetch(`${origin}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });
  });
});
