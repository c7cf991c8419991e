import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { startFakeOpenAIServer } from '@osr-host/inference-stream/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, runCli as run, runCliAsync, startServe, stopCommands } from './test-support/cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const PLUGIN = 'com.example.replies';
const CLOCK = '{"ok":true,"utc":"2026-01-01T00:00:00Z","epoch":1767225600}';
const { version: HOST_PACKAGE_VERSION } = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as { version: string };

/** fixtures/replies_plugin.c built under a file name that says nothing of its plugin id. */
function repliesLibrary(): string {
  const library = join(mkdtempSync(join(tmpdir(), 'osr-replies-')), 'libreplies.so');
  copyFileSync(compilePlugin(join(here, '..', 'fixtures', 'replies_plugin.c')), library);
  return library;
}

/** A home with the fixture installed (dev mode), as `tools install --dev` leaves it. */
function repliesHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'osr-replies-home-'));
  const source = join(mkdtempSync(join(tmpdir(), 'osr-package-')), `${PLUGIN}-1.0.0`);
  mkdirSync(source);
  copyFileSync(repliesLibrary(), join(source, 'libreplies.so'));
  const installed = run(['tools', 'install', source, '--dev', '--home', home]);
  expect(installed.code, installed.stderr).toBe(0);
  return home;
}

interface InsightsRow {
  pluginId: string;
  agentId: string | null;
  slot: string;
  method: string;
  path: string;
  status: number;
  payload: string | null;
}

function insightsRows(home: string): InsightsRow[] {
  const listed = run(['insights', 'query', '--json', '--limit', '1000', '--home', home]);
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as { rows: InsightsRow[] }).rows;
}

