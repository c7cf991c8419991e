import {
  HOST_SLOTS,
  type HostAbiLevel,
  type HostSlotName,
  hostSlotsAtLevel,
  PLUGIN_FIELDS,
  type PluginFieldName,
  type PluginFunctionName,
} from '@osr-host/abi';
import koffi, { type TypeObject } from 'koffi';
import { processWide } from './process-wide.js';

/**
 * The koffi binding of the C ABI that @osr-host/abi declares as data: struct
 * layouts, offsets and table sizes per ABI level are derived from its
 * HOST_SLOTS and PLUGIN_FIELDS.
 */

export {
  ABI_PROBE_KEY,
  DEFAULT_HOST_ABI_LEVEL,
  ENTRY_SYMBOL_V1,
  ENTRY_SYMBOL_V2,
  HOST_ABI_LEVELS,
  HOST_SLOTS,
  type HostAbiLevel,
  type HostSlotName,
  hostSlotIndex,
  hostSlotsAtLevel,
  isHostAbiLevel,
  PLUGIN_FIELDS,
  type PluginFieldName,
  type PluginFunctionName,
  TASK_EVENT,
} from '@osr-host/abi';

/** The koffi types, registered once per process (koffi's type names are process-wide). */
const types = processWide('layout', () => {
  const hostSlotPrototypes = Object.fromEntries(HOST_SLOTS.map((slot) => [slot.name, koffi.proto(slot.signature)])) as Record<
    HostSlotName,
    TypeObject
  >;
  const pluginPrototypes = Object.fromEntries(
    PLUGIN_FIELDS.filter((field) => field.signature !== null).map((field) => [field.name, koffi.proto(field.signature as string)]),
  ) as Record<PluginFunctionName, TypeObject>;
  const pluginFieldType = (name: PluginFieldName) => (name === 'version' ? 'uint32_t' : koffi.pointer(pluginPrototypes[name]));
  return {
    hostSlotPrototypes,
    HostApiStruct: koffi.struct('osr_host_api', {
      version: 'uint32_t',
      ...Object.fromEntries(HOST_SLOTS.map((slot) => [slot.name, koffi.pointer(hostSlotPrototypes[slot.name])])),
    }),
    PluginApiStruct: koffi.struct('osr_plugin_api', Object.fromEntries(PLUGIN_FIELDS.map((field) => [field.name, pluginFieldType(field.name)]))),
    // The legacy table a v1 entry returns: exactly five pointers, never read past (D2).
    PluginApiV1Struct: koffi.struct(
      'osr_plugin_api_v1',
      Object.fromEntries(PLUGIN_FIELDS.slice(0, 5).map((field) => [field.name, pluginFieldType(field.name)])),
    ),
  };
});

/** Function-pointer prototypes, by slot name. */
export const hostSlotPrototypes = types.hostSlotPrototypes;
export const HostApiStruct = types.HostApiStruct;
export const PluginApiStruct = types.PluginApiStruct;
/** The legacy table a v1 entry returns: exactly five pointers, never read past (D2). */
export const PluginApiV1Struct = types.PluginApiV1Struct;

/** Byte offset of a host-table member. */
export function hostSlotOffset(name: HostSlotName | 'version'): number {
  return koffi.offsetof(HostApiStruct, name);
}

/** Byte offset of a plugin-table member. */
export function pluginFieldOffset(name: PluginFieldName): number {
  return koffi.offsetof(PluginApiStruct, name);
}

/**
 * Bytes of the host table at `level`: up to the end of its last slot, so a
 * level-5 host hands out the seed's 192-byte table (D1). Level 1 has no table.
 */
export function hostTableSize(level: HostAbiLevel): number {
  const slots = hostSlotsAtLevel(level);
  const last = slots.at(-1);
  return last === undefined ? 0 : hostSlotOffset(last) + koffi.sizeof('void*');
}

