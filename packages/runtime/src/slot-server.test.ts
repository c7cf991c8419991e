import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostCallRecord, NativePlugin, RuntimeEvents, SlotServer } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-slot-server-'));
const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const probe = pathToFileURL(join(import.meta.dirname, 'test-support', 'probe-slot-handler.mjs'));
const testPlugin = () => uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);

let logCount = 0;
const servers: SlotServer[] = [];
const plugins: NativePlugin[] = [];
afterEach(async () => {
  await Promise.all(plugins.splice(0).map((plugin) => plugin.shutdown()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startProbe(threads = 1, events?: RuntimeEvents) {
  const log = join(scratch, `probe-${++logCount}.log`);
  // Not waiting for `ready`: plugins are given the server while its threads boot.
  const server = SlotServer.start({
    handlers: [{ module: probe, exportName: 'createProbeSlotHandler', handlerOptions: { log, label: 'probe' }, slots: ['db_exec', 'db_query'] }],
    threads,
    events,
  });
  servers.push(server);
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  return { server, lines };
}

async function load(server: SlotServer, options: Partial<Parameters<typeof NativePlugin.load>[1]> = {}, path = testPlugin()) {
  const plugin = await NativePlugin.load(path, { pluginId: 'slot.plugin', slotServer: server, ...options });
  plugins.push(plugin);
  return plugin;
}

/** The slot's answer, which the fixture's tool returns as its result string. */
async function answer(plugin: NativePlugin, tool: string, payload: string) {
  const envelope = JSON.parse(await plugin.invokeTool(tool, payload, { agentId: AGENT })) as { ok: boolean; result?: string };
  return envelope.ok ? JSON.parse(envelope.result!) : envelope;
}

describe('SlotServer', () => {
  it('answers db_exec and db_query on its own thread, from the tool thread and a plugin-spawned thread, and records each call', async () => {
    const { server } = await startProbe();
    const events = new RuntimeEvents();
    const records: HostCallRecord[] = [];
    events.on('hostCall', (record) => records.push(record));
    let servedByHostApi = 0;
    const plugin = await load(server, { events, hostApi: { db_exec: () => String(++servedByHostApi), db_query: () => String(++servedByHostApi) } });

    const fromTool = await answer(plugin, 'call.db_exec', 'INSERT INTO t VALUES (?)\n[1]');
    const fromThread = await answer(plugin, 'thread.db_query', 'SELECT 1');
    expect(fromTool).toMatchObject({ pluginId: 'slot.plugin', slot: 'db_exec', statement: 'INSERT INTO t VALUES (?)', params: '[1]', label: 'probe' });
    expect(fromThread).toMatchObject({ pluginId: 'slot.plugin', slot: 'db_query', statement: 'SELECT 1', params: null });
    expect(fromTool.thread).not.toBe(threadId);
    expect(fromThread.thread).toBe(fromTool.thread);
    expect(servedByHostApi).toBe(0);

    await expect.poll(() => records.filter((record) => record.slot.startsWith('db_')).length).toBe(2);
    const [exec, query] = records.filter((record) => record.slot.startsWith('db_'));
    expect(exec).toMatchObject({ pluginId: 'slot.plugin', agentId: AGENT, frame: 'invoke', slot: 'db_exec', status: 200, args: ['INSERT INTO t VALUES (?)', '[1]'] });
    expect(exec!.requestBytes).toBe('INSERT INTO t VALUES (?)'.length + '[1]'.length);
    expect(exec!.response).toContain('"slot":"db_exec"');
    // A thread the plugin spawned runs no frame: no agent.
    expect(query).toMatchObject({ agentId: null, frame: null, slot: 'db_query', args: ['SELECT 1', null] });
  });

  it('answers only the slots its handlers name, each with its own handler; the other slot-server slots keep the host API', async () => {
    const { server: databaseOnly } = await startProbe();
    let readByHostApi = 0;
    const hostApi = { file_read: () => `{"read_by":"host API ${++readByHostApi}"}` };
    const plugin = await load(databaseOnly, { hostApi });
    expect(await answer(plugin, 'call.file_read', '{"path":"/a"}')).toEqual({ read_by: 'host API 1' });
    expect(await answer(plugin, 'call.db_query', 'SELECT 1')).toMatchObject({ slot: 'db_query', label: 'probe' });

    const log = join(scratch, `probe-${++logCount}.log`);
    const both = SlotServer.start({
      handlers: [
        { module: probe, exportName: 'createProbeSlotHandler', handlerOptions: { log, label: 'databases' }, slots: ['db_exec', 'db_query'] },
        { module: probe, exportName: 'createProbeSlotHandler', handlerOptions: { log, label: 'files' }, slots: ['file_read'] },
      ],
    });
    servers.push(both);
    expect(both.slots).toEqual(['db_exec', 'db_query', 'file_read']);
    const second = await load(both, { pluginId: 'slot.second', hostApi });
    const read = await answer(second, 'call.file_read', '{"path":"/a"}');
    expect(read).toMatchObject({ pluginId: 'slot.second', slot: 'file_read', statement: '{"path":"/a"}', label: 'files' });
    expect(read.thread).not.toBe(threadId);
    expect(await answer(second, 'thread.db_exec', 'SELECT 2')).toMatchObject({ slot: 'db_exec', label: 'databases', thread: read.thread });
    expect(readByHostApi).toBe(1);
    // Both handlers hear that the plugin is gone.
    await second.shutdown();
    await expect.poll(() => readFileSync(log, 'utf8').split('\n').filter((line) => line === 'forget slot.second')).toHaveLength(2);
  });

  it('refuses handlers for a slot no server can answer, and two handlers for one slot', () => {
    const handler = { module: probe, exportName: 'createProbeSlotHandler' };
    expect(() => SlotServer.start({ handlers: [{ ...handler, slots: ['http_request'] }] })).toThrow(/cannot answer http_request/);
    expect(() => SlotServer.start({ handlers: [{ ...handler, slots: ['db_exec'] }, { ...handler, slots: ['db_query', 'db_exec'] }] })).toThrow(
      /Two handlers answer db_exec/,
    );
  });

  it('leaves the calls the runtime refuses to the runtime: an oversized argument, and teardown', async () => {
    const { server, lines } = await startProbe();
    // Just above the fixture's manifest.
    const plugin = await load(server, { maxStringBytes: 300 });
    expect(await answer(plugin, 'call.db_exec', `SELECT '${'x'.repeat(400)}'`)).toMatchObject({ error: 'argument_too_large' });

    const logs: string[] = [];
    const edge = await load(
      server,
      { pluginId: 'edge', hostApi: { log: (_ctx, _level, message) => void logs.push(message) } },
      uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { DB_IN_DESTROY: true } }), scratch),
    );
    await edge.shutdown();
    await expect.poll(() => logs).toEqual(['{"error":"Plugin is shutting down"}']);
    // Neither reached the server's handler; the edge plugin's slot was forgotten when its teardown began.
    await expect.poll(lines).toContain('forget edge');
    expect(lines().filter((line) => line.startsWith('serve'))).toEqual([]);
  });

  it('answers host_error when its handler throws, and reports the error', async () => {
    const events = new RuntimeEvents();
    const errors: unknown[] = [];
    events.on('pluginError', (info) => errors.push(info));
    const { server } = await startProbe(1, events);
    const plugin = await load(server);
    expect(await answer(plugin, 'call.db_exec', 'throw')).toEqual({
      error: 'host_error',
      message: 'The host failed while serving db_exec: the probe failed on purpose',
    });
    await expect.poll(() => errors.length).toBe(1);
  });

  it('a call stuck on one thread costs its plugin only: the event loop, and a plugin on another thread, go on', async () => {
    const { server, lines } = await startProbe(2);
    const stuck = await load(server);
    // The second plugin shares the booted thread and starts the other one, which takes the third.
    await load(server, { pluginId: 'slot.second' });
    // Its handler made is not yet its boot heard: only once the server heard it does the thread take plugins.
    await server.prestart();
    expect(lines().filter((line) => line.startsWith('made'))).toHaveLength(2);
    const other = await load(server, { pluginId: 'slot.other' });
    const started = Date.now();
    const stuckCall = stuck.invoke('tool', 'call.db_exec', 'sleep 1500', { agentId: AGENT, timeoutMs: 200 });
    let ticks = 0;
    const ticking = setInterval(() => ticks++, 10);
    expect(await answer(other, 'call.db_query', 'SELECT 2')).toMatchObject({ pluginId: 'slot.other', statement: 'SELECT 2' });
    expect(JSON.parse(await stuck.invokeTool('echo', '"still here"'))).toMatchObject({ ok: true });
    expect(await stuckCall).toEqual({ kind: 'timeout', timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(1500);
    clearInterval(ticking);
    expect(ticks).toBeGreaterThan(5);
  });

  it('boots one thread for one plugin, the next once every thread has a plugin, and never gives a plugin a thread still booting', async () => {
    const { server, lines } = await startProbe(2);
    const made = () => lines().filter((line) => line.startsWith('made'));
    const first = await load(server);
    const firstThread = (await answer(first, 'call.db_query', 'SELECT 1')).thread;
    expect(made()).toEqual([`made on thread ${firstThread}`]);

    // The second thread starts now, but this plugin is given the thread that is up: its call waits for no boot.
    const second = await load(server, { pluginId: 'slot.second' });
    expect((await answer(second, 'call.db_query', 'SELECT 2')).thread).toBe(firstThread);
    await expect.poll(() => made().length).toBe(2);
    const secondThread = Number(/made on thread (\d+)/.exec(made().find((line) => line !== `made on thread ${firstThread}`)!)![1]);

    // Once up (its boot heard by the server, which starts nothing more), it takes the next plugins until it has as many as the first.
    await server.prestart();
    const third = await load(server, { pluginId: 'slot.third' });
    expect((await answer(third, 'call.db_query', 'SELECT 3')).thread).toBe(secondThread);
    const fourth = await load(server, { pluginId: 'slot.fourth' });
    expect((await answer(fourth, 'call.db_query', 'SELECT 4')).thread).toBe(secondThread);
    expect(made()).toHaveLength(2);
  });

  it('stops counting a plugin toward its thread once it unloaded', async () => {
    const { server } = await startProbe(2);
    const first = await load(server);
    const firstThread = (await answer(first, 'call.db_query', 'SELECT 1')).thread;
    await server.prestart();
    const second = await load(server, { pluginId: 'slot.second' });
    expect((await answer(second, 'call.db_query', 'SELECT 2')).thread).not.toBe(firstThread);
    const third = await load(server, { pluginId: 'slot.third' });
    expect((await answer(third, 'call.db_query', 'SELECT 3')).thread).toBe(firstThread);
    await first.shutdown();
    // One plugin left on each thread: the next goes to the first, as it would have had `first` never loaded.
    const fourth = await load(server, { pluginId: 'slot.fourth' });
    expect((await answer(fourth, 'call.db_query', 'SELECT 4')).thread).toBe(firstThread);
  });

  it('boots every thread on prestart, and gives the next plugin the one with the fewest', async () => {
    const { server, lines } = await startProbe(2);
    const first = await load(server);
    const firstThread = (await answer(first, 'call.db_query', 'SELECT 1')).thread;
    await server.prestart();
    expect(lines().filter((line) => line.startsWith('made'))).toHaveLength(2);
    const second = await load(server, { pluginId: 'slot.second' });
    expect((await answer(second, 'call.db_query', 'SELECT 2')).thread).not.toBe(firstThread);
  });

  it('tells its handler to forget an unloaded plugin, stops after the calls queued, and takes no plugin once closed', async () => {
    const { server, lines } = await startProbe();
    const plugin = await load(server);
    await answer(plugin, 'call.db_exec', 'SELECT 1');
    await plugin.shutdown();
    await server.close();
    await server.close();
    expect(lines().filter((line) => !line.startsWith('made'))).toEqual(['serve slot.plugin db_exec SELECT 1', 'forget slot.plugin']);
    expect(server.assign('slot.late')).toBeNull();
  });

  it('hands a plugin back to its host API when its server is closed first, so no call waits for a thread that is gone', async () => {
    const { server } = await startProbe();
    const plugin = await load(server, { hostApi: { db_exec: () => '{"served":"by the host API"}' } });
    expect(await answer(plugin, 'call.db_exec', 'SELECT 1')).toMatchObject({ label: 'probe' });
    await server.close();
    expect(await answer(plugin, 'call.db_exec', 'SELECT 1')).toEqual({ served: 'by the host API' });
  });

  it('reports a thread that cannot start through `ready`, and its plugins fall back to their host API', async () => {
    const server = SlotServer.start({ handlers: [{ module: probe, exportName: 'nothingHere', slots: ['db_exec'] }] });
    servers.push(server);
    const plugin = await load(server, { hostApi: { db_exec: () => '{"served":"by the host API"}' } });
    await expect(server.ready).rejects.toThrow(/could not start: .*has no function export named nothingHere/);
    await expect.poll(async () => answer(plugin, 'call.db_exec', 'SELECT 1')).toEqual({ served: 'by the host API' });
  });
});
