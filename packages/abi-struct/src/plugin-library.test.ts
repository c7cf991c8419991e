import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbiError, type AnsweredHostCall, DEFAULT_HOST_ABI_LEVEL, type HostAbiLevel, type HostCallEvent, NativeBridge, PluginLibrary, readHostTable } from './index.js';
import { compilePlugin, fixtureSources, uniqueLibraryCopy } from './testing.js';

const scratch = mkdtempSync(join(tmpdir(), 'osr-abi-'));
const levels: HostAbiLevel[] = [1, 2, 3, 4, 5, 6];

function testPlugin(abi: number, extra: Record<string, boolean> = {}) {
  // A fresh path per load: the dynamic linker would otherwise share one instance (and its globals).
  return uniqueLibraryCopy(compilePlugin(fixtureSources.testPlugin, { defines: { PLUGIN_ABI: abi, ...extra } }), scratch);
}
function edgePlugin(variant: string) {
  return uniqueLibraryCopy(compilePlugin(fixtureSources.edgePlugin, { defines: { [variant]: true } }), scratch);
}

async function loadError(path: string, level: HostAbiLevel = 6): Promise<AbiError> {
  const error = await PluginLibrary.open(path, { level }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AbiError);
  return error as AbiError;
}

describe('entry resolution at every host level (ABI.md §4, D1, D2)', () => {
  it.each(levels)('level %i loads the v1-only plugin through osaurus_plugin_entry, reading 40 bytes', async (level) => {
    const library = await PluginLibrary.open(edgePlugin('V1_ONLY'), { level });
    expect(library.entry).toBe('v1');
    expect(library.abi).toBe(1);
    expect(library.functions.handle_route).toBeNull();
    expect(library.functions.on_config_changed).toBeNull();
    const ctx = await library.init();
    const invoked = await library.invoke(ctx, 'tool', 'hello', '{}');
    expect(JSON.parse(invoked.text!)).toEqual({ ok: true, result: { type: 'tool', id: 'hello', destroyed: 0 } });
    library.release();
  });

  for (const abi of [2, 3, 4, 5, 6]) {
    it.each(levels)(`level %i and a v${abi} plugin`, async (level) => {
      if (level === 1) {
        const error = await loadError(testPlugin(abi), level);
        expect(error.code).toBe('missing_entry_point');
        expect(error.message).toContain('needs host ABI level 2');
        return;
      }
      const library = await PluginLibrary.open(testPlugin(abi), { level });
      expect(library.entry).toBe('v2');
      expect(library.abi).toBe(abi);
      const table = readHostTable(library.hostTable);
      expect(table.version).toBe(level);
      expect(table.slots.complete_cancel ?? false).toBe(level >= 3);
      expect(table.slots.get_active_agent_id ?? false).toBe(level >= 4);
      expect(table.slots.log_structured ?? false).toBe(level >= 5);
      expect(table.slots.free_string ?? false).toBe(level >= 6);
      library.release();
    });
  }

  it.each(levels)('level %i with both entry symbols exported: v2 wins from level 2', async (level) => {
    const library = await PluginLibrary.open(testPlugin(4, { EXPORT_V1_ENTRY: true }), { level });
    expect(library.entry).toBe(level === 1 ? 'v1' : 'v2');
    expect(library.abi).toBe(level === 1 ? 1 : 4);
    library.release();
  });

  it('refuses a level above the newest', async () => {
    const error = await loadError(testPlugin(6), (DEFAULT_HOST_ABI_LEVEL + 1) as HostAbiLevel);
    expect(error.code).toBe('invalid_level');
  });
});

describe('loader errors (ABI.md §4–5)', () => {
  it('a v2 entry returning NULL', async () => {
    expect((await loadError(edgePlugin('NULL_API'))).message).toBe('Plugin v2 entry returned null API');
  });

  it('lists every missing required pointer before init', async () => {
    expect((await loadError(edgePlugin('MISSING_POINTERS'))).message).toBe(
      'Plugin ABI table is missing required function(s): destroy, invoke',
    );
  });

  it('a library that is not a plugin', async () => {
    expect((await loadError(edgePlugin('NOT_A_PLUGIN'))).message).toBe(
      'Missing plugin entry point (osaurus_plugin_entry_v2 or osaurus_plugin_entry)',
    );
  });

  it('a missing file', async () => {
    const error = await loadError(join(scratch, 'nope.so'));
    expect(error.code).toBe('library_load_failed');
    expect(error.message).toMatch(/No such file/);
  });

  it('a truncated library', async () => {
    const path = join(scratch, 'truncated.so');
    writeFileSync(path, readFileSync(testPlugin(6)).subarray(0, 700));
    const error = await loadError(path);
    expect(error.code).toBe('library_load_failed');
    expect(error.message).toMatch(/truncated/);
  });

  it('a 32-bit ELF and a foreign-architecture ELF', async () => {
    const elf = readFileSync(testPlugin(6));
    const class32 = Buffer.from(elf);
    class32[4] = 1; // EI_CLASS = ELFCLASS32
    const foreign = Buffer.from(elf);
    foreign.writeUInt16LE(foreign.readUInt16LE(18) === 62 ? 183 : 62, 18); // e_machine: x86-64 <-> AArch64
    const paths = [join(scratch, 'class32.so'), join(scratch, 'foreign.so')];
    writeFileSync(paths[0]!, class32);
    writeFileSync(paths[1]!, foreign);
    expect((await loadError(paths[0]!)).message).toMatch(/32-bit library/);
    expect((await loadError(paths[1]!)).message).toMatch(/built for .* but this host runs on/);
  });

  it('a text file named like a library', async () => {
    const path = join(scratch, 'text.so');
    copyFileSync(fixtureSources.edgePlugin, path);
    expect((await loadError(path)).message).toMatch(/^Failed to load plugin library: /);
  });

  it('frees the plugin slot of a failed load', async () => {
    const bridge = NativeBridge.open();
    const before = bridge.poolStats();
    for (let i = 0; i < bridge.maxPluginSlots + 5; i++) await loadError(edgePlugin('NULL_API'));
    const library = await PluginLibrary.open(testPlugin(6));
    library.release();
    expect(bridge.poolStats().threads).toBeGreaterThanOrEqual(Math.min(1, before.threads));
  });
});

