import { mkdtempSync, rmSync } from 'node:fs';
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
  it('lists the manifest tools with their descriptions and input schemas, under MCP-safe names', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['echo', 'greet', 'agent', 'reject', 'plain', 'null', 'block', 'release', 'parked', 'odd_name_']);
    const greet = tools.find((tool) => tool.name === 'greet');
    expect(greet?.description).toBe('Greet someone by name');
    expect(greet?.inputSchema).toEqual({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
    expect(tools.find((tool) => tool.name === 'agent')?.inputSchema).toEqual({ type: 'object' });
    expect(tools.find((tool) => tool.name === 'odd_name_')?._meta).toEqual({ 'osr-host/plugin_id': 'mcp.fixture', 'osr-host/tool_id': 'odd name!' });
  });

  it('calls tools with the arguments as the payload, under the configured agent', async () => {
    expect(texts(await client.callTool({ name: 'greet', arguments: { name: 'Ada' } }))).toEqual(['Hello, Ada!']);
    expect(JSON.parse(texts(await client.callTool({ name: 'echo', arguments: { n: 1, list: ['a'] } }))[0] as string)).toEqual({ n: 1, list: ['a'] });
    expect(texts(await client.callTool({ name: 'agent', arguments: {} }))).toEqual([AGENT_ID]);
    expect(texts(await client.callTool({ name: 'odd_name_' }))).toEqual(['odd']);
  });

  it('maps ok:false to isError with the kind and the message', async () => {
    const refused = await client.callTool({ name: 'reject', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(texts(refused)).toEqual(['invalid_args: name must not be empty (field: name; expected: a non-empty string)']);
    const nothing = await client.callTool({ name: 'null', arguments: {} });
    expect(nothing.isError).toBe(true);
    expect(texts(nothing)).toEqual(['execution_error: Plugin returned NULL response']);
    const plain = await client.callTool({ name: 'plain', arguments: {} });
    expect(plain.isError).toBeFalsy();
    expect(texts(plain)).toEqual(['just text']);
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
      .callTool({ name: 'block', arguments: {} }, undefined, {
        onprogress: (notification) => {
          progress.push(notification.progress);
          if (returned) progressAfterResult++;
          // Release only once the server has reported the call as running, so progress provably came first.
          if (progress.length === 2 && !releaseSent) {
            releaseSent = true;
            void client.callTool({ name: 'release', arguments: {} });
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
    const blocked = client.callTool({ name: 'block', arguments: {} }, undefined, { signal: cancel.signal });
    await vi.waitFor(async () => expect(texts(await client.callTool({ name: 'parked', arguments: {} }))).toEqual(['1']), { timeout: 10_000 });
    cancel.abort('changed my mind');
    await expect(blocked).rejects.toThrow();
    expect(texts(await client.callTool({ name: 'greet', arguments: { name: 'after' } }))).toEqual(['Hello, after!']);
    // The cancelled call is still parked inside the plugin: release finds it.
    expect(texts(await client.callTool({ name: 'release', arguments: {} }))).toEqual(['1']);
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
