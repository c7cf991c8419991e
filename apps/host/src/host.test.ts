import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { startFakeOpenAIServer } from '@osr-host/inference-stream/testing';
import { ActivityStore } from '@osr-host/insights';
import type { HostCallRecord } from '@osr-host/runtime';
import { hostDatabasePath } from '@osr-host/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogRecord, memoryLogger } from './test-support/logs.js';
import { HOST_VERSION, type HostOptions, OsrHost } from './host.js';

const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const DEFAULT_AGENT = '00000000-0000-0000-0000-000000000001';
const scratch = mkdtempSync(join(tmpdir(), 'osr-host-wiring-'));

const hosts: OsrHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
});

function startHost(options: Partial<HostOptions> = {}, console: LogRecord[] = []) {
  const host = new OsrHost({ home: mkdtempSync(join(scratch, 'home-')), logger: memoryLogger(console).logger, ...options });
  hosts.push(host);
  return host;
}

/** Loads the test plugin under a fresh id: the OS keychain is shared by every home. */
async function loadTestPlugin(host: OsrHost) {
  const library = uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);
  return (await host.loadLibrary(library, { pluginId: `wiring-${randomUUID()}` })).plugin;
}

/** The fixture wraps each slot's answer as {"ok":true,"result":<string or null>}. */
async function slot(plugin: Awaited<ReturnType<typeof loadTestPlugin>>, tool: string, payload: string, agentId: string | null = AGENT) {
  return (JSON.parse(await plugin.invokeTool(tool, payload, { agentId })) as { result: string | null }).result;
}

describe('config slots on the keychain (issue 4)', () => {
  it('scopes values by agent, falls back to the plugin-wide value, and survives a restart', async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const console: LogRecord[] = [];
    const first = startHost({ home }, console);
    const plugin = await loadTestPlugin(first);
    await slot(plugin, 'call.config_set', 'api_base\nhttps://agent.example');
    expect(await slot(plugin, 'call.config_get', 'api_base')).toBe('https://agent.example');
    expect(await slot(plugin, 'call.config_get', 'api_base', randomUUID())).toBeNull();
    await first.setConfig(plugin.id, null, 'region', 'eu-west');
    expect(await slot(plugin, 'call.config_get', 'region', randomUUID())).toBe('eu-west');
    await slot(plugin, 'call.config_set', 'empty\n');
    expect(await slot(plugin, 'call.config_get', 'empty')).toBe('');
    await slot(plugin, 'call.config_delete', 'empty');
    expect(await slot(plugin, 'call.config_get', 'empty')).toBeNull();

    const pluginId = plugin.id;
    await first.close();
    hosts.splice(hosts.indexOf(first), 1);
    const second = startHost({ home });
    expect(await (await second.config()).get({ pluginId, agentId: AGENT }, 'api_base')).toBe('https://agent.example');
    // Under CI's unlocked gnome-keyring the values must live in the OS keychain, not the file fallback.
    if (process.env.OSR_REQUIRE_SECRET_SERVICE) expect(console.map((record) => record.msg).join('\n')).not.toMatch(/not in an OS keychain|encrypted file/i);
  });

  it('treats the Default agent and agent-less threads as no agent (D8)', async () => {
    const console: LogRecord[] = [];
    const host = startHost({}, console);
    const plugin = await loadTestPlugin(host);
    await slot(plugin, 'call.config_set', 'token\nvalue', DEFAULT_AGENT);
    await slot(plugin, 'thread.config_set', 'token\nvalue');
    expect(await slot(plugin, 'call.config_get', 'token')).toBeNull();
    expect(console.map((record) => record.msg).join('\n')).toMatch(/no_agent_context|no agent/i);
  });

  it('delivers host-side changes through on_config_changed, never echoing the plugin’s own writes', async () => {
    const host = startHost();
    const plugin = await loadTestPlugin(host);
    await host.setConfig(plugin.id, AGENT, 'mode', 'fast');
    expect(await slot(plugin, 'last_config', '')).toBe('mode=fast');
    await slot(plugin, 'call.config_set', 'other\nvalue');
    expect(await slot(plugin, 'last_config', '')).toBe('mode=fast');
    await host.setConfig(plugin.id, AGENT, 'mode', null);
    expect(await slot(plugin, 'last_config', '')).toBe('mode=');
  });

  it('never lets a config value reach a console line or an event', async () => {
    const console: LogRecord[] = [];
    const records: HostCallRecord[] = [];
    const host = startHost({}, console);
    host.runtime.events.on('hostCall', (record) => records.push(record));
    const plugin = await loadTestPlugin(host);
    const secret = `sk-${randomUUID()}`;
    await slot(plugin, 'call.config_set', `api_key\n${secret}`);
    expect(await slot(plugin, 'call.config_get', 'api_key')).toBe(secret);
    await slot(plugin, 'call.config_set', `huge\n${'x'.repeat(1_100_000)}${secret}`);
    expect(records.map((r) => r.slot)).toEqual(['config_set', 'config_get', 'config_set']);
    expect(JSON.stringify(records)).not.toContain(secret);
    expect(console.map((record) => record.msg).join('\n')).not.toContain(secret);
  });
});

