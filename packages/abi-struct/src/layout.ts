import koffi, { type TypeObject } from 'koffi';
import { processWide } from './process-wide.js';

/**
 * The C ABI, declared once. Struct layouts, offsets, table sizes per ABI level
 * and the TypeScript names below are all derived from these two lists.
 */

/** Host-table slots in ABI order, with the ABI version that added each one. */
export const HOST_SLOTS = [
  { name: 'config_get', since: 2, signature: 'const char* osr_config_get_fn(const char* key)' },
  { name: 'config_set', since: 2, signature: 'void osr_config_set_fn(const char* key, const char* value)' },
  { name: 'config_delete', since: 2, signature: 'void osr_config_delete_fn(const char* key)' },
  { name: 'db_exec', since: 2, signature: 'const char* osr_db_exec_fn(const char* sql, const char* params_json)' },
  { name: 'db_query', since: 2, signature: 'const char* osr_db_query_fn(const char* sql, const char* params_json)' },
  { name: 'log', since: 2, signature: 'void osr_log_fn(int level, const char* message)' },
  { name: 'dispatch', since: 2, signature: 'const char* osr_dispatch_fn(const char* request_json)' },
  { name: 'task_status', since: 2, signature: 'const char* osr_task_status_fn(const char* task_id)' },
  { name: 'dispatch_cancel', since: 2, signature: 'void osr_dispatch_cancel_fn(const char* task_id)' },
  {
    name: 'dispatch_clarify',
    since: 2,
    signature: 'void osr_dispatch_clarify_fn(const char* task_id, const char* response)',
  },
  { name: 'complete', since: 2, signature: 'const char* osr_complete_fn(const char* request_json)' },
  {
    name: 'complete_stream',
    since: 2,
    signature: 'const char* osr_complete_stream_fn(const char* request_json, void* on_chunk, void* user_data)',
  },
  { name: 'embed', since: 2, signature: 'const char* osr_embed_fn(const char* request_json)' },
  { name: 'list_models', since: 2, signature: 'const char* osr_list_models_fn()' },
  { name: 'http_request', since: 2, signature: 'const char* osr_http_request_fn(const char* request_json)' },
  { name: 'file_read', since: 2, signature: 'const char* osr_file_read_fn(const char* request_json)' },
  { name: 'list_active_tasks', since: 2, signature: 'const char* osr_list_active_tasks_fn()' },
  { name: 'send_draft', since: 2, signature: 'void osr_send_draft_fn(const char* task_id, const char* draft_json)' },
  {
    name: 'dispatch_interrupt',
    since: 2,
    signature: 'void osr_dispatch_interrupt_fn(const char* task_id, const char* message)',
  },
  {
    name: 'dispatch_add_issue',
    since: 2,
    signature: 'const char* osr_dispatch_add_issue_fn(const char* task_id, const char* issue_json)',
  },
  { name: 'complete_cancel', since: 3, signature: 'void osr_complete_cancel_fn(const char* stream_id)' },
  { name: 'get_active_agent_id', since: 4, signature: 'const char* osr_get_active_agent_id_fn()' },
  {
    name: 'log_structured',
    since: 5,
    signature: 'void osr_log_structured_fn(int level, const char* message, const char* payload)',
  },
  { name: 'free_string', since: 6, signature: 'void osr_host_free_string_fn(const char* s)' },
] as const;

/** Plugin-table fields in ABI order; the first five are the whole v1 table. */
export const PLUGIN_FIELDS = [
  { name: 'free_string', required: true, signature: 'void osr_free_string_fn(const char* s)' },
  { name: 'init', required: true, signature: 'void* osr_init_fn()' },
  { name: 'destroy', required: true, signature: 'void osr_destroy_fn(void* ctx)' },
  { name: 'get_manifest', required: true, signature: 'const char* osr_get_manifest_fn(void* ctx)' },
  {
    name: 'invoke',
    required: true,
    signature: 'const char* osr_invoke_fn(void* ctx, const char* type, const char* id, const char* payload)',
  },
  { name: 'version', required: false, signature: null },
  { name: 'handle_route', required: false, signature: 'const char* osr_handle_route_fn(void* ctx, const char* request_json)' },
  {
    name: 'on_config_changed',
    required: false,
    signature: 'void osr_on_config_changed_fn(void* ctx, const char* key, const char* value)',
  },
  {
    name: 'on_task_event',
    required: false,
    signature: 'void osr_on_task_event_fn(void* ctx, const char* task_id, int event_type, const char* event_json)',
  },
] as const;

export type HostSlotName = (typeof HOST_SLOTS)[number]['name'];
export type PluginFieldName = (typeof PLUGIN_FIELDS)[number]['name'];
export type PluginFunctionName = Exclude<PluginFieldName, 'version'>;

/** Host ABI levels this library can build (D1). */
export const HOST_ABI_LEVELS = [1, 2, 3, 4, 5, 6] as const;
export type HostAbiLevel = (typeof HOST_ABI_LEVELS)[number];
export const DEFAULT_HOST_ABI_LEVEL: HostAbiLevel = 6;

export const ENTRY_SYMBOL_V2 = 'osaurus_plugin_entry_v2';
export const ENTRY_SYMBOL_V1 = 'osaurus_plugin_entry';
export const ABI_PROBE_KEY = '__osaurus_abi_probe__';

export const TASK_EVENT = {
  STARTED: 0,
  ACTIVITY: 1,
  PROGRESS: 2,
  CLARIFICATION: 3,
  COMPLETED: 4,
  FAILED: 5,
  CANCELLED: 6,
  OUTPUT: 7,
  DRAFT: 8,
} as const;

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

/** The slot's index in the table (version is 0), which is also its number in the native bridge. */
export function hostSlotIndex(name: HostSlotName): number {
  return HOST_SLOTS.findIndex((slot) => slot.name === name) + 1;
}

/** Slots a host at `level` fills; every later slot is NULL (D1). */
export function hostSlotsAtLevel(level: HostAbiLevel): HostSlotName[] {
  return level < 2 ? [] : HOST_SLOTS.filter((slot) => slot.since <= level).map((slot) => slot.name);
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

export function isHostAbiLevel(value: unknown): value is HostAbiLevel {
  return HOST_ABI_LEVELS.includes(value as HostAbiLevel);
}
