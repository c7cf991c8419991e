import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbiError } from '@osr-host/abi-struct';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  answerFrameAgent,
  type HostApi,
  type HostCallRecord,
  IsolatedPlugin,
  type IsolatedPluginOptions,
  NativePlugin,
  PLUGIN_PROCESS_PATH,
  RuntimeEvents,
} from '../index.js';
import { releaseUntil } from '../test-support/release.js';

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

  it('serves every call that arrives while its replacement is still loading', async () => {
    const plugin = await load();
    expect(envelope(await plugin.invokeTool('crash', '')).kind).toBe('unavailable');
    const answers = await Promise.all(['"a"', '"b"', '"c"'].map((payload) => plugin.invokeTool('echo', payload)));
    expect(answers.map((answer) => envelope(answer).result)).toEqual(['a', 'b', 'c']);
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
    // A thread still running when the signal is sent can take a call before it stops: wait until every one has.
    const tasks = `/proc/${pid}/task`;
    const stopped = () => readdirSync(tasks).every((task) => readFileSync(`${tasks}/${task}/stat`, 'utf8').split(') ')[1]?.startsWith('T'));
    if (existsSync(tasks)) await vi.waitFor(() => expect(stopped()).toBe(true));
    const hung = envelope(await plugin.invokeTool('echo', '1'));
    expect(hung).toMatchObject({ ok: false, kind: 'unavailable' });
    expect(hung.message).toMatch(/did not respond within .*helper process was terminated and will restart on the next call/);
    expect(envelope(await plugin.invokeTool('echo', '"fresh"')).result).toBe('fresh');
    expect(plugin.processId).not.toBe(pid);
  });
});

describe('a plugin process holding calls past their timeout', () => {
  it('is replaced once its other calls timed out; each stuck caller gets the timeout envelope and no one else notices', async () => {
    const events = new RuntimeEvents();
    const seen: string[] = [];
    events.on('pluginRecycled', ({ message }) => seen.push(message));
    events.on('pluginCrashed', ({ message }) => seen.push(`crash: ${message}`));
    const plugin = await load({ events, maxCrashes: 1 });
    const bystander = await load({ events });
    const [pid, bystanderPid] = [plugin.processId, bystander.processId];

    const other = plugin.invokeTool('block', '', { timeoutMs: 1_500 });
    const stuck = envelope(await plugin.invokeTool('block_forever', '', { timeoutMs: 100 }));
    expect(stuck).toMatchObject({ ok: false, kind: 'timeout' });
    // The other call still runs in the same process.
    expect(plugin.processId).toBe(pid);
    const waiting = plugin.invokeTool('echo', '"after"');
    expect(envelope(await bystander.invokeTool('echo', '"unaffected"')).result).toBe('unaffected');
    expect(envelope(await other)).toMatchObject({ ok: false, kind: 'timeout' });

    expect(envelope(await waiting).result).toBe('after');
    expect(plugin.processId).not.toBe(pid);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(seen).toEqual([`Plugin 'isolated.plugin' held 2 call(s) past their timeout; its helper process was terminated and replaced`]);
    // Not a crash: one allowed crash would have quarantined it.
    expect(envelope(await plugin.invokeTool('echo', '"still here"')).result).toBe('still here');
    expect(bystander.processId).toBe(bystanderPid);
    expect(plugin.stats()).toEqual({ inFlight: 0, abandoned: 0 });
  });
});

describe('a plugin process whose timed-out call returns on its own', () => {
  it('is kept, and the calls that waited for its replacement run in it', async () => {
    const events = new RuntimeEvents();
    const recycled: string[] = [];
    events.on('pluginRecycled', ({ message }) => recycled.push(message));
    const plugin = await load({ events });
    const pid = plugin.processId;
    const parked = plugin.invokeTool('block', '', { timeoutMs: 20_000 });
    expect(envelope(await plugin.invokeTool('sleep', '400', { timeoutMs: 50 }))).toMatchObject({ ok: false, kind: 'timeout' });
    // Waits while the sleeping call counts as stuck, then runs once it returned.
    expect(envelope(await plugin.invokeTool('echo', '"after"')).result).toBe('after');
    expect(envelope(await plugin.invokeTool('release', '')).result).toBe('released');
    expect(envelope(await parked).result).toBe('released');
    expect(plugin.processId).toBe(pid);
    expect(recycled).toEqual([]);
  });
});

