import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from '@osr-host/abi-struct/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type HostApi, type HostCallContext, type HostCallRecord, IsolatedPlugin, NativePlugin, type PluginInstance, RuntimeEvents } from './index.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-config-cache-'));
const AGENT_A = '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB';
const AGENT_B = '0B5F4C2E-7A1D-4E3B-8C9F-FEDCBA987654';
const library = () => uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: 6 } }), scratch);

let markers = 0;
const plugins: PluginInstance[] = [];
afterEach(async () => {
  await Promise.all(plugins.splice(0).map((plugin) => plugin.shutdown()));
});

/** A config write as ConfigStore makes it: 8 fresh bytes written in place, the file created if missing. */
function moveMarker(path: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600);
  writeSync(fd, randomBytes(8), 0, 8, 0);
  closeSync(fd);
}

/**
 * A host API whose config_get answers `<key>@<agent>#<read>` and keeps it, except for keys starting with
 * "failing"; for keys starting with "throwing" it keeps the answer and then throws.
 */
function countingConfig(onRead?: (ctx: HostCallContext) => void) {
  const reads: string[] = [];
  const hostApi: HostApi = {
    config_get: (ctx, key) => {
      reads.push(`${key}@${ctx.agentId}`);
      onRead?.(ctx);
      if (!key.startsWith('failing')) ctx.keepAnswer?.();
      if (key.startsWith('throwing')) throw new Error('the store failed after all');
      return `${key}@${ctx.agentId}#${reads.length}`;
    },
  };
  return { reads, hostApi };
}

async function configGet(plugin: PluginInstance, key: string, agentId: string | null, tool = 'call.config_get') {
  const envelope = JSON.parse(await plugin.invokeTool(tool, key, { agentId })) as { ok: boolean; result?: string | null };
  expect(envelope.ok).toBe(true);
  return envelope.result;
}

