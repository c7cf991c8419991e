import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  answerFrameAgent,
  type HostApi,
  type HostCallRecord,
  IsolatedPlugin,
  type IsolatedPluginOptions,
  NativePlugin,
  type PluginInstance,
  RuntimeEvents,
} from './index.js';
import { releaseUntil } from './test-support/release.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-runtime-fast-'));
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const library = () => uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);

/** Waits for a condition the test cannot otherwise be told about; the test timeout bounds it. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

const result = (text: string): unknown => (JSON.parse(text) as { result: unknown }).result;

// The slots the bridge serves without the plugin's thread waiting for JS, in both runtime modes.
describe.each([
  { mode: 'in-process', loadPlugin: (path: string, options: IsolatedPluginOptions): Promise<PluginInstance> => NativePlugin.load(path, options) },
  { mode: 'isolated', loadPlugin: (path: string, options: IsolatedPluginOptions): Promise<PluginInstance> => IsolatedPlugin.load(path, options) },
] as const)('$mode: host calls answered without waiting for JS', ({ mode, loadPlugin }) => {
  const loaded: PluginInstance[] = [];
  const records: HostCallRecord[] = [];
  async function load(hostApi: HostApi, options: Partial<IsolatedPluginOptions> = {}) {
    const events = new RuntimeEvents();
    events.on('hostCall', (record) => records.push(record));
    const plugin = await loadPlugin(library(), { pluginId: 'fast.plugin', hostApi, events, ...options });
    loaded.push(plugin);
    return plugin;
  }
  afterEach(async () => {
    await Promise.all(loaded.splice(0).map((plugin) => plugin.shutdown()));
    records.length = 0;
  });

  it('serve the tool thread and a plugin thread calling every fast slot at once: right answers, every call recorded', async () => {
    const logs: Array<[string, string | null, string | null, string | null]> = [];
    const plugin = await load({
      get_active_agent_id: answerFrameAgent,
      log: (ctx, _level, message) => void logs.push(['log', ctx.agentId, message, null]),
      log_structured: (ctx, _level, message, payload) => void logs.push(['log_structured', ctx.agentId, message, payload]),
    });
    const rounds = 300;
    expect(result(await plugin.invokeTool('fast_slots', String(rounds), { agentId: AGENT }))).toEqual({
      tool_agent: AGENT,
      thread_agent: '(null)',
      consistent: true,
    });
    await until(() => records.length >= 6 * rounds);
    const count = (slot: string, agentId: string | null) => records.filter((r) => r.slot === slot && r.agentId === agentId).length;
    for (const slot of ['get_active_agent_id', 'log', 'log_structured']) {
      expect([slot, count(slot, AGENT), count(slot, null)]).toEqual([slot, rounds, rounds]);
    }
    expect(records).toHaveLength(6 * rounds);
    expect(records.filter((r) => r.slot === 'get_active_agent_id' && r.agentId === AGENT).every((r) => r.frame === 'invoke' && r.response === AGENT)).toBe(true);
    expect(records.filter((r) => r.slot === 'get_active_agent_id' && r.agentId === null).every((r) => r.frame === null && r.response === null)).toBe(true);
    expect(records.every((r) => r.status === 200 && r.durationMs >= 0 && r.startedAt instanceof Date)).toBe(true);
    // The log implementations ran for every call, each thread's lines in the order it made them.
    for (const [agentId, message] of [
      [AGENT, AGENT],
      [null, '(null)'],
    ] as const) {
      const structured = logs.filter(([slot, agent]) => slot === 'log_structured' && agent === agentId);
      expect(structured.map(([, , , payload]) => payload)).toEqual(Array.from({ length: rounds }, (_, round) => `{"round":${round}}`));
      expect(logs.filter(([slot, agent, text]) => slot === 'log' && agent === agentId && text === message)).toHaveLength(rounds);
    }
  });

  it('record a call a plugin thread makes after the tool returned, when nothing else wakes the host', async () => {
    // Records do not wake the host one by one (P187): this one has no event behind it to carry it.
    const plugin = await load({ get_active_agent_id: answerFrameAgent });
    expect(result(await plugin.invokeTool('later.get_active_agent_id', '', { agentId: AGENT }))).toBe('scheduled');
    await until(() => records.length > 0);
    expect(records).toEqual([expect.objectContaining({ slot: 'get_active_agent_id', agentId: null, frame: null, response: null })]);
  });

  it('let the plugin go on while its log lines are still being served', async () => {
    const served: string[] = [];
    let finishLogs!: () => void;
    const logsHeld = new Promise<void>((resolve) => {
      finishLogs = resolve;
    });
    const plugin = await load({
      log: async (_ctx, _level, message) => {
        await logsHeld;
        served.push(message);
      },
    });
    // A log implementation that has not finished no longer holds the plugin's thread.
    expect(result(await plugin.invokeTool('call.log', 'held line'))).toBe('void');
    expect(result(await plugin.invokeTool('thread.log', 'held line from a thread'))).toBe('void');
    expect(served).toEqual([]);
    finishLogs();
    await until(() => served.length === 2);
    expect(served).toEqual(['held line', 'held line from a thread']);
  });

  it('lose no log line when a plugin logs faster than the host serves them', async () => {
    let served = 0;
    const plugin = await load({ log: () => void served++ }, { timeouts: { tool: 60_000 } });
    const lines = 10_000;
    expect(result(await plugin.invokeTool('repeat.log', `${lines}\nline`))).toBe('done');
    await until(() => served === lines && records.length === lines);
    expect(records.every((r) => r.slot === 'log' && r.args[0] === 'line')).toBe(true);
  });

  // Isolated, an abandoned call's process is replaced before the call could make a late host call (P129).
  it.runIf(mode === 'in-process')('answer get_active_agent_id NULL, unrecorded, once the frame was abandoned', async () => {
    const events = new RuntimeEvents();
    let returned = 0;
    events.on('abandonedCallReturned', () => void returned++);
    events.on('hostCall', (record) => records.push(record));
    const plugin = await loadPlugin(library(), { pluginId: 'fast.plugin', hostApi: { get_active_agent_id: answerFrameAgent }, events, timeouts: { tool: 50 } });
    loaded.push(plugin);
    expect(JSON.parse(await plugin.invokeTool('after_release.get_active_agent_id', '', { agentId: AGENT }))).toMatchObject({ kind: 'timeout' });
    await releaseUntil(plugin, () => returned === 1);
    expect(result(await plugin.invokeTool('last_late_answer', ''))).toBe('(null)');
    expect(records.filter((r) => r.slot === 'get_active_agent_id')).toEqual([]);
    expect(result(await plugin.invokeTool('call.get_active_agent_id', '', { agentId: AGENT }))).toBe(AGENT);
    expect(records.filter((r) => r.slot === 'get_active_agent_id').map((r) => r.agentId)).toEqual([AGENT]);
  });
});