/** Rows a running host writes in the background: wait until `expected` are all there. */
async function eventuallyRows(home: string, count: (rows: InsightsRow[]) => number, expected: number): Promise<InsightsRow[]> {
  for (let attempt = 0; ; attempt++) {
    const rows = insightsRows(home);
    if (count(rows) >= expected || attempt > 100) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function texts(result: unknown): string[] {
  return (result as CallToolResult).content.map((item) => (item.type === 'text' ? item.text : `<${item.type}>`));
}

const toolRows = (rows: InsightsRow[]) => rows.filter((row) => row.slot === 'tool');

/** The same checks for every transport: each reply shape, argument checking, names and serverInfo. */
async function checkPluginReplies(client: Client): Promise<void> {
  expect(client.getServerVersion()?.version).toBe(HOST_PACKAGE_VERSION);
  const { tools } = await client.listTools();
  expect(tools.map((tool) => tool.name).sort()).toEqual([`${PLUGIN}__calls`, `${PLUGIN}__clock`, `${PLUGIN}__fetch`, `${PLUGIN}__plain`]);

  const clock = await client.callTool({ name: `${PLUGIN}__clock`, arguments: {} });
  expect([clock.isError ?? false, texts(clock), clock.structuredContent]).toEqual([false, [CLOCK], JSON.parse(CLOCK)]);
  const plain = await client.callTool({ name: `${PLUGIN}__plain`, arguments: {} });
  expect([plain.isError ?? false, texts(plain), plain.structuredContent]).toEqual([false, ['It is midnight.'], undefined]);

  const unchecked = await client.callTool({ name: `${PLUGIN}__fetch`, arguments: { url: 42 } });
  expect([unchecked.isError, texts(unchecked)]).toEqual([true, ['invalid_args: $.url must be string (field: $.url)']]);
  expect(texts(await client.callTool({ name: `${PLUGIN}__calls`, arguments: {} }))).toEqual(['0']);
  const failed = await client.callTool({ name: `${PLUGIN}__fetch`, arguments: { url: 'https://example.com' } });
  expect([failed.isError, texts(failed)]).toEqual([true, ['invalid_args: url is required']]);
  expect(texts(await client.callTool({ name: `${PLUGIN}__calls`, arguments: {} }))).toEqual(['1']);
}

/** The Insights rows `checkPluginReplies` leaves: one per tool call, with surface, tool, agent, status and error kind. */
function expectMcpToolRows(rows: InsightsRow[]): void {
  const calls = toolRows(rows).map((row) => ({ ...row, payload: JSON.parse(row.payload ?? 'null') as Record<string, unknown> }));
  expect(calls).toHaveLength(6);
  for (const row of calls) expect(row).toMatchObject({ pluginId: PLUGIN, agentId: AGENT, method: 'TOOL', payload: { surface: 'mcp' } });
  const byOutcome = calls.map((row) => `${row.path} ${row.status} ${String(row.payload.error_kind)}`).sort();
  expect(byOutcome).toEqual([
    '/tools/calls 200 null',
    '/tools/calls 200 null',
    '/tools/clock 200 null',
    '/tools/fetch 400 invalid_args',
    '/tools/fetch 400 invalid_args',
    '/tools/plain 200 null',
  ]);
}

describe.each([
  ['in-process', []],
  ['isolated', ['--isolate']],
])('a plugin’s replies through every surface (%s)', (_mode, isolate: string[]) => {
  afterEach(stopCommands);

  it('invoke prints each reply as the plugin wrote it, under the manifest’s plugin id, and records the call', () => {
    const home = mkdtempSync(join(tmpdir(), 'osr-replies-home-'));
    const library = repliesLibrary();
    const invoke = (tool: string, payload = '{}') => run(['invoke', library, tool, payload, '--home', home, '--agent', AGENT, ...isolate]);
    expect(invoke('clock')).toMatchObject({ code: 0, stdout: `${CLOCK}\n` });
    expect(invoke('plain')).toMatchObject({ code: 0, stdout: 'It is midnight.\n' });
    expect(invoke('fetch', '{"url":"x"}')).toMatchObject({ code: 0, stdout: '{"ok":false,"kind":"invalid_args","message":"url is required"}\n' });
    const calls = toolRows(insightsRows(home));
    expect(calls.map((row) => [row.pluginId, row.agentId, row.path, row.status, JSON.parse(row.payload ?? '{}').surface, JSON.parse(row.payload ?? '{}').error_kind]).sort()).toEqual([
      [PLUGIN, AGENT, '/tools/clock', 200, 'invoke', null],
      [PLUGIN, AGENT, '/tools/fetch', 400, 'invoke', 'invalid_args'],
      [PLUGIN, AGENT, '/tools/plain', 200, 'invoke', null],
    ]);
  });

  it('mcp over stdio passes the replies through to the MCP SDK client, checks arguments, and records every call', async () => {
    const home = repliesHome();
    const client = new Client({ name: 'replies-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--dev', '--home', home, '--agent', AGENT, ...isolate], stderr: 'pipe' }));
    try {
      await checkPluginReplies(client);
    } finally {
      await client.close();
    }
    expectMcpToolRows(await eventuallyRows(home, (rows) => toolRows(rows).length, 6));
  });

  it('serve answers MCP over streamable HTTP and the plugin’s route (HEAD too), and records tool calls and route requests', async () => {
    const home = repliesHome();
    const served = await startServe(['--dev', '--home', home, '--agent', AGENT, ...isolate]);
    const token = readFileSync(join(home, 'run', 'mcp-token'), 'utf8').trim();
    const client = new Client({ name: 'replies-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${served.port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      await checkPluginReplies(client);
    } finally {
      await client.close();
    }
    const url = `http://127.0.0.1:${served.port}/plugins/${PLUGIN}/time`;
    const got = await fetch(url, { headers: { 'X-Osaurus-Agent-Id': AGENT } });
    expect([got.status, await got.text()]).toEqual([200, '{"epoch":1767225600}']);
    const head = await fetch(url, { method: 'HEAD', headers: { 'X-Osaurus-Agent-Id': AGENT } });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, '20', '']);
    expect((await fetch(`http://127.0.0.1:${served.port}/plugins/${PLUGIN}/nowhere`, { headers: { 'X-Osaurus-Agent-Id': AGENT } })).status).toBe(404);

    const routeRows = (rows: InsightsRow[]) => rows.filter((row) => row.slot === 'route');
    const rows = await eventuallyRows(home, (found) => Math.min(routeRows(found).length, toolRows(found).length >= 6 ? 3 : 0), 3);
    expectMcpToolRows(rows);
    expect(routeRows(rows).map((row) => [row.method, row.path, row.status, row.agentId]).sort()).toEqual([
      ['GET', `/plugins/${PLUGIN}/nowhere`, 404, AGENT],
      ['GET', `/plugins/${PLUGIN}/time`, 200, AGENT],
      ['HEAD', `/plugins/${PLUGIN}/time`, 200, AGENT],
    ]);
  });
});

