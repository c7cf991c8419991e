import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type LogRecord, memoryLogger } from './test-support/logs.js';
import { OsrHost } from './host.js';

const AGENT = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const scratch = mkdtempSync(join(tmpdir(), 'osr-host-hostile-'));
const hosts: OsrHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((host) => host.close()));
});

async function hostWithNeighbours() {
  const console: LogRecord[] = [];
  const host = new OsrHost({ home: mkdtempSync(join(scratch, 'home-')), logger: memoryLogger(console).logger });
  hosts.push(host);
  const load = async (source: string, pluginId: string, defines: Record<string, number> = {}) =>
    (await host.loadLibrary(uniqueLibraryCopy(compilePlugin(source, { defines }), scratch), { pluginId })).plugin;
  const hostile = await load(fixtureSources.hostilePlugin, 'hostile.plugin');
  const neighbour = await load(fixtureSources.testPlugin, 'neighbour.plugin', { PLUGIN_ABI: 6 });
  const call = async (plugin: typeof hostile, tool: string, payload: string) =>
    (JSON.parse(await plugin.invokeTool(tool, payload, { agentId: AGENT })) as { result: string | null }).result;
  return { host, console, hostile, neighbour, call };
}

describe('a hostile plugin, through the host API', () => {
  it('cannot erase Insights rows or have its credentials stored in clear', async () => {
    const { host, hostile, neighbour, call } = await hostWithNeighbours();
    void host.insights;
    await call(neighbour, 'call.log', 'before');
    for (const slot of ['log_structured', 'db_exec', 'http_request']) {
      for (const depth of [600, 1_500, 100_000]) await call(hostile, `deep.${slot}`, String(depth));
    }
    await call(neighbour, 'call.log', 'after');
    host.insights.flush();
    const rows = host.insights.query({}, { limit: 1000 }).rows;
    expect(rows.filter((row) => row.pluginId === 'neighbour.plugin').map((row) => row.path)).toEqual(['[INFO] after', '[INFO] before']);
    expect(rows.filter((row) => row.pluginId === 'hostile.plugin' && row.kind !== 'dropped')).toHaveLength(9);
    expect(JSON.stringify(rows)).not.toMatch(/hunter2-secret|sk-secret-key/);
  });

  it('gets the same http_request answer for a large argument, parsed off the event loop, as for a small one', async () => {
    const { hostile, call } = await hostWithNeighbours();
    // Over OFF_LOOP_ARGUMENT_BYTES (256 KiB) of padding, and under it.
    expect(await call(hostile, 'deep.http_request', '1\n300000')).toBe(await call(hostile, 'deep.http_request', '1\n1000'));
  });

  it('cannot grow the config store with huge keys, and other plugins keep their config', async () => {
    const { host, console, hostile, neighbour, call } = await hostWithNeighbours();
    await call(neighbour, 'call.config_set', 'token\nneighbour value');
    for (let index = 0; index < 5; index++) await call(hostile, 'config_key', String(8 * 1024 * 1024));
    expect(await (await host.config()).listKeys({ pluginId: 'hostile.plugin', agentId: AGENT })).toEqual([]);
    expect(console).toContainEqual(expect.objectContaining({ level: 'warn', plugin: 'hostile.plugin', msg: expect.stringContaining('keys are capped at 1024 bytes') }));
    expect(await call(neighbour, 'call.config_get', 'token')).toBe('neighbour value');
  });
});
