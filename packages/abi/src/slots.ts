/**
 * The host-API contract as data. Struct layouts (in @osr-host/abi-struct),
 * the runtime's argument rules, Insights rows, the C bridge's trampolines and
 * the host-API reference are all derived from these descriptors.
 */

/** What a slot hands back to the plugin: nothing, a bare string (not JSON), or JSON text. */
export type SlotAnswer = 'none' | 'text' | 'json';

/**
 * How Insights shows a call of the slot (INSIGHTS.md §1, D14). `{name}` is
 * filled from the C parameter of that name, from the field of that name in
 * the request JSON (`{method}`, `{url}`, `{path}` of http_request and
 * file_read), or `{level}` from the log level's name.
 */
export interface InsightsRoute {
  method: string;
  path: string;
}

/** One host-table slot. */
export interface HostSlotDescriptor {
  name: string;
  /** The ABI version that added the slot. */
  since: number;
  /** The C prototype; parameter names are the ones the reference and Insights paths use. */
  signature: string;
  /** Whether the slot answers, and how. A string answer is owned by the plugin, which frees it. */
  answer: SlotAnswer;
  /** The call reaches the JavaScript host; false for free_string, which the bridge answers itself. */
  reachesHost: boolean;
  /** How many leading C-string arguments must be non-NULL (HOST_API.md §0); a NULL one gets NULL or nothing. */
  requiredArgs: number;
  /** Argument positions whose value is a secret: it never reaches an event or a log (D14). */
  secretArgs: readonly number[];
  /** The answer is a secret (config_get). */
  secretAnswer: boolean;
  /** Argument positions that are JSON text, which the host parses: their nesting depth is bounded. */
  jsonArgs: readonly number[];
  /** While the plugin is being torn down the slot answers upstream's shutting-down reply and does not run. */
  refusedInTeardown: boolean;
  /** How Insights records the call; null for a slot that never reaches the host. */
  insights: InsightsRoute | null;
}

const rules = {
  reachesHost: true,
  secretArgs: [],
  secretAnswer: false,
  jsonArgs: [],
  refusedInTeardown: false,
} as const;

/** Host-table slots in ABI order; a slot's index here plus one is its number in the table and in the native bridge. */
export const HOST_SLOTS = [
  {
    ...rules,
    name: 'config_get',
    since: 2,
    signature: 'const char* osr_config_get_fn(const char* key)',
    answer: 'text',
    requiredArgs: 1,
    secretAnswer: true,
    insights: { method: 'GET', path: '/host-api/config/{key}' },
  },
  {
    ...rules,
    name: 'config_set',
    since: 2,
    signature: 'void osr_config_set_fn(const char* key, const char* value)',
    answer: 'none',
    requiredArgs: 2,
    secretArgs: [1],
    insights: { method: 'PUT', path: '/host-api/config/{key}' },
  },
  {
    ...rules,
    name: 'config_delete',
    since: 2,
    signature: 'void osr_config_delete_fn(const char* key)',
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'DELETE', path: '/host-api/config/{key}' },
  },
  {
    ...rules,
    name: 'db_exec',
    since: 2,
    signature: 'const char* osr_db_exec_fn(const char* sql, const char* params_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [1],
    refusedInTeardown: true,
    insights: { method: 'POST', path: '/host-api/db/exec' },
  },
  {
    ...rules,
    name: 'db_query',
    since: 2,
    signature: 'const char* osr_db_query_fn(const char* sql, const char* params_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [1],
    refusedInTeardown: true,
    insights: { method: 'POST', path: '/host-api/db/query' },
  },
  {
    ...rules,
    name: 'log',
    since: 2,
    signature: 'void osr_log_fn(int level, const char* message)',
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'LOG', path: '[{level}] {message}' },
  },
  {
    ...rules,
    name: 'dispatch',
    since: 2,
    signature: 'const char* osr_dispatch_fn(const char* request_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/dispatch' },
  },
  {
    ...rules,
    name: 'task_status',
    since: 2,
    signature: 'const char* osr_task_status_fn(const char* task_id)',
    answer: 'json',
    requiredArgs: 1,
    insights: { method: 'GET', path: '/host-api/tasks/{task_id}' },
  },
  {
    ...rules,
    name: 'dispatch_cancel',
    since: 2,
    signature: 'void osr_dispatch_cancel_fn(const char* task_id)',
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'DELETE', path: '/host-api/tasks/{task_id}' },
  },
  {
    ...rules,
    name: 'dispatch_clarify',
    since: 2,
    signature: 'void osr_dispatch_clarify_fn(const char* task_id, const char* response)',
    answer: 'none',
    requiredArgs: 2,
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/clarify' },
  },
  {
    ...rules,
    name: 'complete',
    since: 2,
    signature: 'const char* osr_complete_fn(const char* request_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/chat/completions' },
  },
  {
    ...rules,
    name: 'complete_stream',
    since: 2,
    signature: 'const char* osr_complete_stream_fn(const char* request_json, void* on_chunk, void* user_data)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/chat/completions' },
  },
  {
    ...rules,
    name: 'embed',
    since: 2,
    signature: 'const char* osr_embed_fn(const char* request_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/embeddings' },
  },
  {
    ...rules,
    name: 'list_models',
    since: 2,
    signature: 'const char* osr_list_models_fn()',
    answer: 'json',
    requiredArgs: 0,
    insights: { method: 'GET', path: '/host-api/models' },
  },
  {
    ...rules,
    name: 'http_request',
    since: 2,
    signature: 'const char* osr_http_request_fn(const char* request_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: '{method}', path: '/host-api/http → {url}' },
  },
  {
    ...rules,
    name: 'file_read',
    since: 2,
    signature: 'const char* osr_file_read_fn(const char* request_json)',
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'GET', path: '/host-api/file_read → {path}' },
  },
  {
    ...rules,
    name: 'list_active_tasks',
    since: 2,
    signature: 'const char* osr_list_active_tasks_fn()',
    answer: 'json',
    requiredArgs: 0,
    insights: { method: 'GET', path: '/host-api/tasks' },
  },
  {
    ...rules,
    name: 'send_draft',
    since: 2,
    signature: 'void osr_send_draft_fn(const char* task_id, const char* draft_json)',
    answer: 'none',
    requiredArgs: 2,
    jsonArgs: [1],
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/draft' },
  },
  {
    ...rules,
    name: 'dispatch_interrupt',
    since: 2,
    signature: 'void osr_dispatch_interrupt_fn(const char* task_id, const char* message)',
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/interrupt' },
  },
  {
    ...rules,
    name: 'dispatch_add_issue',
    since: 2,
    signature: 'const char* osr_dispatch_add_issue_fn(const char* task_id, const char* issue_json)',
    answer: 'json',
    requiredArgs: 0,
    jsonArgs: [1],
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/issues' },
  },
  {
    ...rules,
    name: 'complete_cancel',
    since: 3,
    signature: 'void osr_complete_cancel_fn(const char* stream_id)',
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'DELETE', path: '/host-api/streams/{stream_id}' },
  },
  {
    ...rules,
    name: 'get_active_agent_id',
    since: 4,
    signature: 'const char* osr_get_active_agent_id_fn()',
    answer: 'text',
    requiredArgs: 0,
    insights: { method: 'GET', path: '/host-api/agent' },
  },
  {
    ...rules,
    name: 'log_structured',
    since: 5,
    signature: 'void osr_log_structured_fn(int level, const char* message, const char* payload)',
    answer: 'none',
    requiredArgs: 1,
    jsonArgs: [1],
    insights: { method: 'LOG', path: '[{level}] {message}' },
  },
  {
    ...rules,
    name: 'free_string',
    since: 6,
    signature: 'void osr_host_free_string_fn(const char* s)',
    answer: 'none',
    reachesHost: false,
    requiredArgs: 0,
    insights: null,
  },
] as const satisfies readonly HostSlotDescriptor[];

