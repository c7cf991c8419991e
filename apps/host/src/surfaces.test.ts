import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { startFakeOpenAIServer } from '@osr-host/inference-stream/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, runCli as run, startServe, stopCommands } from './test-support/cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const example = join(here, '..', '..', '..', 'examples', 'hello-plugin');
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';


/** A home with the example plugin installed, as `npm start` prepares it. */
function exampleHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'osr-surfaces-'));
  const make = spawnSync('make', ['-s', '-C', example, 'install', `HOME_DIR=${home}`], { encoding: 'utf8' });
  expect(make.status, make.stderr).toBe(0);
  return home;
}

describe('osr-host mcp (stdio)', () => {
  it('serves the installed plugins’ tools to the MCP SDK client', async () => {
    const client = new Client({ name: 'osr-host-tests', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [cli, 'mcp', '--dev', '--home', exampleHome(), '--agent', AGENT], stderr: 'pipe' }));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['dev.osr.hello__count', 'dev.osr.hello__greet', 'dev.osr.hello__remind', 'dev.osr.hello__whoami']);
      const greeting = await client.callTool({ name: 'dev.osr.hello__greet', arguments: { name: 'Ada' } });
      expect(greeting.isError).toBeFalsy();
      expect(JSON.stringify(greeting.content)).toContain('Hello, Ada!');
      const who = await client.callTool({ name: 'dev.osr.hello__whoami', arguments: {} });
      expect(JSON.stringify(who.content)).toContain(AGENT);
    } finally {
      await client.close();
    }
  });
});

describe('osr-host serve: /mcp, insights and dispatch', () => {
  afterEach(stopCommands);

  it('serves MCP over streamable HTTP to a holder of the loopback token, and refuses others', async () => {
    const home = exampleHome();
    const served = await startServe(['--dev', '--home', home]);
    const port = served.port;
    const url = new URL(`http://127.0.0.1:${port}/mcp`);
    expect((await fetch(url, { method: 'POST', body: '{}' })).status).toBe(401);
    const token = readFileSync(join(home, 'run', 'mcp-token'), 'utf8').trim();
    const client = new Client({ name: 'osr-host-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      const counted = await client.callTool({ name: 'dev.osr.hello__count', arguments: {} });
      const [first] = counted.content as Array<{ type: string; text: string }>;
      expect(JSON.parse(first!.text)).toEqual({ ok: true, result: { columns: ['runs'], rows: [[1]] } });
    } finally {
      await client.close();
    }
  });

  it('runs a background task in serve that asks for clarification, answered with `osr-host tasks answer`', async () => {
    const model = await startFakeOpenAIServer({
      models: ['tiny'],
      tokenDelayMs: 1,
      reply: (_request, index) =>
        index === 0
          ? { kind: 'tool_calls', calls: [{ name: 'clarify', arguments: '{"question":"Which day?","options":["Monday","Friday"]}' }] }
          : { kind: 'text', tokens: ['Booked ', 'for ', 'Friday.'] },
    });
    try {
      const home = exampleHome();
      mkdirSync(join(home, 'config'), { recursive: true });
      writeFileSync(join(home, 'config', 'inference.json'), JSON.stringify({ providers: [{ name: 'local', baseURL: model.baseURL, models: ['tiny'] }], defaultModel: 'tiny' }));
      const served = await startServe(['--dev', '--home', home, '--agent', AGENT]);
      const port = served.port;
      const token = readFileSync(join(home, 'run', 'mcp-token'), 'utf8').trim();
      const client = new Client({ name: 'osr-host-tests', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
      const started = await client.callTool({ name: 'dev.osr.hello__remind', arguments: { prompt: 'Book the team dinner', title: 'Team dinner' } });
      await client.close();
      const [text] = started.content as Array<{ text: string }>;
      const { id } = (JSON.parse(text!.text) as { result: { id: string; status: string } }).result;

      // The task pauses on the model's clarify call: wait until the model server has served that round.
      while (model.responses.length < 1 || !model.responses[0]!.completed) await new Promise((resolve) => setTimeout(resolve, 20));
      const listed = run(['tasks', 'list', '--home', home]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('Team dinner');
      const answered = run(['tasks', 'answer', id, 'Friday', '--home', home]);
      expect(answered.code, answered.stderr).toBe(0);
      while (model.responses.length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(JSON.stringify(model.responses[1]!.request.messages)).toContain('Friday');
      expect(run(['tasks', 'answer', randomUUID(), 'again', '--home', home]).code).toBe(1);
    } finally {
      await model.close();
    }
  });

  it('records every host call of an invoke for `osr-host insights`', () => {
    const home = mkdtempSync(join(tmpdir(), 'osr-surfaces-'));
    const plugin = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
    run(['invoke', plugin, 'call.db_query', 'SELECT 1', '--raw', '--home', home, '--agent', AGENT]);
    run(['invoke', plugin, 'call.log', 'insights can see this', '--raw', '--home', home, '--agent', AGENT]);
    const listed = run(['insights', 'query', '--json', '--home', home]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('/host-api/db/query');
    expect(listed.stdout).toContain('insights can see this');
  });

  it('dispatches a background task from a C plugin and lists it with `osr-host tasks list`', () => {
    const home = mkdtempSync(join(tmpdir(), 'osr-surfaces-'));
    const plugin = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
    const refused = run(['invoke', plugin, 'call.dispatch', '{"prompt":"summarise"}', '--home', home, '--agent', '00000000-0000-0000-0000-000000000001']);
    expect(JSON.parse(JSON.parse(refused.stdout).result)).toMatchObject({ error: 'built_in_agent_not_exposable' });
    const started = run(['invoke', plugin, 'call.dispatch', '{"prompt":"summarise","title":"Nightly summary"}', '--home', home, '--agent', AGENT]);
    expect(JSON.parse(JSON.parse(started.stdout).result)).toMatchObject({ status: 'running', id: expect.stringMatching(/^[0-9A-F-]{36}$/) });
    const listed = run(['tasks', 'list', '--home', home]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Nightly summary');
  });
});