describe('config answers kept on the plugin side (P178)', () => {
  it("answers again from the plugin side, and sees every write: the plugin's own, another agent's and the host's", async () => {
    const host = startHost();
    const plugin = await loadTestPlugin(host);
    const store = await host.config();
    const reads: string[] = [];
    const storeReads = () => reads.length;
    const configGet = store.configGet.bind(store);
    store.configGet = (ctx, key) => {
      reads.push(`${key}@${ctx.agentId}`);
      return configGet(ctx, key);
    };
    const otherAgent = randomUUID().toUpperCase();
    await host.setConfig(plugin.id, null, 'region', 'eu-west');

    expect(await slot(plugin, 'call.config_get', 'region')).toBe('eu-west');
    expect(await slot(plugin, 'call.config_get', 'region', otherAgent)).toBe('eu-west');
    expect(await slot(plugin, 'call.config_get', 'region')).toBe('eu-west');
    expect(await slot(plugin, 'call.config_get', 'region', otherAgent)).toBe('eu-west');
    expect(storeReads()).toBe(2);

    // The plugin writes for AGENT: AGENT sees its own value, the other agent still the plugin-wide one.
    await slot(plugin, 'call.config_set', 'region\nus-east');
    expect(await slot(plugin, 'call.config_get', 'region')).toBe('us-east');
    expect(await slot(plugin, 'call.config_get', 'region', otherAgent)).toBe('eu-west');
    // Another agent's frame writes its own value.
    await slot(plugin, 'call.config_set', 'region\nap-south', otherAgent);
    expect(await slot(plugin, 'call.config_get', 'region', otherAgent)).toBe('ap-south');
    expect(await slot(plugin, 'call.config_get', 'region')).toBe('us-east');
    // The host (dashboard, API) changes the plugin-wide value and removes the agents' own.
    await host.setConfig(plugin.id, AGENT, 'region', null);
    await host.setConfig(plugin.id, otherAgent, 'region', null);
    await host.setConfig(plugin.id, null, 'region', 'sa-east');
    expect(await slot(plugin, 'call.config_get', 'region')).toBe('sa-east');
    expect(await slot(plugin, 'call.config_get', 'region', otherAgent)).toBe('sa-east');
    const readsAfterWrites = storeReads();
    expect(await slot(plugin, 'call.config_get', 'region')).toBe('sa-east');
    expect(storeReads()).toBe(readsAfterWrites);
  });
});