export type HostSlotName = (typeof HOST_SLOTS)[number]['name'];
/** The slots whose calls reach the JavaScript host (every slot but free_string). */
export type ServedSlotName = Extract<(typeof HOST_SLOTS)[number], { reachesHost: true }>['name'];

const slotsByName = new Map<string, HostSlotDescriptor>(HOST_SLOTS.map((slot) => [slot.name, slot]));

/** The descriptor of a slot. */
export function hostSlot(name: HostSlotName): HostSlotDescriptor {
  return slotsByName.get(name) as HostSlotDescriptor;
}

/** Every slot whose calls reach the JavaScript host, in ABI order. */
export const SERVED_SLOTS = HOST_SLOTS.filter((slot) => slot.reachesHost).map((slot) => slot.name) as ServedSlotName[];

/** The C parameter names of a prototype, in order (`int level, const char* message` → level, message). */
export function signatureParameterNames(signature: string): string[] {
  const list = signature.slice(signature.indexOf('(') + 1, signature.lastIndexOf(')')).trim();
  if (list === '' || list === 'void') return [];
  return list.split(',').map((parameter) => parameter.trim().split(/[\s*]+/).at(-1) ?? '');
}

/** The slot's index in the table (version is 0), which is also its number in the native bridge. */
export function hostSlotIndex(name: HostSlotName): number {
  return HOST_SLOTS.findIndex((slot) => slot.name === name) + 1;
}

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

export type PluginFieldName = (typeof PLUGIN_FIELDS)[number]['name'];
export type PluginFunctionName = Exclude<PluginFieldName, 'version'>;

/** Host ABI levels this host can build (D1). */
export const HOST_ABI_LEVELS = [1, 2, 3, 4, 5, 6] as const;
export type HostAbiLevel = (typeof HOST_ABI_LEVELS)[number];
export const DEFAULT_HOST_ABI_LEVEL: HostAbiLevel = 6;

export const ENTRY_SYMBOL_V2 = 'osaurus_plugin_entry_v2';
export const ENTRY_SYMBOL_V1 = 'osaurus_plugin_entry';
/** The config key of the load-time ABI probe: one on_config_changed call the plugin may ignore (D5). */
export const ABI_PROBE_KEY = '__osaurus_abi_probe__';

export function isHostAbiLevel(value: unknown): value is HostAbiLevel {
  return HOST_ABI_LEVELS.includes(value as HostAbiLevel);
}

/** Slots a host at `level` fills; every later slot is NULL (D1). */
export function hostSlotsAtLevel(level: HostAbiLevel): HostSlotName[] {
  return level < 2 ? [] : HOST_SLOTS.filter((slot) => slot.since <= level).map((slot) => slot.name);
}

/** `on_task_event` event types (ABI.md §9). */
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

export type TaskEventName = keyof typeof TASK_EVENT;