describe('host calls through the bridge', () => {
  it('attributes calls to the plugin slot and the frame of the calling thread (D3)', async () => {
    const seen: HostCallEvent[] = [];
    const bridge = NativeBridge.open();
    const library = await PluginLibrary.open(testPlugin(6), {
      onHostCall: (event) => {
        seen.push(event);
        bridge.reply(event.request, event.slot === 'get_active_agent_id' ? 'AGENT' : null);
      },
    });
    const ctx = await library.init();
    const direct = await library.invoke(ctx, 'tool', 'call.get_active_agent_id', '', { id: 77 });
    const threaded = await library.invoke(ctx, 'tool', 'thread.get_active_agent_id', '', { id: 78 });
    expect(JSON.parse(direct.text!).result).toBe('AGENT');
    expect(JSON.parse(threaded.text!).result).toBe('AGENT');
    expect(seen.map((e) => [e.pluginSlot, e.slot, e.frameId])).toEqual([
      [library.pluginSlot, 'get_active_agent_id', 77],
      [library.pluginSlot, 'get_active_agent_id', 0],
    ]);
    library.release();
  });

  it('answers get_active_agent_id from the frame on the calling thread when asked, and reports each answer', async () => {
    const served: string[] = [];
    const answered: AnsweredHostCall[] = [];
    const bridge = NativeBridge.open();
    const library = await PluginLibrary.open(testPlugin(6), {
      answerFromFrame: true,
      onHostCall: (event) => {
        served.push(event.slot);
        bridge.reply(event.request, 'FROM JS');
      },
      onAnsweredHostCall: (call) => answered.push(call),
    });
    const ctx = await library.init();
    const direct = await library.invoke(ctx, 'tool', 'call.get_active_agent_id', '', { id: 91, agentId: 'AGENT-91' });
    const threaded = await library.invoke(ctx, 'tool', 'thread.get_active_agent_id', '', { id: 92, agentId: 'AGENT-92' });
    const noAgent = await library.invoke(ctx, 'tool', 'call.get_active_agent_id', '', { id: 93 });
    expect([direct, threaded, noAgent].map((call) => JSON.parse(call.text!).result)).toEqual(['AGENT-91', null, null]);
    expect(served).toEqual([]);
    expect(answered.map((call) => [call.pluginSlot, call.slot, call.frameId, call.response])).toEqual([
      [library.pluginSlot, 'get_active_agent_id', 91, 'AGENT-91'],
      [library.pluginSlot, 'get_active_agent_id', 0, null],
      [library.pluginSlot, 'get_active_agent_id', 93, null],
    ]);
    expect(answered.every((call) => call.durationMs >= 0 && Math.abs(call.startedAt.getTime() - Date.now()) < 60_000)).toBe(true);
    library.release();
  });

  it('copies plugin strings and releases each once with the plugin free_string (D4)', async () => {
    const library = await PluginLibrary.open(testPlugin(6));
    const ctx = await library.init();
    await library.invoke(ctx, 'tool', 'echo', '1');
    await library.invoke(ctx, 'tool', 'echo', '2');
    const nothing = await library.invoke(ctx, 'tool', 'null', '');
    const frees = await library.invoke(ctx, 'tool', 'frees', '');
    expect(nothing.text).toBeNull();
    // get_manifest was not called; echo ×2 were freed; `frees` reads the count before its own release.
    expect(JSON.parse(frees.text!).result).toBe(2);
    library.release();
  });

  it('decodes invalid UTF-8 lossily and refuses strings over the limit', async () => {
    const library = await PluginLibrary.open(testPlugin(6), { maxStringBytes: 1024 });
    const ctx = await library.init();
    const bad = await library.invoke(ctx, 'tool', 'bad_utf8', '');
    // Each maximal invalid subpart becomes one U+FFFD, as the WHATWG decoder (TextDecoder) does: FF, FE, C3 before "(".
    expect(JSON.parse(bad.text!).result).toBe('\uFFFD\uFFFD\uFFFD(');
    const big = await library.invoke(ctx, 'tool', 'big', '4096');
    expect(big).toMatchObject({ text: null, tooLarge: true, textBytes: 4096 });
    library.release();
  });
});
