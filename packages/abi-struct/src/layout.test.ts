import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { headerDirectory, packageRoot } from '../native/build.mjs';
import { BRIDGE_EVENT_FIELDS, BridgeCallKind, BridgeEventKind, bridgeEventLayout } from './bridge.js';
import { cEnumerator } from './native-header.js';
import {
  DEFAULT_HOST_ABI_LEVEL,
  HOST_SLOTS,
  HostApiStruct,
  hostSlotOffset,
  hostSlotsAtLevel,
  hostTableSize,
  PLUGIN_FIELDS,
  PluginApiStruct,
  PluginApiV1Struct,
  pluginFieldOffset,
} from './index.js';

/**
 * Compiles a program against include/osaurus_plugin.h and the bridge's header (native/osr_slots.generated.h,
 * the one osr_bridge.c is built with) that prints the C compiler's view of every layout and bridge constant.
 */
function cLayout(): Record<string, number> {
  const lines = [
    '#include <stddef.h>',
    '#include <stdio.h>',
    '#include "osaurus_plugin.h"',
    '#include "osr_slots.generated.h"',
    'int main(void) {',
    '  printf("sizeof osr_host_api %zu\\n", sizeof(osr_host_api));',
    '  printf("sizeof osr_plugin_api %zu\\n", sizeof(osr_plugin_api));',
    '  printf("sizeof osr_plugin_api_v1 %zu\\n", sizeof(osr_plugin_api_v1));',
    '  printf("alignof osr_host_api %zu\\n", _Alignof(osr_host_api));',
    '  printf("osr_host_api.version %zu\\n", offsetof(osr_host_api, version));',
    ...HOST_SLOTS.map((s) => `  printf("osr_host_api.${s.name} %zu\\n", offsetof(osr_host_api, ${s.name}));`),
    ...PLUGIN_FIELDS.map((f) => `  printf("osr_plugin_api.${f.name} %zu\\n", offsetof(osr_plugin_api, ${f.name}));`),
    ...PLUGIN_FIELDS.slice(0, 5).map((f) => `  printf("osr_plugin_api_v1.${f.name} %zu\\n", offsetof(osr_plugin_api_v1, ${f.name}));`),
    '  printf("sizeof osrb_event %zu\\n", sizeof(osrb_event));',
    ...BRIDGE_EVENT_FIELDS.map((f) => `  printf("osrb_event.${f.name} %zu\\n", offsetof(osrb_event, ${f.name}));`),
    '  printf("OSRB_SLOT_COUNT %d\\n", OSRB_SLOT_COUNT);',
    ...Object.keys({ ...BridgeCallKind, ...BridgeEventKind }).map((k) => `  printf("${cEnumerator(k)} %d\\n", (int)${cEnumerator(k)});`),
    '  return 0;',
    '}',
  ];
  const directory = mkdtempSync(join(tmpdir(), 'osr-layout-'));
  writeFileSync(join(directory, 'layout.c'), lines.join('\n'));
  execFileSync(process.env.CC || 'cc', ['-std=c11', `-I${headerDirectory}`, `-I${join(packageRoot, 'native')}`, join(directory, 'layout.c'), '-o', join(directory, 'layout')]);
  const output = execFileSync(join(directory, 'layout'), { encoding: 'utf8' });
  return Object.fromEntries(
    output
      .trim()
      .split('\n')
      .map((line) => {
        const value = line.slice(line.lastIndexOf(' ') + 1);
        return [line.slice(0, line.lastIndexOf(' ')), Number(value)];
      }),
  );
}

describe('C layout', () => {
  const c = cLayout();

  it('matches the C compiler for every host-table member', () => {
    expect(koffi.sizeof(HostApiStruct)).toBe(c['sizeof osr_host_api']);
    expect(koffi.alignof(HostApiStruct)).toBe(c['alignof osr_host_api']);
    expect(hostSlotOffset('version')).toBe(c['osr_host_api.version']);
    for (const slot of HOST_SLOTS) expect(hostSlotOffset(slot.name), slot.name).toBe(c[`osr_host_api.${slot.name}`]);
  });

  it('matches the C compiler for every plugin-table member, and the v1 prefix', () => {
    expect(koffi.sizeof(PluginApiStruct)).toBe(c['sizeof osr_plugin_api']);
    expect(koffi.sizeof(PluginApiV1Struct)).toBe(c['sizeof osr_plugin_api_v1']);
    for (const field of PLUGIN_FIELDS) expect(pluginFieldOffset(field.name), field.name).toBe(c[`osr_plugin_api.${field.name}`]);
    for (const field of PLUGIN_FIELDS.slice(0, 5)) {
      expect(koffi.offsetof(PluginApiV1Struct, field.name), field.name).toBe(c[`osr_plugin_api_v1.${field.name}`]);
    }
  });

  it("matches the C compiler for the bridge's event struct, call kinds, event kinds and table width", () => {
    const koffiEvent = bridgeEventLayout();
    expect(koffiEvent.size).toBe(c['sizeof osrb_event']);
    for (const field of BRIDGE_EVENT_FIELDS) expect(koffiEvent.offsets[field.name], field.name).toBe(c[`osrb_event.${field.name}`]);
    expect(c.OSRB_SLOT_COUNT).toBe(HOST_SLOTS.length + 1);
    for (const [name, value] of Object.entries({ ...BridgeCallKind, ...BridgeEventKind })) expect(c[cEnumerator(name)], name).toBe(value);
  });

  it('pins the upstream sizes and offsets on 64-bit targets', () => {
    // The whole table grows with each appended slot; what upstream's v6 defines never moves.
    expect(koffi.sizeof(HostApiStruct)).toBe(hostTableSize(DEFAULT_HOST_ABI_LEVEL));
    expect(hostTableSize(6)).toBe(200);
    expect(hostSlotOffset('config_get')).toBe(8);
    expect(hostSlotOffset('get_active_agent_id')).toBe(176);
    expect(hostSlotOffset('log_structured')).toBe(184);
    expect(hostSlotOffset('free_string')).toBe(192);
    expect(koffi.sizeof(PluginApiStruct)).toBe(72);
    expect(koffi.sizeof(PluginApiV1Struct)).toBe(40);
    expect(hostSlotsAtLevel(6)).toHaveLength(24);
  });
});

describe('table size per host ABI level (D1)', () => {
  it.each([
    [1, 0, 0],
    [2, 168, 20],
    [3, 176, 21],
    [4, 184, 22],
    [5, 192, 23],
    [6, 200, 24],
  ] as const)('level %i: %i bytes, %i slots', (level, bytes, slots) => {
    expect(hostTableSize(level)).toBe(bytes);
    expect(hostSlotsAtLevel(level)).toHaveLength(slots);
  });

  it('leaves free_string out below level 6', () => {
    expect(hostSlotsAtLevel(5)).not.toContain('free_string');
    expect(hostSlotsAtLevel(6)).toContain('free_string');
  });
});
