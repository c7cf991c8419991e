import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, bench, describe } from 'vitest';
import { createMcpHttpHandler } from './http.js';
import { createPluginToolServer } from './server.js';
import { buildToolsPlugin, loadServedPlugin } from './test-support/plugins.js';

// Both cases run side by side in one process: vitest prints how many times faster the direct
// invokeTool is than the same tool through the SDK client, streamable HTTP on loopback and the server.
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const TOKEN = 'osr-mcp-bench';
const served = await loadServedPlugin(buildToolsPlugin(), 'mcp.fixture', mkdtempSync(join(tmpdir(), 'osr-mcp-bench-')));
const handler = createMcpHttpHandler(createPluginToolServer({ plugins: { list: () => [served] }, agentId: AGENT }), { loopbackToken: TOKEN });
const server = http.createServer((request, response) => {
  if (!handler.handle(request, response)) response.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const client = new Client({ name: 'bench', version: '1.0.0' });
await client.connect(
  new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
  }),
);

afterAll(async () => {
  await client.close();
  await handler.close();
  server.closeAllConnections();
  server.close();
  await served.plugin.shutdown();
});

describe('tool call: direct invokeTool vs MCP over streamable HTTP', () => {
  bench('direct invokeTool (greet)', async () => {
    await served.plugin.invokeTool('greet', '{"name":"Ada"}', { agentId: AGENT });
  });
  bench('MCP tools/call over streamable HTTP (greet)', async () => {
    await client.callTool({ name: 'mcp.fixture__greet', arguments: { name: 'Ada' } });
  });
});
