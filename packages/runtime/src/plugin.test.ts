import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NativeBridge } from '@osr-host/abi-struct';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type HostApi,
  type HostCallRecord,
  IsolatedPlugin,
  type IsolatedPluginOptions,
  NativePlugin,
  type PluginInstance,
  RuntimeError,
  RuntimeEvents,
} from './index.js';
import { releaseUntil } from './test-support/release.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-runtime-'));
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';

function library(abi = 6): string {
  return uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: abi } }), scratch);
}

/** A promise the test resolves by hand: ordering, not time. */
function latch<T = void>() {
  let open!: (value: T) => void;
  const opened = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Waits for a condition the test cannot otherwise be told about; the test timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

function result(text: string): unknown {
  return (JSON.parse(text) as { result: unknown }).result;
}

const modes = [
  { mode: 'in-process', loadPlugin: (path: string, options: IsolatedPluginOptions): Promise<PluginInstance> => NativePlugin.load(path, options) },
  { mode: 'isolated', loadPlugin: (path: string, options: IsolatedPluginOptions): Promise<PluginInstance> => IsolatedPlugin.load(path, options) },
] as const;

// Every behaviour holds in both modes: the same tests run against an in-process and an isolated plugin.
describe.each(modes)('$mode', ({ mode, loadPlugin }) => {
  const loaded: PluginInstance[] = [];
  async function load(hostApi: HostApi = {}, options: Partial<IsolatedPluginOptions> = {}) {
    const plugin = await loadPlugin(library(), { pluginId: 'test.plugin', hostApi, ...options });
    loaded.push(plugin);
    return plugin;
  }
  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((plugin) => plugin.shutdown()));
  });

  describe('lifecycle', () => {
    it('loads, returns the manifest text and reports the effective ABI', async () => {
      const plugin = await load();
      expect(plugin.abi).toBe(6);
      expect(JSON.parse(plugin.manifestText)).toMatchObject({ plugin_id: 'test.plugin', version: '1.0.6' });
      expect(plugin.supportsRoutes && plugin.supportsConfigChanges && plugin.supportsTaskEvents).toBe(true);
    });

    it('fails with the upstream messages when init returns NULL or the manifest is NULL', async () => {
      const initNull = uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { INIT_NULL: true } }), scratch);
      const nullManifest = uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { NULL_MANIFEST: true } }), scratch);
      await expect(loadPlugin(initNull, { pluginId: 'edge' })).rejects.toThrow(new RuntimeError('init_failed', 'Plugin initialization failed'));
      await expect(loadPlugin(nullManifest, { pluginId: 'edge' })).rejects.toThrow('Plugin failed to return manifest');
    });

    it('runs destroy exactly once, after calls in flight finished; later calls are refused (property 5)', async () => {
      const held = latch<string>();
      const logs: string[] = [];
      const plugin = await load({
        http_request: () => held.opened,
        log: (_ctx, _level, message) => {
          logs.push(message);
        },
      });
      const inFlight = plugin.invokeTool('call.http_request', '{}');
      await new Promise((resolve) => setImmediate(resolve));
      const first = plugin.shutdown();
      const second = plugin.shutdown();
      expect(JSON.parse(await plugin.invokeTool('echo', '1'))).toMatchObject({ ok: false, message: 'Plugin has been shut down' });
      expect(logs).not.toContain('destroyed');
      held.open('{"status":200}');
      expect(result(await inFlight)).toBe('{"status":200}');
      await Promise.all([first, second, plugin.shutdown()]);
      expect(logs.filter((line) => line === 'destroyed')).toHaveLength(1);
    });

    it('answers a database call made during destroy with "Plugin is shutting down" without running it', async () => {
      const edge = uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { DB_IN_DESTROY: true } }), scratch);
      const statements: string[] = [];
      const logs: string[] = [];
      const plugin = await loadPlugin(edge, {
        pluginId: 'edge',
        hostApi: {
          db_exec: (_ctx, sql) => {
            statements.push(sql);
            return '{"changes":0,"last_insert_rowid":0}';
          },
          log: (_ctx, _level, message) => {
            logs.push(message);
          },
        },
      });
      await plugin.shutdown();
      await until(() => logs.length > 0);
      expect(logs).toEqual(['{"error":"Plugin is shutting down"}']);
      expect(statements).toEqual([]);
    });
  });

  describe('host strings and version-gated slots at every host level (D1, D4)', () => {
    it.each([2, 3, 4, 5, 6] as const)('level %i: the plugin frees host strings with free() or host->free_string, and sees only its level’s slots', async (level) => {
      const plugin = await loadPlugin(library(6), {
        pluginId: 'test.plugin',
        level,
        hostApi: { list_models: () => '{"data":[]}', get_active_agent_id: (ctx) => ctx.agentId },
      });
      loaded.push(plugin);
      for (let round = 0; round < 50; round++) {
        expect(result(await plugin.invokeTool('free_with_free', ''))).toBe('{"data":[]}');
        expect(result(await plugin.invokeTool('free_with_host', ''))).toBe('{"data":[]}');
      }
      const agent = result(await plugin.invokeTool('call.get_active_agent_id', '', { agentId: AGENT }));
      expect(agent).toBe(level >= 4 ? AGENT : 'unavailable');
      expect(result(await plugin.invokeTool('call.log_structured', 'm', { agentId: AGENT }))).toBe(level >= 5 ? 'void' : 'unavailable');
    });
  });

  describe('host callbacks (property 2, D3)', () => {
    it('come from the invoke thread with the frame agent, and from plugin threads with no agent', async () => {
      const seen: Array<[string | null, string | null]> = [];
      const plugin = await load({
        get_active_agent_id: (ctx) => {
          seen.push([ctx.agentId, ctx.frame]);
          return ctx.agentId;
        },
      });
      expect(result(await plugin.invokeTool('call.get_active_agent_id', '', { agentId: AGENT }))).toBe(AGENT);
      expect(result(await plugin.invokeTool('thread.get_active_agent_id', '', { agentId: AGENT }))).toBeNull();
      expect(seen).toEqual([
        [AGENT, 'invoke'],
        [null, null],
      ]);
    });

    it('reach the host from a detached plugin thread after the invoke returned', async () => {
      const logged = latch<[string, string | null]>();
      const plugin = await load({ log: (ctx, _level, message) => logged.open([message, ctx.agentId]) });
      expect(result(await plugin.invokeTool('later.log', 'from a detached thread', { agentId: AGENT }))).toBe('scheduled');
      expect(await logged.opened).toEqual(['from a detached thread', null]);
    });

    it('work inside on_chunk: complete_cancel arrives while complete_stream waits for on_chunk', async () => {
      const order: string[] = [];
      const plugin = await load({
        complete_stream: async (_ctx, request, onChunk) => {
          order.push('stream start');
          await onChunk?.('{"choices":[{"delta":{"content":"hello"}}]}');
          order.push('chunk 1 done');
          await onChunk?.('{"choices":[{"delta":{"content":"cancel-me"}}]}');
          order.push('chunk 2 done');
          return JSON.stringify({ echoed: JSON.parse(request) });
        },
        complete_cancel: (_ctx, streamId) => {
          order.push(`cancel ${streamId}`);
        },
      });
      const answer = result(await plugin.invokeTool('stream', '{"stream_id":"S-1"}')) as { chunks: number; response: unknown };
      expect(answer).toEqual({ chunks: 2, response: { echoed: { stream_id: 'S-1' } } });
      expect(order).toEqual(['stream start', 'chunk 1 done', 'cancel S-1', 'chunk 2 done']);
    });

    it('answer not_supported for slots nobody wired, and NULL for NULL required arguments', async () => {
      const reached: string[] = [];
      const plugin = await load({
        config_get: () => {
          reached.push('config_get');
          return 'value';
        },
        db_query: () => {
          reached.push('db_query');
          return '{"columns":[],"rows":[]}';
        },
        log: () => void reached.push('log'),
      });
      expect(JSON.parse(result(await plugin.invokeTool('call.dispatch', '{}')) as string)).toEqual({
        error: 'not_supported',
        message: 'dispatch is not available in this host yet',
      });
      // HOST_API.md §0: NULL for JSON slots, nothing for void slots, and the implementation never sees the call.
      expect(result(await plugin.invokeTool('null_args', '', { agentId: AGENT }))).toBeNull();
      expect(reached).toEqual([]);
    });

    it('turn a throwing implementation into an error envelope and keep serving', async () => {
      const plugin = await load({
        db_query: () => {
          throw new Error('disk on fire');
        },
      });
      expect(JSON.parse(result(await plugin.invokeTool('call.db_query', 'SELECT 1')) as string)).toMatchObject({ error: 'host_error' });
      expect(result(await plugin.invokeTool('echo', '"still here"'))).toBe('still here');
    });
  });

  describe('blocking plugin calls (properties 1 and 3)', () => {
    it('eight calls stuck forever block neither the event loop, nor the thread pool, nor other plugins', async () => {
      const stuck = await load({}, { timeouts: { tool: 3_600_000 } });
      const other = await load();
      const forever = Array.from({ length: 8 }, () => stuck.invoke('tool', 'block_forever', ''));
      void forever;
      await new Promise((resolve) => setTimeout(resolve, 1));
      // libuv's pool (fs), timers and an HTTP round trip on loopback still work:
      expect((await readFile(join(fixtureSources.testPlugin))).length).toBeGreaterThan(0);
      const server = http.createServer((_request, response) => response.end('pong'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const body = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`).then((r) => r.text());
      server.close();
      expect(body).toBe('pong');
      expect(result(await other.invokeTool('echo', '"other plugin"'))).toBe('other plugin');
      expect(result(await stuck.invokeTool('echo', '"same plugin"'))).toBe('same plugin');
      // Each stuck call holds a bridge thread of its own (in this process, or in the plugin's).
      if (mode === 'in-process') await until(() => NativeBridge.open().poolStats().busy >= 8);
      loaded.splice(loaded.indexOf(stuck), 1); // its calls never end: do not wait for them in afterEach
    });

    it('a call started right behind one that blocks still runs at once, round after round', async () => {
      // However the bridge's idle workers are placed (one may be spinning for the next job), the second
      // call needs a thread of its own, because the first never returns while it waits.
      const plugin = await load();
      for (let round = 0; round < 20; round++) {
        let returned = false;
        const blocked = plugin.invokeTool('block', '').then(() => {
          returned = true;
        });
        expect(result(await plugin.invokeTool('echo', `"round ${round}"`))).toBe(`round ${round}`);
        await releaseUntil(plugin, () => returned);
        await blocked;
      }
    });

    it('call B completes while call A is parked inside an asynchronous host callback', async () => {
      const held = latch<string>();
      const order: string[] = [];
      const plugin = await load({
        http_request: async () => {
          order.push('A parked');
          const answer = await held.opened;
          order.push('A resumed');
          return answer;
        },
        config_get: (_ctx, key) => {
          order.push(`B host call ${key}`);
          return 'value';
        },
      });
      const callA = plugin.invokeTool('call.http_request', '{"url":"https://example.test"}', { agentId: AGENT });
      // B starts once A is parked: the two threads would otherwise race to their host calls.
      await until(() => order.includes('A parked'));
      const callB = await plugin.invokeTool('call.config_get', 'token', { agentId: AGENT });
      order.push('B done');
      expect(result(callB)).toBe('value');
      held.open('{"status":204}');
      expect(result(await callA)).toBe('{"status":204}');
      expect(order).toEqual(['A parked', 'B host call token', 'B done', 'A resumed']);
    });
  });

  /**
   * In-process, an abandoned call's thread stays in the plugin until it returns; isolated, the
   * process holding it is replaced (P129), so the thread ends with it and nothing late arrives.
   */
  async function abandonedCallEnds(plugin: PluginInstance, release: () => Promise<void>, returned: Promise<void>) {
    if (mode === 'in-process') {
      expect(plugin.stats()).toEqual({ inFlight: 1, abandoned: 1 });
      await release();
      let ended = false;
      void returned.then(() => {
        ended = true;
      });
      await releaseUntil(plugin, () => ended);
    } else {
      await until(() => plugin.stats().abandoned === 0);
      await release();
    }
    expect(plugin.stats()).toEqual({ inFlight: 0, abandoned: 0 });
  }

  describe('timeouts (property 4)', () => {
    it('answers the upstream timeout envelope and refuses the abandoned call’s later host calls', async () => {
      const events = new RuntimeEvents();
      const logs: string[] = [];
      const returned = latch();
      events.on('abandonedCallReturned', () => returned.open());
      const plugin = await load({ log: (_ctx, _level, message) => void logs.push(message) }, { events, timeouts: { tool: 50 } });
      const envelope = JSON.parse(await plugin.invokeTool('after_release.log', 'too late'));
      expect(envelope).toMatchObject({ ok: false, kind: 'timeout', tool: 'after_release.log' });
      await abandonedCallEnds(plugin, async () => expect(result(await plugin.invokeTool('release', ''))).toBe('released'), returned.opened);
      expect(logs).not.toContain('too late');
      expect(result(await plugin.invokeTool('call.log', 'on time'))).toBe('void');
      expect(logs).toContain('on time');
    });

    // Isolated, the abandoned call's process is replaced before the call could make a late host call (P129).
    it.runIf(mode === 'in-process')('answers a late JSON slot with host_timeout, and a late config_get or get_active_agent_id with NULL, never an envelope read as a value', async () => {
      let returned = 0;
      const events = new RuntimeEvents();
      events.on('abandonedCallReturned', () => void returned++);
      const plugin = await load(
        { db_query: () => '{"columns":[],"rows":[]}', config_get: () => 'value', get_active_agent_id: () => 'agent' },
        { events, timeouts: { tool: 50 } },
      );
      const lateAnswer = async (slot: string, payload: string) => {
        const before = returned;
        expect(JSON.parse(await plugin.invokeTool(`after_release.${slot}`, payload))).toMatchObject({ kind: 'timeout' });
        await releaseUntil(plugin, () => returned > before);
        return result(await plugin.invokeTool('last_late_answer', '')) as string;
      };
      expect(JSON.parse(await lateAnswer('db_query', 'SELECT 1'))).toMatchObject({ error: 'host_timeout' });
      expect(await lateAnswer('config_get', 'key')).toBe('(null)');
      expect(await lateAnswer('get_active_agent_id', '')).toBe('(null)');
    });
  });

  describe('cancellation by the caller', () => {
    it('releases the caller at once and abandons the call like a timeout', async () => {
      const logs: string[] = [];
      const returned = latch();
      const events = new RuntimeEvents();
      events.on('abandonedCallReturned', () => returned.open());
      const plugin = await load({ log: (_ctx, _level, message) => void logs.push(message) }, { events });
      const controller = new AbortController();
      const call = plugin.invokeTool('after_release.log', 'after the cancel', { signal: controller.signal });
      controller.abort();
      expect(JSON.parse(await call)).toMatchObject({ ok: false, kind: 'unavailable', message: expect.stringMatching(/cancelled by its caller/) });
      await abandonedCallEnds(plugin, async () => expect(result(await plugin.invokeTool('release', ''))).toBe('released'), returned.opened);
      expect(logs).not.toContain('after the cancel');
    });
  });

  describe('bad input and bad output', () => {
    it('refuses NUL and unpaired surrogates in tool ids and payloads before they reach C', async () => {
      const plugin = await load();
      for (const [id, payload] of [
        ['ec\0ho', '{}'],
        ['echo', '{"a":"\0"}'],
        ['echo', '"\uD800"'],
      ] as const) {
        expect(JSON.parse(await plugin.invokeTool(id, payload))).toMatchObject({ ok: false, kind: 'invalid_args' });
      }
      expect(result(await plugin.invokeTool('echo', '"ok"'))).toBe('ok');
    });

    it('survives NULL, non-UTF-8 and oversized results', async () => {
      const plugin = await load({}, { maxStringBytes: 1 << 20 });
      expect(JSON.parse(await plugin.invokeTool('null', ''))).toMatchObject({ ok: false, message: 'Plugin returned NULL response' });
      expect(result(await plugin.invokeTool('bad_utf8', ''))).toContain('\uFFFD');
      expect(JSON.parse(await plugin.invokeTool('big', String(8 << 20)))).toMatchObject({ ok: false, kind: 'execution_error' });
      expect(result(await plugin.invokeTool('echo', '"fine"'))).toBe('fine');
    });
  });

  describe('instrumentation', () => {
    it('reports every served host call once, with secrets redacted', async () => {
      const events = new RuntimeEvents();
      const records: HostCallRecord[] = [];
      events.on('hostCall', (record) => records.push(record));
      const plugin = await load(
        { config_get: () => 'super-secret', config_set: () => undefined, task_status: () => '{"error":"not_found","message":"no task"}' },
        { events },
      );
      await plugin.invokeTool('call.config_set', 'api_key\nsuper-secret', { agentId: AGENT });
      await plugin.invokeTool('call.config_get', 'api_key', { agentId: AGENT });
      await plugin.invokeTool('call.task_status', 'T-1', { agentId: AGENT });
      expect(records.map((r) => [r.slot, r.status, r.agentId])).toEqual([
        ['config_set', 200, AGENT],
        ['config_get', 200, AGENT],
        ['task_status', 404, AGENT],
      ]);
      expect(JSON.stringify(records)).not.toContain('super-secret');
      expect(records[0]).toMatchObject({ args: ['api_key', '[redacted]'], requestBytes: 'api_key'.length + 'super-secret'.length });
    });

    it('records the status of each envelope code, not 500 for codes outside the upstream table', async () => {
      const events = new RuntimeEvents();
      const records: HostCallRecord[] = [];
      events.on('hostCall', (record) => records.push(record));
      const answer = (code: string) => () => JSON.stringify({ error: code, message: code });
      const plugin = await load(
        { http_request: answer('ssrf_blocked'), db_exec: answer('database_busy'), embed: answer('inference_error'), dispatch: answer('a_code_no_host_sends') },
        { events },
      );
      await plugin.invokeTool('call.http_request', '{"url":"http://169.254.169.254/"}', { agentId: AGENT });
      await plugin.invokeTool('call.db_exec', 'INSERT INTO t VALUES (1)', { agentId: AGENT });
      await plugin.invokeTool('call.embed', '{"input":"x"}', { agentId: AGENT });
      await plugin.invokeTool('call.dispatch', '{"prompt":"x"}', { agentId: AGENT });
      expect(records.map((r) => [r.slot, r.status])).toEqual([
        ['http_request', 403],
        ['db_exec', 503],
        ['embed', 502],
        ['dispatch', 500],
      ]);
    });
  });

});
