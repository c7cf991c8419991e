import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbiError } from '@osr-host/abi-struct';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { IsolatedPlugin, type IsolatedPluginOptions, RuntimeEvents } from '../index.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-isolated-'));
const library = () => uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);

const loaded: IsolatedPlugin[] = [];
async function load(options: Partial<IsolatedPluginOptions> = {}) {
  const plugin = await IsolatedPlugin.load(library(), { pluginId: 'isolated.plugin', ...options });
  loaded.push(plugin);
  return plugin;
}
afterEach(async () => {
  await Promise.all(loaded.splice(0).map((plugin) => plugin.shutdown()));
});

const envelope = (text: string) => JSON.parse(text) as { ok: boolean; kind?: string; message?: string; result?: unknown };

describe('a plugin process that crashes', () => {
  it('fails the calls in flight with unavailable, reports the crash, and restarts on the next call', async () => {
    const events = new RuntimeEvents();
    const crashes: string[] = [];
    events.on('pluginCrashed', ({ signal }) => crashes.push(String(signal)));
    const plugin = await load({ events });
    const bystander = await load();
    const firstPid = plugin.processId;

    const parked = plugin.invokeTool('block', '');
    const crashed = envelope(await plugin.invokeTool('crash', ''));
    expect(crashed).toMatchObject({ ok: false, kind: 'unavailable' });
    expect(crashed.message).toMatch(/crashed \(SIGSEGV\)/);
    expect(envelope(await parked)).toMatchObject({ ok: false, kind: 'unavailable' });
    expect(crashes).toEqual(['SIGSEGV']);

    expect(envelope(await bystander.invokeTool('echo', '"still serving"')).result).toBe('still serving');
    expect(envelope(await plugin.invokeTool('echo', '"back"')).result).toBe('back');
    expect(plugin.processId).not.toBe(firstPid);
  });

  it('is quarantined after repeated crashes within the window', async () => {
    const events = new RuntimeEvents();
    const quarantined: string[] = [];
    events.on('pluginQuarantined', ({ message }) => quarantined.push(message));
    const plugin = await load({ events, maxCrashes: 3, crashWindowMs: 3_600_000 });
    for (let crash = 0; crash < 3; crash++) expect(envelope(await plugin.invokeTool('crash', '')).kind).toBe('unavailable');
    const refused = envelope(await plugin.invokeTool('echo', '1'));
    expect(refused).toMatchObject({ ok: false, kind: 'unavailable' });
    expect(refused.message).toMatch(/quarantined after 3 crashes/);
    expect(quarantined).toHaveLength(1);
  });
});

describe('a plugin process that stops answering', () => {
  it('is terminated (SIGTERM, then SIGKILL) and restarted on the next call', async () => {
    const plugin = await load({ hangGraceMs: 50, timeouts: { tool: 50 } });
    const pid = plugin.processId!;
    process.kill(pid, 'SIGSTOP');
    const hung = envelope(await plugin.invokeTool('echo', '1'));
    expect(hung).toMatchObject({ ok: false, kind: 'unavailable' });
    expect(hung.message).toMatch(/did not respond within .*helper process was terminated and will restart on the next call/);
    expect(envelope(await plugin.invokeTool('echo', '"fresh"')).result).toBe('fresh');
    expect(plugin.processId).not.toBe(pid);
  });
});

describe('the plugin process environment', () => {
  it('passes only the allow-list and what the host names', async () => {
    process.env.OSR_TEST_LEAK_PROBE = 'host-secret';
    try {
      const scrubbed = await load();
      expect(envelope(await scrubbed.invokeTool('getenv', 'OSR_TEST_LEAK_PROBE')).result).toBeNull();
      expect(envelope(await scrubbed.invokeTool('getenv', 'PATH')).result).toBe(process.env.PATH);
      const passed = await load({ passEnv: ['OSR_TEST_LEAK_PROBE'] });
      expect(envelope(await passed.invokeTool('getenv', 'OSR_TEST_LEAK_PROBE')).result).toBe('host-secret');
      expect(envelope(await passed.invokeTool('pid', '')).result).toBe(passed.processId);
      expect(passed.processId).not.toBe(process.pid);
    } finally {
      delete process.env.OSR_TEST_LEAK_PROBE;
    }
  });
});

describe('loading in a plugin process', () => {
  it('reports the in-process loader errors with their class and message', async () => {
    const nullApi = uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { NULL_API: true } }), scratch);
    const error = await IsolatedPlugin.load(nullApi, { pluginId: 'edge' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbiError);
    expect(error).toMatchObject({ code: 'null_plugin_api', message: 'Plugin v2 entry returned null API' });
  });
});
