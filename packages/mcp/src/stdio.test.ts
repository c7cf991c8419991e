import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildToolsPlugin, packageRoot } from './test-support/plugins.js';

// The child is plain Node and imports this package's dist: the test target depends on build.
const AGENT_ID = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const scratch = mkdtempSync(join(tmpdir(), 'osr-mcp-stdio-'));
let client: Client;
let transport: StdioClientTransport;
let childStderr = '';

function texts(result: unknown): string[] {
  return (result as CallToolResult).content.map((item) => (item.type === 'text' ? item.text : `<${item.type}>`));
}

beforeAll(async () => {
  const library = uniqueLibraryCopy(buildToolsPlugin(), scratch);
  transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(packageRoot, 'src', 'test-support', 'stdio-server.mjs'), AGENT_ID, library, 'mcp.fixture'],
    cwd: packageRoot,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => {
    childStderr += chunk.toString();
  });
  client = new Client({ name: 'stdio-test', version: '1.0.0' });
  await client.connect(transport);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('MCP over stdio against a C plugin', () => {
  it('lists the manifest tools as <plugin_id>__<tool_id>, with titles, annotations and input schemas; deny tools not at all', async () => {
    const { tools } = await client.listTools();
    const oddName = tools.at(-1)?.name;
    expect(tools.map((tool) => tool.name)).toEqual([
      ...['echo', 'greet', 'greetings', 'agent', 'reject', 'refuse', 'clock', 'wrapped', 'plain', 'null', 'block', 'release', 'parked', 'confirm'].map(
        (id) => `mcp.fixture__${id}`,
      ),
      oddName,
    ]);
    expect(oddName).toMatch(/^mcp\.fixture__odd_name__[0-9a-f]{8}$/);
    const greet = tools.find((tool) => tool.name === 'mcp.fixture__greet');
    expect(greet?.description).toBe('Greet someone by name');
    expect(greet?.title).toBe('greet (MCP fixture)');
    expect(greet?.inputSchema).toEqual({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
    expect(tools.find((tool) => tool.name === 'mcp.fixture__clock')?.annotations).toEqual({ title: 'clock (MCP fixture)', openWorldHint: true });
    expect(tools.find((tool) => tool.name === 'mcp.fixture__agent')?.inputSchema).toEqual({ type: 'object' });
    expect(tools.at(-1)?._meta).toEqual({ 'osr-host/plugin_id': 'mcp.fixture', 'osr-host/tool_id': 'odd name!' });
  });

  it('reports its package version as serverInfo', async () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    expect(client.getServerVersion()).toEqual({ name: 'osr-host', version });
  });

  it('calls tools with the arguments as the payload, under the configured agent', async () => {
    expect(texts(await client.callTool({ name: 'mcp.fixture__greet', arguments: { name: 'Ada' } }))).toEqual(['Hello, Ada!']);
    expect(JSON.parse(texts(await client.callTool({ name: 'mcp.fixture__echo', arguments: { n: 1, list: ['a'] } }))[0] as string)).toEqual({ n: 1, list: ['a'] });
    expect(texts(await client.callTool({ name: 'mcp.fixture__agent', arguments: {} }))).toEqual([AGENT_ID]);
  });

  it('passes every successful reply through unchanged, with structuredContent for a JSON object', async () => {
    const clock = await client.callTool({ name: 'mcp.fixture__clock', arguments: {} });
    expect(clock.isError).toBeFalsy();
    expect(texts(clock)).toEqual(['{"ok":true,"utc":"2026-01-01T00:00:00Z","epoch":1767225600}']);
    expect(clock.structuredContent).toEqual({ ok: true, utc: '2026-01-01T00:00:00Z', epoch: 1767225600 });
    const wrapped = await client.callTool({ name: 'mcp.fixture__wrapped', arguments: {} });
    expect(texts(wrapped)).toEqual(['{"ok":true,"result":"inner","warnings":["slow"]}']);
    const plain = await client.callTool({ name: 'mcp.fixture__plain', arguments: {} });
    expect(plain.isError).toBeFalsy();
    expect(texts(plain)).toEqual(['just text']);
    expect(plain.structuredContent).toBeUndefined();
  });

  it('maps ok:false to isError with the kind and the message, retryable or not', async () => {
    const refused = await client.callTool({ name: 'mcp.fixture__reject', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(texts(refused)).toEqual(['invalid_args: name must not be empty (field: name; expected: a non-empty string)']);
    const bare = await client.callTool({ name: 'mcp.fixture__refuse', arguments: {} });
    expect(bare.isError).toBe(true);
    expect(texts(bare)).toEqual(['invalid_args: url is required']);
    const nothing = await client.callTool({ name: 'mcp.fixture__null', arguments: {} });
    expect(nothing.isError).toBe(true);
    expect(texts(nothing)).toEqual(['execution_error: Plugin returned NULL response']);
  });

  it('checks arguments against the tool schema before the plugin runs, naming the field', async () => {
    const before = texts(await client.callTool({ name: 'mcp.fixture__greetings', arguments: {} }));
    const missing = await client.callTool({ name: 'mcp.fixture__greet', arguments: {} });
    expect(missing.isError).toBe(true);
    expect(texts(missing)).toEqual(['invalid_args: $.name is required (field: $.name)']);
    const wrongType = await client.callTool({ name: 'mcp.fixture__greet', arguments: { name: 7 } });
    expect(texts(wrongType)).toEqual(['invalid_args: $.name must be string (field: $.name)']);
    expect(texts(await client.callTool({ name: 'mcp.fixture__greetings', arguments: {} }))).toEqual(before);
  });

  it('runs an ask tool at once for a client without elicitation (its own approval stands), and never a deny tool', async () => {
    expect(texts(await client.callTool({ name: 'mcp.fixture__confirm', arguments: {} }))).toEqual(['confirm']);
    await expect(client.callTool({ name: 'mcp.fixture__forbidden', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  it('answers an unknown tool with a protocol error', async () => {
    await expect(client.callTool({ name: 'missing', arguments: {} })).rejects.toThrow(/Unknown tool "missing"/);
  });

  it('sends progress while a call runs, until it returns', async () => {
    const progress: number[] = [];
    let releaseSent = false;
    let progressAfterResult = 0;
    let returned = false;
    const blocked = client
      .callTool({ name: 'mcp.fixture__block', arguments: {} }, undefined, {
        onprogress: (notification) => {
          progress.push(notification.progress);
          if (returned) progressAfterResult++;
          // Release only once the server has reported the call as running, so progress provably came first.
          if (progress.length === 2 && !releaseSent) {
            releaseSent = true;
            void client.callTool({ name: 'mcp.fixture__release', arguments: {} });
          }
        },
      })
      .then((result) => {
        returned = true;
        return result;
      });
    expect(texts(await blocked)).toEqual(['released']);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(new Set(progress).size).toBe(progress.length);
    expect(progressAfterResult).toBe(0);
  });

  it('releases the client at once on cancellation; the native call keeps running and later calls work', async () => {
    const cancel = new AbortController();
    const blocked = client.callTool({ name: 'mcp.fixture__block', arguments: {} }, undefined, { signal: cancel.signal });
    await vi.waitFor(async () => expect(texts(await client.callTool({ name: 'mcp.fixture__parked', arguments: {} }))).toEqual(['1']), { timeout: 10_000 });
    cancel.abort('changed my mind');
    await expect(blocked).rejects.toThrow();
    expect(texts(await client.callTool({ name: 'mcp.fixture__greet', arguments: { name: 'after' } }))).toEqual(['Hello, after!']);
    // The cancelled call is still parked inside the plugin: release finds it.
    expect(texts(await client.callTool({ name: 'mcp.fixture__release', arguments: {} }))).toEqual(['1']);
  });

  it('ends the server when the client closes stdin, and the host shuts its plugins down', async () => {
    const exited = new Promise<void>((resolve) => {
      transport.onclose = resolve;
    });
    await client.close();
    await exited;
    expect(childStderr).toContain('stdio connection closed\nplugins shut down\n');
  });
});
