import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostApi, type HostCallRecord, IsolatedPlugin, MAX_ARGUMENT_DEPTH, NativePlugin, type PluginInstance, RuntimeEvents } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-runtime-limits-'));

const modes = [
  { mode: 'in-process', load: NativePlugin.load.bind(NativePlugin) },
  { mode: 'isolated', load: IsolatedPlugin.load.bind(IsolatedPlugin) },
] as const;

describe.each(modes)('host-call argument limits ($mode)', ({ load }) => {
  const loaded: PluginInstance[] = [];
  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((plugin) => plugin.shutdown()));
  });

  async function hostile(hostApi: HostApi, maxStringBytes?: number) {
    const events = new RuntimeEvents();
    const records: HostCallRecord[] = [];
    events.on('hostCall', (record) => records.push(record));
    const path = uniqueLibraryCopy(compilePlugin(fixtureSources.hostilePlugin), scratch);
    const plugin = await load(path, { pluginId: 'hostile', hostApi, events, ...(maxStringBytes ? { maxStringBytes } : {}) });
    loaded.push(plugin);
    const call = async (tool: string, payload: string) => (JSON.parse(await plugin.invokeTool(tool, payload)) as { result: string }).result;
    return { call, records };
  }

  it('refuses a JSON argument nested past the limit with an envelope naming it, before the slot parses it', async () => {
    const parsed: string[] = [];
    const { call, records } = await hostile({
      http_request: (_ctx, request) => {
        parsed.push(request);
        return JSON.stringify({ status: 200, body: 'served' });
      },
    });
    const answer = JSON.parse(await call('deep.http_request', '100000')) as { error: string; message: string };
    expect(answer.error).toBe('argument_too_large');
    expect(answer.message).toBe(
      `Argument 1 of http_request nests arrays/objects 100001 levels deep, over the host's limit of ${MAX_ARGUMENT_DEPTH}; send less, or flatten it.`,
    );
    expect(parsed).toEqual([]);
    // The record carries a marker, never the body (which holds credentials).
    await expect.poll(() => records.length).toBe(1);
    expect(records[0]).toMatchObject({ slot: 'http_request', status: 413, args: [`[not stored: argument nests arrays/objects 100001 levels deep, over the host's limit of ${MAX_ARGUMENT_DEPTH}]`] });
    expect(records[0]!.requestBytes).toBeGreaterThan(200_000);

    // At the limit (the fixture's object adds one level) the slot is served as usual.
    expect(JSON.parse(await call('deep.http_request', String(MAX_ARGUMENT_DEPTH - 1)))).toEqual({ status: 200, body: 'served' });
    expect(parsed).toHaveLength(1);
  });

  it('refuses an argument over the size limit, naming it', async () => {
    const { call } = await hostile({ db_query: () => '[]' }, 4096);
    const answer = JSON.parse(await call('deep.db_query', '1\n8000')) as { error: string; message: string };
    expect(answer).toEqual({
      error: 'argument_too_large',
      message: expect.stringMatching(/^Argument 2 of db_query is 8\d{3} bytes, over the host's limit of 4096 bytes per argument; send less, or flatten it\.$/),
    });
  });

  it('logs a structured message whose payload is too deep with a marker as its payload', async () => {
    const logged: (string | null)[] = [];
    const { call } = await hostile({ log_structured: (_ctx, _level, message, payload) => void logged.push(message, payload) });
    expect(await call('deep.log_structured', '100000')).toBe('(null)');
    expect(logged).toEqual(['deep payload', `[not stored: argument nests arrays/objects 100001 levels deep, over the host's limit of ${MAX_ARGUMENT_DEPTH}]`]);
  });
});
