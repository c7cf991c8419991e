import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answerFrameAgent, type HostCallRecord, IsolatedPlugin, type IsolatedPluginOptions, RuntimeEvents } from '../index.js';
import { releaseUntil } from '../test-support/release.js';

// The remote-call channel (P191): invokes and routes reach the plugin process below its event loop.
const scratch = mkdtempSync(join(tmpdir(), 'osr-remote-calls-'));
const library = () => uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);

const loaded: IsolatedPlugin[] = [];
async function load(options: Partial<IsolatedPluginOptions> = {}) {
  const plugin = await IsolatedPlugin.load(library(), { pluginId: 'remote.plugin', ...options });
  loaded.push(plugin);
  return plugin;
}
afterEach(async () => {
  await Promise.all(loaded.splice(0).map((plugin) => plugin.shutdown()));
});

const returned = (outcome: unknown) => {
  expect(outcome).toMatchObject({ kind: 'returned' });
  return (outcome as { text: string }).text;
};
const resultOf = (outcome: unknown) => (JSON.parse(returned(outcome)) as { result: unknown }).result;

describe.runIf(process.platform === 'linux')('remote calls to a plugin process', () => {
  it('run in the frame the host started: its agent, and its host calls attributed and served before the answer', async () => {
    const events = new RuntimeEvents();
    const records: HostCallRecord[] = [];
    const logged: string[] = [];
    events.on('hostCall', (record) => records.push(record));
    const plugin = await load({
      events,
      hostApi: {
        get_active_agent_id: answerFrameAgent,
        config_get: (ctx, key) => `${ctx.agentId}/${ctx.frame}/${key}`,
        log: (ctx, _level, message) => void logged.push(`${ctx.agentId}/${ctx.frame}: ${message}`),
      },
    });
    expect(plugin.remoteCalls).toBe(true);

    expect(resultOf(await plugin.invoke('tool', 'call.config_get', 'colour', { agentId: 'agent-7' }))).toBe('agent-7/invoke/colour');
    expect(resultOf(await plugin.invoke('tool', 'call.get_active_agent_id', '', { agentId: 'agent-8' }))).toBe('agent-8');
    // Without waiting: a call's answer comes once its process handed the call's host calls to the host.
    expect(records.map(({ slot, agentId, frame }) => ({ slot, agentId, frame }))).toEqual([
      { slot: 'config_get', agentId: 'agent-7', frame: 'invoke' },
      { slot: 'get_active_agent_id', agentId: 'agent-8', frame: 'invoke' },
    ]);
    expect(resultOf(await plugin.invoke('tool', 'call.log', 'a line', { agentId: 'agent-9' }))).toBe('void');
    expect(logged).toEqual(['agent-9/invoke: a line']);
    // A void slot's record follows its implementation's end, as over IPC.
    await vi.waitFor(() => expect(records.at(-1)).toMatchObject({ slot: 'log', agentId: 'agent-9', frame: 'invoke' }));

    const route = JSON.parse(returned(await plugin.handleRoute('{"method":"GET","path":"/"}', { agentId: 'agent-7' })));
    expect(route).toMatchObject({ status: 200, body: 'routed' });
  });

  it('deliver an answer too large for a channel slot whole, and refuse one over the host limit', async () => {
    const plugin = await load({ maxStringBytes: 1024 * 1024 });
    expect(plugin.remoteCalls).toBe(true);
    expect(returned(await plugin.invoke('tool', 'big', String(300 * 1024)))).toBe('x'.repeat(300 * 1024));
    expect(await plugin.invoke('tool', 'big', String(2 * 1024 * 1024))).toEqual({ kind: 'too_large', bytes: 2 * 1024 * 1024 });
    // The answers held for the host were taken: the next call is served as usual.
    expect(resultOf(await plugin.invoke('tool', 'echo', '"after"'))).toBe('after');
  });

  it('send a call too large for a channel slot over IPC instead', async () => {
    const plugin = await load();
    const payload = JSON.stringify('y'.repeat(300 * 1024));
    expect(returned(await plugin.invoke('tool', 'echo', payload))).toBe(`{"ok":true,"result":${payload}}`);
  });

  it('run more calls at once than the channel has slots, the rest over IPC', async () => {
    const plugin = await load();
    let settled = 0;
    const blocked = Array.from({ length: 40 }, () => plugin.invoke('tool', 'block', '').finally(() => void settled++));
    await releaseUntil(plugin, () => settled === blocked.length);
    for (const outcome of await Promise.all(blocked)) expect(resultOf(outcome)).toBe('released');
    expect(plugin.stats()).toEqual({ inFlight: 0, abandoned: 0 });
  });

  it('fail with the crash message when the process dies in a call, and serve the next call from a new process', async () => {
    const plugin = await load();
    const pid = plugin.processId;
    expect(await plugin.invoke('tool', 'crash', '')).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/crashed \(SIGSEGV\)/) });
    expect(resultOf(await plugin.invoke('tool', 'echo', '"again"'))).toBe('again');
    expect(plugin.processId).not.toBe(pid);
    expect(plugin.remoteCalls).toBe(true);
  });
});