describe('a plugin process over its memory limit', () => {
  it('is killed, counted toward quarantine, and the host keeps serving', async () => {
    const events = new RuntimeEvents();
    const crashes: string[] = [];
    const quarantined: string[] = [];
    events.on('pluginCrashed', ({ message }) => crashes.push(message));
    events.on('pluginQuarantined', ({ message }) => quarantined.push(message));
    const plugin = await load({ events, maxCrashes: 1, memoryLimitBytes: 160 * 1024 * 1024, memoryCheckIntervalMs: 20 });
    const bystander = await load();
    for (let call = 0; call < 20 && crashes.length === 0; call++) {
      await plugin.invokeTool('leak', '48');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(crashes).toHaveLength(1);
    expect(crashes[0]).toMatch(/used \d+ MB, over its memory limit of 160 MB; its helper process was terminated/);
    expect(quarantined).toHaveLength(1);
    expect(envelope(await plugin.invokeTool('echo', '1')).message).toMatch(/quarantined after 1 crashes/);
    expect(envelope(await bystander.invokeTool('echo', '"serving"')).result).toBe('serving');
  });
});

describe('the plugin process environment', () => {
  it('passes the system PATH, HOME and TMPDIR at the data directory, the allow-list and what the host names', async () => {
    process.env.OSR_TEST_LEAK_PROBE = 'host-secret';
    try {
      const dataDirectory = join(scratch, 'Tools', 'isolated.plugin', 'data');
      const scrubbed = await load({ dataDirectory: (pluginId) => join(scratch, 'Tools', pluginId, 'data') });
      expect(envelope(await scrubbed.invokeTool('getenv', 'OSR_TEST_LEAK_PROBE')).result).toBeNull();
      expect(envelope(await scrubbed.invokeTool('getenv', 'PATH')).result).toBe(PLUGIN_PROCESS_PATH);
      expect(envelope(await scrubbed.invokeTool('getenv', 'HOME')).result).toBe(dataDirectory);
      expect(envelope(await scrubbed.invokeTool('getenv', 'TMPDIR')).result).toBe(dataDirectory);
      expect(existsSync(dataDirectory)).toBe(true);
      const passed = await load({ passEnv: ['OSR_TEST_LEAK_PROBE'] });
      expect(envelope(await passed.invokeTool('getenv', 'OSR_TEST_LEAK_PROBE')).result).toBe('host-secret');
      expect(envelope(await passed.invokeTool('pid', '')).result).toBe(passed.processId);
      expect(passed.processId).not.toBe(process.pid);
    } finally {
      delete process.env.OSR_TEST_LEAK_PROBE;
    }
  });
});

describe('host-call records from a plugin process', () => {
  it('reach the host as an in-process plugin reports them: every field but the timing the same', async () => {
    const hostApi: HostApi = { get_active_agent_id: answerFrameAgent, log_structured: () => undefined, config_get: () => 'eu-west' };
    const recordsOf = async (start: (events: RuntimeEvents) => Promise<{ invokeTool: IsolatedPlugin['invokeTool']; shutdown(): Promise<void> }>) => {
      const events = new RuntimeEvents();
      const records: HostCallRecord[] = [];
      events.on('hostCall', (record) => records.push(record));
      const plugin = await start(events);
      const before = Date.now();
      for (const [tool, payload] of [
        ['call.get_active_agent_id', ''],
        ['call.log_structured', 'a line with é\n{"n":1}'],
        ['call.config_get', 'region'],
      ]) {
        await plugin.invokeTool(tool!, payload!, { agentId: 'AGENT-1' });
      }
      await plugin.shutdown();
      expect(records.every((record) => record.startedAt instanceof Date && record.startedAt.getTime() >= before - 1 && record.durationMs >= 0)).toBe(true);
      return records.map(({ startedAt: _startedAt, durationMs: _durationMs, ...rest }) => rest);
    };
    const path = library();
    const inProcess = await recordsOf((events) => NativePlugin.load(path, { pluginId: 'isolated.plugin', hostApi, events }));
    const isolated = await recordsOf((events) => IsolatedPlugin.load(path, { pluginId: 'isolated.plugin', hostApi, events }));
    expect(inProcess.map((record) => [record.frame, record.slot, record.args, record.response])).toEqual([
      ['invoke', 'get_active_agent_id', [], 'AGENT-1'],
      ['invoke', 'log_structured', ['a line with é', '{"n":1}', null], null],
      ['invoke', 'config_get', ['region'], '[redacted]'],
      ['destroy', 'log', ['destroyed', null], null],
    ]);
    expect(isolated).toEqual(inProcess);
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

// The remote-call channel (P191): invokes and routes reach the plugin process below its event loop.
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