describe('removing an agent', () => {
  it('first delivers tunnel_url = "" to its plugins with routes, awaited, and only then deletes its secrets', async () => {
    const host = startHost();
    const agent = host.agents.create('Leaving').id;
    const routed = await host.loadLibrary(uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6, WITH_ROUTES: true } }), scratch));
    await host.setConfig(routed.plugin.id, agent, 'api_key', 'sk-leaving');
    expect(await slot(routed.plugin, 'last_config', '', agent)).toBe('api_key=sk-leaving');
    const config = await host.config();
    const deleteAllForAgent = config.deleteAllForAgent.bind(config);
    const seenWhenDeleting: unknown[] = [];
    config.deleteAllForAgent = async (agentId, pluginIds) => {
      seenWhenDeleting.push(await slot(routed.plugin, 'last_config', '', agent), await config.get({ pluginId: routed.plugin.id, agentId }, 'api_key'));
      return deleteAllForAgent(agentId, pluginIds);
    };

    expect(await host.removeAgent(agent)).toBe(true);
    expect(seenWhenDeleting).toEqual(['tunnel_url=', 'sk-leaving']);
    expect(await config.get({ pluginId: routed.plugin.id, agentId: agent }, 'api_key')).toBeNull();
    expect(host.agents.get(agent)).toBeUndefined();
    expect(await host.removeAgent(agent)).toBe(false);
    await expect(host.removeAgent(DEFAULT_AGENT)).rejects.toThrow('The built-in Default agent cannot be removed.');
  });
});

describe('db slots (issue 4)', () => {
  it('keeps every row when several plugin threads write at once', async () => {
    const host = startHost();
    const plugin = await loadTestPlugin(host);
    await slot(plugin, 'call.db_exec', 'CREATE TABLE hits (n INTEGER)');
    const writers = Array.from({ length: 8 }, () => plugin.invokeTool('thread_repeat.db_exec', '25\nINSERT INTO hits VALUES (1)', { agentId: AGENT }));
    await Promise.all(writers);
    expect(JSON.parse((await slot(plugin, 'call.db_query', 'SELECT COUNT(*) FROM hits'))!)).toEqual({ columns: ['COUNT(*)'], rows: [[200]] });
  });

  it('answers malformed params and hostile SQL with envelopes, and keeps serving', async () => {
    const host = startHost();
    const plugin = await loadTestPlugin(host);
    expect(JSON.parse((await slot(plugin, 'call.db_query', 'SELECT ?\n[1,'))!)).toMatchObject({ error: 'invalid_request' });
    expect(JSON.parse((await slot(plugin, 'call.db_exec', "/**/ATTACH DATABASE '/tmp/x.db' AS x"))!)).toMatchObject({ error: expect.any(String) });
    expect(JSON.parse((await slot(plugin, 'call.db_exec', 'SELECT 1; DROP TABLE x'))!)).toMatchObject({ error: 'invalid_request' });
    expect(JSON.parse((await slot(plugin, 'call.db_query', 'SELECT 41 + 1 AS answer'))!)).toEqual({ columns: ['answer'], rows: [[42]] });
  });

  it('runs every statement of a plugin on its one connection, whichever thread and tool call made it (P177)', async () => {
    const host = startHost();
    const plugin = await loadTestPlugin(host);
    await slot(plugin, 'call.db_exec', 'CREATE TABLE kept (n INTEGER)');
    // A transaction begun by one tool call takes in a row a plugin-spawned thread writes in the next: rolled back together.
    await slot(plugin, 'call.db_exec', 'BEGIN');
    await slot(plugin, 'thread.db_exec', 'INSERT INTO kept VALUES (1)');
    await slot(plugin, 'call.db_exec', 'ROLLBACK');
    expect(JSON.parse((await slot(plugin, 'call.db_query', 'SELECT COUNT(*) FROM kept'))!)).toEqual({ columns: ['COUNT(*)'], rows: [[0]] });
    // The tool thread and a spawned thread writing at the same time both land, every call recorded.
    const recorded = () => host.insights.query({ pluginId: plugin.id }, { limit: 1000 }).rows.filter((row) => row.slot.startsWith('db_'));
    const before = recorded().length;
    const both = JSON.parse(await plugin.invokeTool('both_threads.db_exec', '100\nINSERT INTO kept VALUES (2)', { agentId: AGENT })) as { ok: boolean };
    expect(both.ok).toBe(true);
    expect(JSON.parse((await slot(plugin, 'call.db_query', 'SELECT COUNT(*) FROM kept'))!)).toEqual({ columns: ['COUNT(*)'], rows: [[200]] });
    await expect.poll(() => recorded().length - before, { timeout: 5_000 }).toBe(201);
  });
});

