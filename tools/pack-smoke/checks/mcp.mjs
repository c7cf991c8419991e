// An MCP client over stdio (newline-delimited JSON-RPC) lists and calls a plugin tool.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { createPluginToolServer, serveStdio } from '@osr-host/mcp';

const instance = { invokeTool: async (_tool, payload) => `{"ok":true,"result":${payload}}` };
const manifest = { capabilities: { tools: [{ id: 'echo', description: 'Echo', parameters: { type: 'object', properties: {} } }] } };
// The host's plugin directory (PluginDirectory of @osr-host/abi), of which MCP reads list().
const entry = { id: 'dev.osr.smoke', instance, manifest, directory: process.cwd() };
const tools = createPluginToolServer({ plugins: { list: () => [entry] }, agentId: null });
const stdin = new PassThrough();
const stdout = new PassThrough();
const connection = await serveStdio(tools, { stdin, stdout });
const replies = createInterface({ input: stdout })[Symbol.asyncIterator]();
async function call(id, method, params) {
  stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
  const reply = JSON.parse((await replies.next()).value);
  assert.equal(reply.id, id, JSON.stringify(reply));
  return reply.result;
}
await call(1, 'initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'smoke', version: '0' } });
stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
const listed = await call(2, 'tools/list', {});
const name = listed.tools[0].name;
const result = await call(3, 'tools/call', { name, arguments: { n: 1 } });
assert.equal(result.isError ?? false, false, JSON.stringify(result));
await connection.close();
console.log(`tools/list offered ${name}; tools/call answered ${JSON.stringify(result.content?.[0] ?? result).slice(0, 60)}`);
