import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe, stopCommands } from './test-support/cli.js';

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'hello-plugin');
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';

let home: string;
let origin: string;
let served: Awaited<ReturnType<typeof startServe>>;
let mcpToken: string;
let adminToken: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'osr-edges-'));
  const make = spawnSync('make', ['-s', '-C', example, 'install', `HOME_DIR=${home}`], { encoding: 'utf8' });
  expect(make.status, make.stderr).toBe(0);
  served = await startServe(['--dev', '--home', home, '--agent', AGENT]);
  origin = `http://127.0.0.1:${served.port}`;
  mcpToken = readFileSync(join(home, 'run', 'mcp-token'), 'utf8').trim();
  adminToken = readFileSync(join(home, 'run', 'admin-token'), 'utf8').trim();
});

afterAll(stopCommands);

/** One raw HTTP/1.1 exchange, for requests fetch refuses to send; answers the status and body. */
function rawRequest(head: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(served.port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', (error) => (answer ? undefined : reject(error)));
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      resolve({ status, body: answer.slice(answer.indexOf('\r\n\r\n') + 4) });
    });
    socket.end(head);
  });
}

/** The example's `count` tool counts its runs in the plugin's database: a side effect we can read. */
async function countedRuns(): Promise<number> {
  const client = new Client({ name: 'osr-edges', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${mcpToken}` } } }));
  try {
    const result = await client.callTool({ name: 'dev.osr.hello__count', arguments: {} });
    const [first] = result.content as Array<{ text: string }>;
    return (JSON.parse(first!.text) as { result: { rows: number[][] } }).result.rows[0]![0]!;
  } finally {
    await client.close();
  }
}

const toolCall = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'dev.osr.hello__count', arguments: {} } });
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('bad input at the edges of serve: the expected status and no side effect', () => {
  it('refuses wrong credentials on /mcp, /insights and the admin endpoints with 401, doing nothing', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${adminToken}`, `Basic ${Buffer.from(`x:${mcpToken}`).toString('base64')}`]) {
      const headers = { ...mcpHeaders, ...(authorization ? { authorization } : {}) };
      expect((await fetch(`${origin}/mcp`, { method: 'POST', headers, body: toolCall })).status).toBe(401);
    }
    for (const authorization of [undefined, 'Bearer osk-wrong', `Bearer ${mcpToken}`]) {
      const headers = authorization ? { authorization } : undefined;
      expect((await fetch(`${origin}/insights/api/rows`, { headers })).status).toBe(401);
    }
    for (const path of ['/admin/reload', '/admin/tasks']) {
      for (const authorization of [undefined, 'Bearer wrong', `Bearer ${mcpToken}`, `bearer ${adminToken}`]) {
        const headers = authorization ? { authorization } : undefined;
        expect((await fetch(`${origin}${path}`, { method: 'POST', headers, body: '{"action":"dispatch","prompt":"x"}' })).status).toBe(401);
      }
    }
    // None of those ran the tool or reloaded a plugin.
    expect(await countedRuns()).toBe(1);
    expect(served.log()).not.toMatch(/destroyed|reloaded/);
  });

  it('answers malformed JSON-RPC bodies on /mcp with 400 and runs nothing', async () => {
    const before = await countedRuns();
    const headers = { ...mcpHeaders, authorization: `Bearer ${mcpToken}` };
    for (const body of ['{', toolCall.slice(0, -1), '\u0000', '[]', 'null', '{"jsonrpc":"2.0","method":"tools/call","params":']) {
      const response = await fetch(`${origin}/mcp`, { method: 'POST', headers, body });
      expect(response.status, body).toBe(400);
    }
    expect(await countedRuns()).toBe(before + 1);
  });

  it('answers malformed bodies on the admin tasks endpoint with 400 and runs no command', async () => {
    const headers = { authorization: `Bearer ${adminToken}` };
    for (const body of ['{', 'null', '{"argv":"list"}', '{"argv":[1]}']) {
      const response = await fetch(`${origin}/admin/tasks`, { method: 'POST', headers, body });
      expect(response.status, body).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    }
    // Over 64 KiB, whether it arrives in one chunk or many.
    for (const size of [70_000, 5_000_000]) {
      const response = await fetch(`${origin}/admin/tasks`, { method: 'POST', headers, body: `{"argv":["list","${'x'.repeat(size)}"]}` });
      expect(response.status, String(size)).toBe(413);
      expect(await response.json()).toMatchObject({ error: 'request_too_large' });
    }
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  it('answers headers over the byte limit with 431 and keeps serving', async () => {
    const big = 'a'.repeat(2 * 1024 * 1024);
    for (const path of ['/health', '/mcp', '/insights/api/rows', `/plugins/hello.plugin/x`]) {
      expect((await rawRequest(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${big}\r\n\r\n`)).status, path).toBe(431);
    }
    expect((await fetch(`${origin}/health`)).status).toBe(200);
  });

  it('never serves the run directory or anything above the plugin directories through a traversal', async () => {
    for (const path of [
      '/../run/mcp-token',
      '/%2e%2e/run/admin-token',
      '/plugins/../run/mcp-token',
      '/plugins/%2e%2e/%2e%2e/run/admin-token',
      '/plugins/hello.plugin/..%2f..%2frun%2fmcp-token',
      '/plugins/hello.plugin/%2e%2e%5c%2e%2e%5crun%5cadmin-token',
      '/insights/..%2f..%2frun/mcp-token',
      '/insights/static/../../run/admin-token',
      '/health/../run/mcp-token',
    ]) {
      const { status, body } = await rawRequest(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Osaurus-Agent-Id: ${AGENT}\r\nConnection: close\r\n\r\n`);
      expect([400, 401, 403, 404], `${path} → ${status}`).toContain(status);
      expect(body).not.toContain(mcpToken);
      expect(body).not.toContain(adminToken);
    }
  });
});