describe('http_request and file_read (issue 8)', () => {
  it('reaches an allow-listed loopback server from the invoke thread and from a plugin thread', async () => {
    const seen: string[] = [];
    const server = http.createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers['user-agent']}`);
      response.setHeader('content-type', 'application/json');
      response.end('{"pong":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const open = startHost({ allowNet: [`127.0.0.1:${port}`] });
      const plugin = await loadTestPlugin(open);
      const request = JSON.stringify({ method: 'GET', url: `http://127.0.0.1:${port}/ping` });
      for (const tool of ['call.http_request', 'thread.http_request']) {
        const response = JSON.parse((await slot(plugin, tool, request))!);
        expect(response).toMatchObject({ status: 200, body: '{"pong":true}', headers: { 'content-type': 'application/json' } });
      }
      expect(seen).toHaveLength(2);
      expect(seen[0]).toMatch(new RegExp(`^GET /ping .*osr-host/${HOST_VERSION.replaceAll('.', '\\.')} Plugin/${plugin.id}`));

      const closed = startHost();
      const blocked = JSON.parse((await slot(await loadTestPlugin(closed), 'call.http_request', request))!);
      expect(blocked).toMatchObject({ error: 'ssrf_blocked' });
      expect(seen).toHaveLength(2);
    } finally {
      server.close();
    }
  });

  it('reads files inside <home>/artifacts only, after resolving symlinks (D13)', async () => {
    const host = startHost();
    const records: HostCallRecord[] = [];
    host.runtime.events.on('hostCall', (record) => records.push(record));
    const plugin = await loadTestPlugin(host);
    mkdirSync(join(host.home, 'artifacts'), { recursive: true });
    writeFileSync(join(host.home, 'artifacts', 'report.txt'), 'quarterly numbers');
    writeFileSync(join(host.home, 'secret.txt'), 'not for plugins');
    symlinkSync(join(host.home, 'secret.txt'), join(host.home, 'artifacts', 'link.txt'));
    const read = async (name: string) =>
      JSON.parse((await slot(plugin, 'call.file_read', JSON.stringify({ path: join(host.home, 'artifacts', name) })))!);
    const report = await read('report.txt');
    expect(Buffer.from(report.data, 'base64').toString()).toBe('quarterly numbers');
    expect(report).toMatchObject({ size: 17, mime_type: expect.stringMatching(/^text\/plain/) });
    expect(await read('link.txt')).toMatchObject({ error: 'access_denied' });
    expect(await read('../secret.txt')).toMatchObject({ error: 'access_denied' });
    const fromThread = JSON.parse((await slot(plugin, 'thread.file_read', JSON.stringify({ path: join(host.home, 'artifacts', 'report.txt') })))!);
    expect(fromThread).toMatchObject({ size: 17 });
    // Read on the plugin's slot-server thread (P194), and recorded as every host call is.
    await expect.poll(() => records.filter((record) => record.slot === 'file_read').length).toBe(4);
    const reads = records.filter((record) => record.slot === 'file_read');
    expect(reads.map(({ agentId, frame, status }) => [agentId, frame, status])).toEqual([
      [AGENT, 'invoke', 200],
      [AGENT, 'invoke', 403],
      [AGENT, 'invoke', 403],
      [null, null, 200],
    ]);
    expect(reads[0]).toMatchObject({ args: [JSON.stringify({ path: join(host.home, 'artifacts', 'report.txt') })], responseBytes: 70 });
  });
});