describe.each([
  ['in process', NativePlugin.load],
  ['isolated', IsolatedPlugin.load],
] as const)('config_get answers kept by the bridge (%s)', (_mode, load) => {
  async function start(hostApi: HostApi, events?: RuntimeEvents) {
    const marker = join(scratch, `markers-${++markers}`, 'change-marker');
    const plugin = await load(library(), { pluginId: 'cached.plugin', hostApi, configChangeMarker: marker, ...(events ? { events } : {}) });
    plugins.push(plugin);
    return { plugin, marker };
  }

  it('answers a kept answer on the plugin thread, records each call with the answer redacted, and reads again once the marker moves', async () => {
    const events = new RuntimeEvents();
    const records: HostCallRecord[] = [];
    events.on('hostCall', (record) => records.push(record));
    const { reads, hostApi } = countingConfig();
    const { plugin, marker } = await start(hostApi, events);

    for (let i = 0; i < 3; i++) expect(await configGet(plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#1`);
    expect(reads).toEqual([`greeting@${AGENT_A}`]);
    await expect.poll(() => records.filter((record) => record.slot === 'config_get').length).toBe(3);
    for (const record of records.filter((r) => r.slot === 'config_get')) {
      expect(record).toMatchObject({ pluginId: 'cached.plugin', agentId: AGENT_A, frame: 'invoke', args: ['greeting'], response: '[redacted]' });
    }

    moveMarker(marker);
    expect(await configGet(plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#2`);
    expect(await configGet(plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#2`);
    expect(reads).toHaveLength(2);
  });

  it('keeps one answer per agent and key, only when the host API keeps it, and never for calls without an agent', async () => {
    const { reads, hostApi } = countingConfig();
    const { plugin } = await start(hostApi);

    expect(await configGet(plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#1`);
    expect(await configGet(plugin, 'greeting', AGENT_B)).toBe(`greeting@${AGENT_B}#2`);
    expect(await configGet(plugin, 'other', AGENT_A)).toBe(`other@${AGENT_A}#3`);
    expect(await configGet(plugin, 'failing', AGENT_A)).toBe(`failing@${AGENT_A}#4`);
    expect(await configGet(plugin, 'failing', AGENT_A)).toBe(`failing@${AGENT_A}#5`);
    // A thread the plugin spawned runs no frame, so it has no agent; an invoke without one neither.
    expect(await configGet(plugin, 'greeting', AGENT_A, 'thread.config_get')).toBe('greeting@null#6');
    expect(await configGet(plugin, 'greeting', null)).toBe('greeting@null#7');
    expect(await configGet(plugin, 'greeting', null)).toBe('greeting@null#8');

    expect(await configGet(plugin, 'greeting', AGENT_B)).toBe(`greeting@${AGENT_B}#2`);
    expect(await configGet(plugin, 'other', AGENT_A)).toBe(`other@${AGENT_A}#3`);
    expect(reads).toHaveLength(8);
    // An implementation that throws after keepAnswer(): its error answer is not kept.
    await configGet(plugin, 'throwing', AGENT_A);
    await configGet(plugin, 'throwing', AGENT_A);
    expect(reads).toHaveLength(10);
  });

  it('keeps at most 256 answers per plugin until the next write, then starts over', async () => {
    const { reads, hostApi } = countingConfig();
    const { plugin, marker } = await start(hostApi);
    for (let i = 0; i < 260; i++) await configGet(plugin, `key${i}`, AGENT_A);
    expect(reads).toHaveLength(260);
    await configGet(plugin, 'key0', AGENT_A);
    await configGet(plugin, 'key255', AGENT_A);
    expect(reads).toHaveLength(260);
    await configGet(plugin, 'key259', AGENT_A);
    expect(reads).toHaveLength(261);
    moveMarker(marker);
    await configGet(plugin, 'key259', AGENT_A);
    await configGet(plugin, 'key259', AGENT_A);
    expect(reads).toHaveLength(262);
  });

  it('keeps serving, and keeps nothing, while the marker is truncated or deleted, and follows a marker recreated or replaced', async () => {
    const { reads, hostApi } = countingConfig();
    const { plugin, marker } = await start(hostApi);
    const greeting = () => configGet(plugin, 'greeting', AGENT_A);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#1`);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#1`);

    truncateSync(marker, 3);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#2`);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#3`);
    moveMarker(marker);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#4`);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#4`);

    // A marker unlinked from its path is noticed within a millisecond.
    const noticed = () => new Promise((resolve) => setTimeout(resolve, 5));
    rmSync(marker);
    await noticed();
    expect(await greeting()).toBe(`greeting@${AGENT_A}#5`);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#6`);
    moveMarker(marker);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#7`);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#7`);

    // Replaced by a rename, as an editor or a restore from backup does.
    writeFileSync(`${marker}.new`, randomBytes(8));
    renameSync(`${marker}.new`, marker);
    await noticed();
    expect(await greeting()).toBe(`greeting@${AGENT_A}#8`);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#8`);
    moveMarker(marker);
    expect(await greeting()).toBe(`greeting@${AGENT_A}#9`);
    expect(reads).toHaveLength(9);
  });

  it('does not keep an answer read while the marker moved: a write raced the read', async () => {
    let marker = '';
    const { reads, hostApi } = countingConfig(() => {
      if (reads.length === 1) moveMarker(marker);
    });
    const started = await start(hostApi);
    marker = started.marker;

    expect(await configGet(started.plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#1`);
    expect(await configGet(started.plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#2`);
    expect(await configGet(started.plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#2`);
    expect(reads).toHaveLength(2);
  });
});

describe('config_get without a change marker', () => {
  it('reaches the host API on every call, as before', async () => {
    const { reads, hostApi } = countingConfig();
    const plugin = await NativePlugin.load(library(), { pluginId: 'uncached.plugin', hostApi });
    plugins.push(plugin);
    for (let i = 1; i <= 3; i++) expect(await configGet(plugin, 'greeting', AGENT_A)).toBe(`greeting@${AGENT_A}#${i}`);
    expect(reads).toHaveLength(3);
  });
});
