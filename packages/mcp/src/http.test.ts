import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import type { NativePlugin } from '@osr-host/runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ServedPlugin } from './catalog.js';
import { createMcpHttpHandler, type McpHttpHandler, writeLoopbackToken } from './http.js';
import { createPluginToolServer, type PluginToolServer, type ToolCallEvent } from './server.js';
import { buildToolsPlugin, loadServedPlugin } from './test-support/plugins.js';

const DEFAULT_AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const SESSION_AGENT = 'A1B2C3D4-0000-4000-8000-00000000000A';
const ACCESS_KEY = 'osk-v1-test-access-key';
const scratch = mkdtempSync(join(tmpdir(), 'osr-mcp-http-'));
const loopbackToken = writeLoopbackToken(join(scratch, 'run', 'mcp-token'));

let plugins: (ServedPlugin & { plugin: NativePlugin })[] = [];
const callEvents: ToolCallEvent[] = [];
let toolServer: PluginToolServer;
let handler: McpHttpHandler;
let server: http.Server;
let port: number;
/** /mcp responses not yet closed: SSE streams included. */
let openMcpResponses = 0;
/** Open GET streams: where a session's server-initiated notifications go. */
let openNotificationStreams = 0;
const patiently = { timeout: 10_000 };
const clients: Client[] = [];

function texts(result: unknown): string[] {
  return (result as CallToolResult).content.map((item) => (item.type === 'text' ? item.text : `<${item.type}>`));
}