describe('inference slots (issue 5)', () => {
  it('streams to the plugin’s on_chunk, which cancels from inside the callback', async () => {
    const server = await startFakeOpenAIServer({
      models: ['tiny'],
      reply: () => ({ kind: 'text', tokens: ['one ', 'two ', 'cancel-me ', 'never ', 'sent '] }),
      tokenDelayMs: 5,
    });
    try {
      const host = startHost();
      mkdirSync(join(host.home, 'config'), { recursive: true });
      writeFileSync(
        join(host.home, 'config', 'inference.json'),
        JSON.stringify({ providers: [{ name: 'local', baseURL: server.baseURL, models: ['tiny'] }], defaultModel: 'tiny' }),
      );
      const fresh = startHost({ home: host.home });
      const plugin = await loadTestPlugin(fresh);
      const request = JSON.stringify({ model: 'tiny', stream_id: 'S-42', messages: [{ role: 'user', content: 'count' }] });
      const outcome = JSON.parse(await plugin.invokeTool('stream', request, { agentId: AGENT })) as {
        result: { chunks: number; response: { error: string; partial_content: string; stream_id: string } };
      };
      expect(outcome.result.response).toMatchObject({ error: 'cancelled', stream_id: 'S-42' });
      expect(outcome.result.response.partial_content).toBe('one two cancel-me ');
      expect(outcome.result.chunks).toBeGreaterThanOrEqual(3);
      const complete = JSON.parse((await slot(plugin, 'call.complete', JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] })))!);
      expect(complete.choices[0].message.content).toBe('one two cancel-me never sent ');
      expect(complete.usage).toBeDefined();
      const fromThread = JSON.parse((await slot(plugin, 'thread.complete', JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }] })))!);
      expect(fromThread.choices[0].message.content).toBe('one two cancel-me never sent ');
      expect(server.responses.at(-1)?.request.messages.at(-1)).toMatchObject({ role: 'user', content: 'hi' });
    } finally {
      await server.close();
    }
  });
});

describe('list_models', () => {
  it('shows plugins only the models the operator exposes in host.json', async () => {
    const server = await startFakeOpenAIServer({ models: ['tiny', 'huge'], reply: () => ({ kind: 'text', tokens: ['ok'] }) });
    try {
      const home = mkdtempSync(join(scratch, 'home-'));
      mkdirSync(join(home, 'config'), { recursive: true });
      writeFileSync(
        join(home, 'config', 'inference.json'),
        JSON.stringify({ providers: [{ name: 'local', baseURL: server.baseURL, models: ['tiny', 'huge'], embeddingModels: ['embedder'] }] }),
      );
      const ids = async () => {
        const answer = JSON.parse((await slot(await loadTestPlugin(startHost({ home })), 'call.list_models', ''))!) as { models: Array<{ id: string }> };
        return answer.models.map((model) => model.id);
      };
      expect(await ids()).toEqual(['tiny', 'huge', 'embedder']);
      writeFileSync(join(home, 'config', 'host.json'), JSON.stringify({ exposedModels: ['tiny', 'embedder', 'not-served'] }));
      expect(await ids()).toEqual(['tiny', 'embedder']);
    } finally {
      await server.close();
    }
  });
});

describe('insights under a log flood from a plugin thread (issue 9)', () => {
  it('throttles the rows and the console lines alike, and counts what it dropped, losing no count', async () => {
    const console: LogRecord[] = [];
    const host = startHost({}, console);
    void host.insights;
    const plugin = await loadTestPlugin(host);
    const flood = 5_000;
    await plugin.invokeTool('thread_repeat.log', `${flood}\nflooding`, { agentId: AGENT });
    // Closing writes what is queued, including the dropped count of the second still running.
    await host.close();
    hosts.splice(hosts.indexOf(host), 1);
    const insights = ActivityStore.open(hostDatabasePath(host.home));
    let logRows = 0;
    let dropped = 0;
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page = insights.query({ pluginId: plugin.id }, { limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const row of page.rows) {
        if (row.kind === 'log') logRows++;
        if (row.kind === 'dropped') dropped += (JSON.parse(row.payload ?? '{}') as { dropped: number }).dropped;
      }
      cursor = page.nextCursor;
    }
    expect(dropped).toBeGreaterThan(0);
    expect(logRows).toBeLessThan(flood);
    // Every log call (the flood, and destroy's own "destroyed" at close) is a row or part of a dropped count.
    expect(logRows + dropped).toBe(flood + 1);
    // The terminal sees exactly the admitted lines, not the flood.
    const pluginLogs = console.filter((record) => record.plugin === plugin.id && record.key === undefined);
    expect(pluginLogs).toHaveLength(logRows);
    expect(new Set(pluginLogs.map((record) => record.level))).toEqual(new Set(['info']));
    insights.close();
  });
});

