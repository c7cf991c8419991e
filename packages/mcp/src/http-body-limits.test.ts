import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpHttpHandler } from './http.js';
import { createPluginToolServer } from './server.js';

const MAX_BODY_DEPTH = 512;
const TOKEN = 'osr-mcp-body-limits';
let server: http.Server;
let port: number;

beforeAll(async () => {
  const handler = createMcpHttpHandler(createPluginToolServer({ plugins: { list: () => [] }, agentId: '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB' }), { loopbackToken: TOKEN });
  server = http.createServer((request, response) => {
    if (!handler.handle(request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function post(body: string) {
  return fetch(`http://127.0.0.1:${port}/mcp`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body,
  });
}

/** An initialize request whose params hold arrays nested `depth` deep. */
function initializeNested(depth: number): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'deep', version: '1' }, deep: JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown },
  });
}

describe('/mcp request bodies', () => {
  it('refuses a body nested past the limit before parsing it, naming the limit', async () => {
    const depth = 1_900_000; // a 3.8 MB body
    const response = await post(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      jsonrpc: '2.0',
      error: { code: -32700, message: `Parse error: the body nests arrays/objects more than ${MAX_BODY_DEPTH} levels deep; flatten it.` },
      id: null,
    });
  });

  it('serves a body nested within the limit', async () => {
    const response = await post(initializeNested(MAX_BODY_DEPTH - 3));
    expect(response.status).toBe(200);
    expect(response.headers.get('mcp-session-id')).toBeTruthy();
  });

  it('refuses a body over 4 MiB and one that is not JSON as the SDK would', async () => {
    const large = await post(`{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}`);
    expect(large.status).toBe(413);
    expect(((await large.json()) as { error: { message: string } }).error.message).toBe('Payload Too Large: Request body must not exceed 4194304 bytes');
    const broken = await post('{"jsonrpc":');
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: { code: -32700, message: 'Parse error: Invalid JSON' } });
  });
});