describe('osr-host mcp with nothing to serve', () => {
  it('says so on stderr and exits 1, unless asked to wait', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osr-empty-home-'));
    const empty = run(['mcp', '--home', home]);
    expect(empty.code).toBe(1);
    expect(empty.logs).toEqual([expect.objectContaining({ level: 'error', msg: expect.stringMatching(/^nothing to serve over MCP: no plugin with tools is installed/) })]);
    expect(empty.stdout).toBe('');

    const client = new Client({ name: 'empty-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--wait', '--home', home], stderr: 'pipe' }));
    try {
      expect((await client.listTools()).tools).toEqual([]);
    } finally {
      await client.close();
    }
    expect(run(['mcp', '--help']).stdout).toMatch(/--dev[\s\S]*--wait/);
  });
});

describe('osr-host invoke on a loose library', () => {
  const testPlugin = () => compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });

  it('runs it under its manifest’s plugin_id, so `config set <plugin_id>` reaches it; --plugin-id still overrides', () => {
    const home = mkdtempSync(join(tmpdir(), 'osr-loose-'));
    expect(run(['config', 'set', 'test.plugin', 'token', 'abc', '--agent', AGENT, '--home', home]).code).toBe(0);
    const read = run(['invoke', testPlugin(), 'call.config_get', 'token', '--raw', '--agent', AGENT, '--home', home]);
    expect(JSON.parse(read.stdout).result).toBe('abc');
    const other = run(['invoke', testPlugin(), 'call.config_get', 'token', '--raw', '--agent', AGENT, '--plugin-id', 'other.id', '--home', home]);
    expect(JSON.parse(other.stdout).result).toBeNull();
    expect(run(['inspect', testPlugin(), '--home', home]).code).toBe(0);
  });

  it('refuses a payload that is not JSON, with a clear error, unless --raw', () => {
    const refused = run(['invoke', testPlugin(), 'echo', '{name: Ada}', '--home', mkdtempSync(join(tmpdir(), 'osr-loose-'))]);
    expect(refused.code).toBe(2);
    expect(refused.logs).toEqual([
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/^The payload must be JSON \(.*\): quote it for the shell, e\.g\. '\{"name":"Ada"\}', or pass --raw/) }),
    ]);
  });

  it('prints plugin log text escaped, never terminal control sequences', () => {
    const hostile = '\u001b[2J\u001b[31mred\u0007\rforged';
    const home = mkdtempSync(join(tmpdir(), 'osr-loose-'));
    // JSON lines carry the text exactly, escaped by JSON itself.
    const asJson = run(['invoke', testPlugin(), 'call.log', hostile, '--raw', '--home', home]);
    expect(asJson.logs).toContainEqual(expect.objectContaining({ level: 'info', plugin: 'test.plugin', msg: hostile }));
    expect(asJson.stderr).not.toContain('\u001b');
    // Text for a person shows the control characters as \xNN.
    const asText = run(['invoke', testPlugin(), 'call.log', hostile, '--raw', '--home', home, '--log-format', 'pretty']);
    expect(asText.stderr).toMatch(/^\d\d:\d\d:\d\d INFO {2}\[test\.plugin\] \\x1b\[2J\\x1b\[31mred\\x07\\x0dforged$/m);
    expect(asText.stderr).not.toContain('\u001b');
  });

  it('says when the tool left background tasks that end with it, and waits for them with --wait', async () => {
    const model = await startFakeOpenAIServer({ models: ['tiny'], tokenDelayMs: 150, reply: () => ({ kind: 'text', tokens: ['Summary ', 'of ', 'the ', 'day.'] }) });
    try {
      const home = mkdtempSync(join(tmpdir(), 'osr-loose-'));
      mkdirSync(join(home, 'config'), { recursive: true });
      writeFileSync(join(home, 'config', 'inference.json'), JSON.stringify({ providers: [{ name: 'local', baseURL: model.baseURL, models: ['tiny'] }], defaultModel: 'tiny' }));
      // Asynchronously: the model server answers from this process, which a synchronous run would block.
      const dispatch = (extra: string[]) =>
        runCliAsync(['invoke', testPlugin(), 'call.dispatch', '{"prompt":"summarise","title":"Nightly summary"}', '--home', home, '--agent', AGENT, ...extra]);
      const left = await dispatch([]);
      expect(left.code).toBe(0);
      expect(left.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: expect.stringMatching(/^the tool started background tasks that end when invoke exits: [0-9A-F-]{36} \(running, Nightly summary\)\. Pass --wait/),
        }),
      );
      const waited = await dispatch(['--wait']);
      expect(waited.code).toBe(0);
      expect(waited.log).not.toMatch(/background tasks/);
      expect(run(['tasks', 'list', '--home', home]).stdout).toMatch(/completed/);
    } finally {
      await model.close();
    }
  });
});