describe('process isolation in the host (issue 11)', () => {
  it('isolates the plugins host.json lists, and records their crashes in insights', async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    mkdirSync(join(home, 'config'), { recursive: true });
    const library = uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);
    writeFileSync(join(home, 'config', 'host.json'), JSON.stringify({ isolate: ['isolated.one'] }));
    const host = startHost({ home });
    const { insights } = host;
    const isolated = (await host.loadLibrary(library, { pluginId: 'isolated.one' })).plugin;
    const inProcess = (await host.loadLibrary(uniqueLibraryCopy(library, scratch), { pluginId: 'in.process' })).plugin;
    expect([isolated.isolated, inProcess.isolated]).toEqual([true, false]);

    const crashed = JSON.parse(await isolated.invokeTool('crash', '{}', { agentId: AGENT })) as { kind: string };
    expect(crashed.kind).toBe('unavailable');
    expect(JSON.parse(await inProcess.invokeTool('echo', '"unharmed"', { agentId: AGENT }))).toEqual({ ok: true, result: 'unharmed' });
    insights.flush();
    const rows = insights.query({ pluginId: 'isolated.one' }).rows;
    expect(rows.some((row) => row.slot === 'process' && /crashed \(SIGSEGV\)/.test(row.path))).toBe(true);
  });

  it("gives an isolated plugin its data directory as HOME and TMPDIR, and restarts it past host.json's memory limit", async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(join(home, 'config', 'host.json'), JSON.stringify({ isolate: true, pluginMemoryLimitMb: 160 }));
    const host = startHost({ home });
    const { insights } = host;
    const library = uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);
    const plugin = (await host.loadLibrary(library, { pluginId: 'isolated.leaky' })).plugin;
    const result = async (tool: string, payload: string) => JSON.parse(await plugin.invokeTool(tool, payload, { agentId: AGENT }));
    expect((await result('getenv', 'HOME')).result).toBe(join(home, 'Tools', 'isolated.leaky', 'data'));
    expect((await result('getenv', 'TMPDIR')).result).toBe(join(home, 'Tools', 'isolated.leaky', 'data'));

    const restarted = () => {
      insights.flush();
      return insights.query({ pluginId: 'isolated.leaky' }).rows.some((row) => row.slot === 'process' && /over its memory limit of 160 MB/.test(row.path));
    };
    // The limit is read every second: 48 MiB every 250 ms passes it within a few reads.
    for (let call = 0; call < 40 && !restarted(); call++) {
      await result('leak', '48');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(restarted()).toBe(true);
    expect((await result('echo', '"restarted"')).result).toBe('restarted');
  });
});

describe('min_osaurus (P105)', () => {
  const library = () => uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { MIN_OSAURUS: '"2.0.0"' } }), scratch);
  const homeWithOsaurusVersion = (osaurusVersion: string) => {
    const home = mkdtempSync(join(scratch, 'home-'));
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(join(home, 'config', 'host.json'), JSON.stringify({ osaurusVersion }));
    return home;
  };

  it('is skipped with a note while host.json names no Osaurus version', async () => {
    const loaded = await startHost().loadLibrary(library(), { pluginId: 'edge.min.unset' });
    expect(loaded.notes).toEqual(["min_osaurus '2.0.0' was not checked: no host version was given."]);
  });

  it('refuses a plugin that needs a later Osaurus than host.json names, and loads it once the version is met', async () => {
    await expect(startHost({ home: homeWithOsaurusVersion('1.5.0') }).loadLibrary(library(), { pluginId: 'edge.min.old' })).rejects.toThrow(
      /requires Osaurus 2\.0\.0 or later; this host is 1\.5\.0/,
    );
    const loaded = await startHost({ home: homeWithOsaurusVersion('2.0.0') }).loadLibrary(library(), { pluginId: 'edge.min.new' });
    expect(loaded.notes).toEqual([]);
  });
});