async function connect(headers: Record<string, string>, host = '127.0.0.1'): Promise<Client> {
  const client = new Client({ name: 'http-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://${host}:${port}/mcp`), { requestInit: { headers } }));
  clients.push(client);
  return client;
}

function mcpPlugin(): ServedPlugin & { plugin: NativePlugin } {
  return plugins.find((entry) => entry.plugin.id === 'mcp.fixture') as ServedPlugin & { plugin: NativePlugin };
}

beforeAll(async () => {
  plugins = [
    await loadServedPlugin(buildToolsPlugin(), 'mcp.fixture', scratch),
    await loadServedPlugin(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), 'test.plugin', scratch),
  ];
  toolServer = createPluginToolServer({ plugins: { list: () => plugins }, agentId: DEFAULT_AGENT, onCallEvent: (event) => callEvents.push(event) });
  handler = createMcpHttpHandler(toolServer, {
    verifyAccessKey: (key) => key === ACCESS_KEY,
    loopbackToken,
    acceptAgent: (agentId) => agentId === SESSION_AGENT,
  });
  server = http.createServer((request, response) => {
    if (handler.handle(request, response)) {
      const isNotificationStream = request.method === 'GET';
      openMcpResponses++;
      if (isNotificationStream) openNotificationStreams++;
      response.once('close', () => {
        openMcpResponses--;
        if (isNotificationStream) openNotificationStreams--;
      });
      return;
    }
    response.writeHead(404).end();
  });
  // All interfaces, so the non-loopback test can reach it through an external address.
  await new Promise<void>((resolve) => server.listen(0, resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await handler.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all(plugins.map(({ plugin }) => plugin.shutdown()));
  rmSync(scratch, { recursive: true, force: true });
});

describe('MCP over streamable HTTP against C plugins', () => {
  it('names every tool <plugin_id>__<tool_id>, so a tool id two plugins share keeps both apart', async () => {
    const client = await connect({ authorization: `Bearer ${ACCESS_KEY}` });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('mcp.fixture__echo');
    expect(names).toContain('test.plugin__echo');
    expect(names.every((name) => name.startsWith('mcp.fixture__') || name.startsWith('test.plugin__'))).toBe(true);
    expect(texts(await client.callTool({ name: 'test.plugin__echo', arguments: { from: 'test' } }))).toEqual(['{"ok":true,"result":{"from":"test"}}']);
    expect(texts(await client.callTool({ name: 'mcp.fixture__echo', arguments: { from: 'mcp' } }))).toEqual(['{"from":"mcp"}']);
  });

  it('runs calls under the agent the session named, else the configured one', async () => {
    const named = await connect({ authorization: `Bearer ${ACCESS_KEY}`, 'x-osaurus-agent-id': SESSION_AGENT });
    const unnamed = await connect({ authorization: `Bearer ${ACCESS_KEY}` });
    expect(texts(await named.callTool({ name: 'mcp.fixture__agent', arguments: {} }))).toEqual([SESSION_AGENT]);
    expect(texts(await unnamed.callTool({ name: 'mcp.fixture__agent', arguments: {} }))).toEqual([DEFAULT_AGENT]);
  });

  it('refuses a session naming an agent the host does not accept', async () => {
    await expect(connect({ authorization: `Bearer ${ACCESS_KEY}`, 'x-osaurus-agent-id': 'no-such-agent' })).rejects.toThrow(/Unknown agent .*no-such-agent/);
  });

  it('maps ok:false to isError', async () => {
    const client = await connect({ authorization: `Bearer ${loopbackToken}` });
    const refused = await client.callTool({ name: 'mcp.fixture__reject', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(texts(refused)[0]).toMatch(/^invalid_args: name must not be empty/);
  });

  it('passes bare, wrapped and plain replies through unchanged, and ok:false without retryable as isError', async () => {
    const client = await connect({ authorization: `Bearer ${loopbackToken}` });
    const clock = await client.callTool({ name: 'mcp.fixture__clock', arguments: {} });
    expect(texts(clock)).toEqual(['{"ok":true,"utc":"2026-01-01T00:00:00Z","epoch":1767225600}']);
    expect(clock.structuredContent).toEqual({ ok: true, utc: '2026-01-01T00:00:00Z', epoch: 1767225600 });
    expect(texts(await client.callTool({ name: 'mcp.fixture__plain', arguments: {} }))).toEqual(['just text']);
    const refused = await client.callTool({ name: 'mcp.fixture__refuse', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(texts(refused)).toEqual(['invalid_args: url is required']);
  });

  it('refuses arguments that break the schema without calling the plugin, and reports every call with its error kind', async () => {
    const client = await connect({ authorization: `Bearer ${loopbackToken}` });
    const eventsBefore = callEvents.length;
    const refused = await client.callTool({ name: 'mcp.fixture__greet', arguments: { name: ['Ada'] } });
    expect(texts(refused)).toEqual(['invalid_args: $.name must be string (field: $.name)']);
    await client.callTool({ name: 'mcp.fixture__refuse', arguments: {} });
    await client.callTool({ name: 'mcp.fixture__clock', arguments: {} });
    expect(callEvents.slice(eventsBefore)).toEqual([
      expect.objectContaining({ type: 'finished', toolId: 'greet', isError: true, errorKind: 'invalid_args', reachedPlugin: false }),
      expect.objectContaining({ type: 'finished', toolId: 'refuse', isError: true, errorKind: 'invalid_args', reachedPlugin: true }),
      expect.objectContaining({ type: 'finished', toolId: 'clock', isError: false, errorKind: null, reachedPlugin: true }),
    ]);
  });

  it('asks the user through elicitation before an ask tool runs, when the client can be asked', async () => {
    const answers: Array<'accept' | 'decline'> = ['decline', 'accept'];
    const questions: string[] = [];
    const client = new Client({ name: 'http-test', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      questions.push(String(request.params.message));
      return { action: answers.shift()!, content: {} };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${loopbackToken}` } } }));
    clients.push(client);
    const declined = await client.callTool({ name: 'mcp.fixture__confirm', arguments: { why: 'test' } });
    expect(declined.isError).toBe(true);
    expect(texts(declined)[0]).toMatch(/^user_denied: /);
    expect(texts(await client.callTool({ name: 'mcp.fixture__confirm', arguments: {} }))).toEqual(['confirm']);
    expect(questions).toEqual(['Allow confirm (MCP fixture) to run with {"why":"test"}?', 'Allow confirm (MCP fixture) to run with {}?']);
    expect(texts(await client.callTool({ name: 'mcp.fixture__clock', arguments: {} }))[0]).toContain('epoch');
    expect(questions).toHaveLength(2);
  });

  it('sends progress for a slow call when the client asked for it', async () => {
    const client = await connect({ authorization: `Bearer ${ACCESS_KEY}` });
    const messages: string[] = [];
    const blocked = client.callTool({ name: 'mcp.fixture__block', arguments: {} }, undefined, {
      onprogress: (notification) => {
        messages.push(notification.message ?? '');
        // `release` wakes only calls already parked in the plugin.
        if (messages.length === 1) {
          void vi
            .waitFor(async () => expect(texts(await client.callTool({ name: 'mcp.fixture__parked', arguments: {} }))).toEqual(['1']), patiently)
            .then(() => client.callTool({ name: 'mcp.fixture__release', arguments: {} }));
        }
      },
    });
    expect(texts(await blocked)).toEqual(['released']);
    expect(messages[0]).toBe('mcp.fixture/block started');
  });

  it('releases a cancelled caller at once, accounts for the native call until it returns, and keeps serving', async () => {
    const client = await connect({ authorization: `Bearer ${ACCESS_KEY}` });
    const cancel = new AbortController();
    const blocked = client.callTool({ name: 'mcp.fixture__block', arguments: {} }, undefined, { signal: cancel.signal });
    await vi.waitFor(async () => expect(texts(await client.callTool({ name: 'mcp.fixture__parked', arguments: {} }))).toEqual(['1']), patiently);
    const eventsBefore = callEvents.length;
    const responsesWhileBlocked = openMcpResponses;
    cancel.abort('not needed any more');
    await expect(blocked).rejects.toThrow();
    // The SDK never answers a cancelled request; the server closes its response stream instead of leaving it open.
    await vi.waitFor(() => expect(openMcpResponses).toBe(responsesWhileBlocked - 1), patiently);

    // The runtime took the cancel (the signal passed to invokeTool): it released the call at once and
    // accounts for the native work itself, as for a timeout, until the plugin's thread returns.
    await vi.waitFor(() => expect(toolServer.stats()).toEqual({ running: 0, cancelledStillRunning: 0 }), patiently);
    expect(mcpPlugin().plugin.stats()).toEqual({ inFlight: 1, abandoned: 1 });
    expect(callEvents.slice(eventsBefore)).toContainEqual({ type: 'cancelled', name: 'mcp.fixture__block', pluginId: 'mcp.fixture', toolId: 'block', agentId: DEFAULT_AGENT });
    expect(callEvents.slice(eventsBefore)).toContainEqual(expect.objectContaining({ type: 'finished', toolId: 'block', cancelled: true }));
    expect(texts(await client.callTool({ name: 'mcp.fixture__greet', arguments: { name: 'next' } }))).toEqual(['Hello, next!']);

    expect(texts(await client.callTool({ name: 'mcp.fixture__release', arguments: {} }))).toEqual(['1']);
    await vi.waitFor(() => expect(mcpPlugin().plugin.stats()).toEqual({ inFlight: 0, abandoned: 0 }), patiently);
  });

  it('sends tools/list_changed after a reload, and lists the new tool set', async () => {
    const streamsBefore = openNotificationStreams;
    const client = await connect({ authorization: `Bearer ${ACCESS_KEY}` });
    // The client opens its notification stream after initialize; a notification sent before that would be lost.
    await vi.waitFor(() => expect(openNotificationStreams).toBe(streamsBefore + 1), patiently);
    let changes = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changes++;
    });
    expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain('mcp.fixture__extra');

    const previous = mcpPlugin();
    const upgraded = await loadServedPlugin(buildToolsPlugin({ withExtraTool: true }), 'mcp.fixture', scratch);
    plugins = plugins.map((entry) => (entry === previous ? upgraded : entry));
    await previous.plugin.shutdown();
    await toolServer.notifyToolsChanged();

    await vi.waitFor(() => expect(changes).toBe(1), patiently);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('mcp.fixture__extra');
    expect(texts(await client.callTool({ name: 'mcp.fixture__extra', arguments: {} }))).toEqual(['extra']);
  });
});

describe('access to /mcp', () => {
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  const post = (headers: Record<string, string>, host = '127.0.0.1') =>
    fetch(`http://${host}:${port}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: initialize,
    });

  it('refuses a request without credentials or with a wrong one, with 401 and a Bearer challenge', async () => {
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer osk-v1-wrong' }, { authorization: `Basic ${ACCESS_KEY}` }];
    for (const headers of refused) {
      const response = await post(headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="osr-host"');
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/Authorization: Bearer/);
    }
    await expect(connect({})).rejects.toThrow();
  });

  it('accepts an access key and the loopback token', async () => {
    expect((await post({ authorization: `Bearer ${ACCESS_KEY}` })).status).toBe(200);
    expect((await post({ authorization: `Bearer ${loopbackToken}` })).status).toBe(200);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && !address.internal && address.family === 'IPv4')?.address;
  // Needs a non-loopback interface; a machine with only `lo` cannot present a non-loopback peer.
  it.skipIf(!external)('refuses the loopback token from a non-loopback address, but not an access key', async () => {
    expect((await post({ authorization: `Bearer ${loopbackToken}` }, external)).status).toBe(401);
    expect((await post({ authorization: `Bearer ${ACCESS_KEY}` }, external)).status).toBe(200);
  });

  it('answers 404 for an unknown session and leaves other paths to the host', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACCESS_KEY}`, 'mcp-session-id': 'no-such-session', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/mcp/other`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(404);
  });

  it('keeps no session for a request that was not an initialize', async () => {
    const before = handler.sessionCount;
    const response = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ACCESS_KEY}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(response.status).toBe(400);
    expect(handler.sessionCount).toBe(before);
  });

  it('writes the loopback token to a file only its owner can read', () => {
    const file = join(scratch, 'run', 'mcp-token');
    expect(readFileSync(file, 'utf8')).toBe(`${loopbackToken}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
