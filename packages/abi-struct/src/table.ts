import koffi from 'koffi';
import type { NativeBridge } from './bridge.js';
import { AbiError } from './errors.js';
import { DEFAULT_HOST_ABI_LEVEL, HOST_SLOTS, type HostAbiLevel, HostApiStruct, hostSlotOffset, hostTableSize, isHostAbiLevel } from './layout.js';

/** A host table in native memory. */
export interface HostTable {
  /** Address to hand to `osaurus_plugin_entry_v2`; null at level 1, which passes no table. */
  address: bigint | null;
  level: HostAbiLevel;
  /** The level's table size (192 at level 5, 200 at level 6); zeroed padding follows it up to 200 bytes. */
  size: number;
}

/**
 * Builds one plugin's host table at `level` (D1, D3): `version` = level, the
 * slots added at or below the level point at that plugin slot's trampolines,
 * later slots are NULL. The memory is never freed or moved, because a plugin
 * may keep the pointer for as long as its library stays mapped (libraries are
 * never unloaded).
 */
export function buildHostTable(bridge: NativeBridge, pluginSlot: number, level: HostAbiLevel): HostTable {
  if (!isHostAbiLevel(level)) {
    throw new AbiError('invalid_level', `Host ABI level ${String(level)} does not exist; choose a level from 1 to ${DEFAULT_HOST_ABI_LEVEL}.`);
  }
  const size = hostTableSize(level);
  if (size === 0) return { address: null, level, size };
  // Zeroed padding up to the full table: a plugin that tests a newer slot for NULL without
  // checking `version` first reads NULL instead of whatever the heap holds past the table.
  const allocated = koffi.sizeof(HostApiStruct);
  const address = koffi.alloc('uint8_t', allocated) as bigint;
  koffi.encode(address, 0, koffi.array('uint8_t', allocated), new Uint8Array(allocated));
  koffi.encode(address, hostSlotOffset('version'), 'uint32_t', level);
  const table = { address, level, size };
  pointSlotsAt(bridge, table, pluginSlot);
  return table;
}

/**
 * Points a released plugin's table at the bridge's retired slot, whose
 * trampolines answer NULL: a leftover plugin thread that reads its table
 * never reaches the plugin slot's next owner.
 */
export function retireHostTable(bridge: NativeBridge, table: HostTable): void {
  pointSlotsAt(bridge, table, bridge.retiredSlot);
}

function pointSlotsAt(bridge: NativeBridge, table: HostTable, pluginSlot: number): void {
  if (table.address === null) return;
  for (const slot of HOST_SLOTS) {
    const offset = hostSlotOffset(slot.name);
    if (offset >= table.size) break;
    koffi.encode(table.address, offset, 'void*', slot.since <= table.level ? bridge.trampoline(pluginSlot, slot.name) : null);
  }
}

/** Reads a host table back (for tests and diagnostics): version and which slots are set. */
export function readHostTable(table: HostTable): { version: number; slots: Record<string, boolean> } {
  if (table.address === null) return { version: 0, slots: {} };
  const slots: Record<string, boolean> = {};
  for (const slot of HOST_SLOTS) {
    const offset = hostSlotOffset(slot.name);
    if (offset < table.size) slots[slot.name] = koffi.decode(table.address, offset, 'void*') !== null;
  }
  return { version: koffi.decode(table.address, hostSlotOffset('version'), 'uint32_t') as number, slots };
}
