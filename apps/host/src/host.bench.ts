import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources } from '@osr-host/abi-struct/testing';
import { startFakeOpenAIServer } from '@osr-host/inference-stream/testing';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, bench, describe } from 'vitest';
import { OsrHost } from './host.js';
import { createLogger } from './log.js';

/** The plugins' log lines are formatted as in a real run, then dropped. */
const discarded = createLogger('json', { write: () => undefined });

// Each group measures its baseline and cases in the same run; vitest prints the ratios.
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const QUERIES = 50;
const TOKENS = 200;

const server = await startFakeOpenAIServer({
  models: ['tiny'],
  tokenDelayMs: 0,
  lifetimeMs: 600_000,
  reply: () => ({ kind: 'text', tokens: Array.from({ length: TOKENS }, (_, i) => `t${i} `) }),
});
const home = mkdtempSync(join(tmpdir(), 'osr-host-bench-'));
const host = new OsrHost({ home, logger: discarded });
process.env.OSR_HOST_OPENAI_BASE_URL = server.baseURL;
const streamingHost = new OsrHost({ home: mkdtempSync(join(tmpdir(), 'osr-host-bench-')), logger: discarded });
delete process.env.OSR_HOST_OPENAI_BASE_URL;
const library = compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } });
const { plugin } = await host.loadLibrary(library, { pluginId: 'bench.db' });
// The same plugin in a host that records every host call in insights, against `host`, which records nothing.
const recordingHost = new OsrHost({ home: mkdtempSync(join(tmpdir(), 'osr-host-bench-')), logger: discarded });
void recordingHost.insights;
const { plugin: recorded } = await recordingHost.loadLibrary(library, { pluginId: 'bench.recorded' });
const { plugin: streamer } = await streamingHost.loadLibrary(library, { pluginId: 'bench.stream' });
await plugin.invokeTool('call.db_exec', 'CREATE TABLE IF NOT EXISTS kv (k INTEGER PRIMARY KEY, v TEXT)', { agentId: AGENT });
await plugin.invokeTool('call.db_exec', "INSERT OR REPLACE INTO kv VALUES (1, 'one')", { agentId: AGENT });

const direct = new Database(join(home, 'direct.db'));
direct.pragma('journal_mode = WAL');
direct.exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT); INSERT INTO kv VALUES (1, 'one')");
const select = direct.prepare('SELECT v FROM kv WHERE k = ?');
const insert = direct.prepare('INSERT INTO kv (v) VALUES (?)');
const sdk = new OpenAI({ baseURL: server.baseURL, apiKey: 'no-key', maxRetries: 0 });
const streamRequest = JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'go' }] });

afterAll(async () => {
  direct.close();
  await Promise.all([host.close(), streamingHost.close(), recordingHost.close(), server.close()]);
});

describe(`db_query from C vs better-sqlite3 in JS (${QUERIES} per iteration)`, () => {
  bench('better-sqlite3 directly in JS', () => {
    for (let i = 0; i < QUERIES; i++) select.all(1);
  });
  bench('db_query from a C plugin (bridge + storage worker)', async () => {
    await plugin.invoke('tool', 'repeat.db_query', `${QUERIES}\nSELECT v FROM kv WHERE k = 1`, { agentId: AGENT });
  });
});

describe(`db_exec from C vs better-sqlite3 in JS (${QUERIES} per iteration)`, () => {
  bench('better-sqlite3 directly in JS', () => {
    for (let i = 0; i < QUERIES; i++) insert.run('x');
  });
  bench('db_exec from a C plugin (bridge + storage worker)', async () => {
    await plugin.invoke('tool', 'repeat.db_exec', `${QUERIES}\nINSERT INTO kv (v) VALUES ('x')`, { agentId: AGENT });
  });
});

describe(`chunk delivery: a ${TOKENS}-token stream`, () => {
  bench('openai SDK consuming the stream in JS', async () => {
    const stream = await sdk.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'go' }], stream: true });
    for await (const chunk of stream) void chunk;
  });
  bench('complete_stream to the plugin’s C on_chunk', async () => {
    await streamer.invoke('tool', 'stream', streamRequest, { agentId: AGENT });
  });
});

describe(`insights: ${QUERIES} host callbacks per iteration, recording off vs on`, () => {
  bench('recording off', async () => {
    await plugin.invoke('tool', 'repeat.get_active_agent_id', String(QUERIES), { agentId: AGENT });
  });
  bench('recording on (every call becomes an insights row)', async () => {
    await recorded.invoke('tool', 'repeat.get_active_agent_id', String(QUERIES), { agentId: AGENT });
  });
});
