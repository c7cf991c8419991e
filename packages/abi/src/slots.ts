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
  /** Which bodies the row keeps; @osr-host/insights holds one rule per kind. */
  bodies: InsightsBodies;
}

/**
 * The kinds of Insights row a host call becomes (INSIGHTS.md §1, D14): which
 * argument is the request body, whether the answer is kept, what is redacted.
 * A new slot picks one; a new kind needs its rule in @osr-host/insights.
 */
export type InsightsBodies =
  /** The first argument and the answer. */
  | 'request-and-response'
  /** The answer only. */
  | 'response-only'
  /** The second argument as the request, no answer. */
  | 'second-argument'
  /** Neither. */
  | 'none'
  /** The request and answer, and the request's model. */
  | 'chat'
  /** `{sql, params}` as the request, and the answer. */
  | 'database'
  /** A log line: the message (or the structured payload) with duration 0. */
  | 'log-line'
  /** The answer, redacted. */
  | 'secret-answer'
  /** The written value, redacted. */
  | 'secret-value'
  /** The request and answer with headers and URL redacted; the method and URL fill the path. */
  | 'http'
  /** The request; its path fills the row's path. */
  | 'file-read'
  /** A reserved slot: the second argument, and upstream's not_supported answer. */
  | 'reserved-clarify'
  /** Neither body, duration 0. */
  | 'untimed';

/** One host-table slot. */
export interface HostSlotDescriptor {
  name: string;
  /** The ABI version that added the slot. */
  since: number;
  /** The C prototype; parameter names are the ones the reference and Insights paths use. */
  signature: string;
  /** What the slot does, in a paragraph: the public header's comment and the reference's opening. */
  summary: string;
  /** One sentence per C parameter, keyed by its name in the signature. */
  parameterNotes: Readonly<Record<string, string>>;
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

const slotTable = [
  {
    ...rules,
    name: 'config_get',
    since: 2,
    signature: 'const char* osr_config_get_fn(const char* key)',
    summary:
      "Reads one of the plugin's config values (secrets included) for the calling frame's agent. A key the agent has no value for falls back to the plugin-wide value, stored under the built-in Default agent (D9).",
    parameterNotes: {
      key: 'The config key, as declared in the manifest or written with config_set.',
    },
    answer: 'text',
    requiredArgs: 1,
    secretAnswer: true,
    insights: { method: 'GET', path: '/host-api/config/{key}', bodies: 'secret-answer' },
  },
  {
    ...rules,
    name: 'config_set',
    since: 2,
    signature: 'void osr_config_set_fn(const char* key, const char* value)',
    summary:
      'Stores a config value for the calling frame\'s agent. `""` is a value, distinct from deleting the key.',
    parameterNotes: {
      key: 'The config key.',
      value: 'The new value (any text).',
    },
    answer: 'none',
    requiredArgs: 2,
    secretArgs: [1],
    insights: { method: 'PUT', path: '/host-api/config/{key}', bodies: 'secret-value' },
  },
  {
    ...rules,
    name: 'config_delete',
    since: 2,
    signature: 'void osr_config_delete_fn(const char* key)',
    summary:
      "Deletes the calling agent's value for a key. The plugin-wide value (under the Default agent) stays, so config_get may then answer that value.",
    parameterNotes: {
      key: 'The config key.',
    },
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'DELETE', path: '/host-api/config/{key}', bodies: 'none' },
  },
  {
    ...rules,
    name: 'db_exec',
    since: 2,
    signature: 'const char* osr_db_exec_fn(const char* sql, const char* params_json)',
    summary:
      "Runs one SQL statement on the plugin's own SQLite database, `<home>/Tools/<plugin_id>/data/data.db`, opened on first use (WAL, foreign keys on). A statement that returns rows is stepped once.",
    parameterNotes: {
      sql: 'Exactly one SQL statement. A trailing second statement is `invalid_request` and nothing runs (D11, P31).',
      params_json: 'Parameters: a JSON array (element i binds `?i`, or the i-th bare `?`; the two styles cannot be mixed), a JSON object (named; keys may be `:x`, `@x`, `$x` or bare `x`), or NULL / blank for none.',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [1],
    refusedInTeardown: true,
    insights: { method: 'POST', path: '/host-api/db/exec', bodies: 'database' },
  },
  {
    ...rules,
    name: 'db_query',
    since: 2,
    signature: 'const char* osr_db_query_fn(const char* sql, const char* params_json)',
    summary:
      'Runs one SQL statement and answers its columns and rows. Rows are positional arrays (D10). A statement that returns no rows runs and answers empty lists.',
    parameterNotes: {
      sql: 'Exactly one SQL statement (D11, P31).',
      params_json: 'Parameters, as for db_exec; NULL or blank for none.',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [1],
    refusedInTeardown: true,
    insights: { method: 'POST', path: '/host-api/db/query', bodies: 'database' },
  },
  {
    ...rules,
    name: 'log',
    since: 2,
    signature: 'void osr_log_fn(int level, const char* message)',
    summary:
      "Writes a line to the host's console (stderr) as `[Plugin:<plugin_id>] [<LEVEL>] <message>` and records it in Insights with method `LOG`.",
    parameterNotes: {
      level: 'Severity; names and Insights statuses are in the table under [Logging levels](#logging-levels). Any other number logs as `LOG`.',
      message: 'The text to log.',
    },
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'LOG', path: '[{level}] {message}', bodies: 'log-line' },
  },
  {
    ...rules,
    name: 'dispatch',
    since: 2,
    signature: 'const char* osr_dispatch_fn(const char* request_json)',
    summary:
      "Starts a background agent task for the calling frame's agent and answers at once. The task runs the prompt as a chat session, in rounds of the host's tool loop, and reports through on_task_event.",
    parameterNotes: {
      request_json: 'The task request (below).',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/dispatch', bodies: 'request-and-response' },
  },
  {
    ...rules,
    name: 'task_status',
    since: 2,
    signature: 'const char* osr_task_status_fn(const char* task_id)',
    summary:
      "Answers the state of one of the plugin's own tasks. Task ids are matched in any letter case.",
    parameterNotes: {
      task_id: 'The id dispatch answered.',
    },
    answer: 'json',
    requiredArgs: 1,
    insights: { method: 'GET', path: '/host-api/tasks/{task_id}', bodies: 'response-only' },
  },
  {
    ...rules,
    name: 'dispatch_cancel',
    since: 2,
    signature: 'void osr_dispatch_cancel_fn(const char* task_id)',
    summary:
      "Cancels one of the plugin's active tasks: the task becomes cancelled, CANCELLED is emitted at once and the round in flight is stopped.",
    parameterNotes: {
      task_id: 'The task to cancel.',
    },
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'DELETE', path: '/host-api/tasks/{task_id}', bodies: 'none' },
  },
  {
    ...rules,
    name: 'dispatch_clarify',
    since: 2,
    signature: 'void osr_dispatch_clarify_fn(const char* task_id, const char* response)',
    summary:
      "Reserved. It has no effect: a task's clarification is answered by the operator (`osr-host tasks answer`). The call is recorded in Insights with status 410.",
    parameterNotes: {
      task_id: 'Ignored.',
      response: 'Ignored.',
    },
    answer: 'none',
    requiredArgs: 2,
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/clarify', bodies: 'reserved-clarify' },
  },
  {
    ...rules,
    name: 'complete',
    since: 2,
    signature: 'const char* osr_complete_fn(const char* request_json)',
    summary:
      'Runs an OpenAI-style chat completion against the configured model servers and answers the assembled `chat.completion`. With tools, the host runs its tool loop: it executes the calls it can and asks the model again, up to `max_iterations` model calls.',
    parameterNotes: {
      request_json: 'An OpenAI chat-completions request with the host extensions below.',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/chat/completions', bodies: 'chat' },
  },
  {
    ...rules,
    name: 'complete_stream',
    since: 2,
    signature: 'const char* osr_complete_stream_fn(const char* request_json, void* on_chunk, void* user_data)',
    summary:
      'Runs the same chat completion as complete, calling `on_chunk` for every delta as it arrives, and answers the aggregate once the run ends.',
    parameterNotes: {
      request_json: 'As for complete, plus `stream_id`: a non-blank string (UUID recommended) that complete_cancel can stop.',
      on_chunk: '`void on_chunk(const char* chunk_json, void* user_data)`, called on the calling thread, synchronously, before the next delta. `chunk_json` is valid only during the call.',
      user_data: 'Passed back to `on_chunk` unchanged; the host never reads it.',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/chat/completions', bodies: 'chat' },
  },
  {
    ...rules,
    name: 'embed',
    since: 2,
    signature: 'const char* osr_embed_fn(const char* request_json)',
    summary:
      'Computes embeddings with a configured embedding model.',
    parameterNotes: {
      request_json: '`{"model"?: string, "input": string | [string, …]}`; `input` must be a string or a non-empty array of strings.',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'POST', path: '/host-api/embeddings', bodies: 'request-and-response' },
  },
  {
    ...rules,
    name: 'list_models',
    since: 2,
    signature: 'const char* osr_list_models_fn()',
    summary:
      "Lists the models of every configured provider: chat models (from the provider's configured list, else its `GET /models`) and its configured embedding models.",
    parameterNotes: {},
    answer: 'json',
    requiredArgs: 0,
    insights: { method: 'GET', path: '/host-api/models', bodies: 'response-only' },
  },
  {
    ...rules,
    name: 'http_request',
    since: 2,
    signature: 'const char* osr_http_request_fn(const char* request_json)',
    summary:
      'Performs one outbound HTTP(S) exchange for the plugin, behind an SSRF guard and a per-(plugin, agent) rate limit.',
    parameterNotes: {
      request_json: 'The request (below).',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: '{method}', path: '/host-api/http → {url}', bodies: 'http' },
  },
  {
    ...rules,
    name: 'file_read',
    since: 2,
    signature: 'const char* osr_file_read_fn(const char* request_json)',
    summary:
      "Reads a file from the host's artifacts directory, `<home>/artifacts/`, and answers it base64-encoded.",
    parameterNotes: {
      request_json: '`{"path": "<absolute path>"}`.',
    },
    answer: 'json',
    requiredArgs: 1,
    jsonArgs: [0],
    insights: { method: 'GET', path: '/host-api/file_read → {path}', bodies: 'file-read' },
  },
  {
    ...rules,
    name: 'list_active_tasks',
    since: 2,
    signature: 'const char* osr_list_active_tasks_fn()',
    summary:
      "Lists the plugin's tasks that are queued, running or awaiting a clarification, each as task_status describes it.",
    parameterNotes: {},
    answer: 'json',
    requiredArgs: 0,
    insights: { method: 'GET', path: '/host-api/tasks', bodies: 'response-only' },
  },
  {
    ...rules,
    name: 'send_draft',
    since: 2,
    signature: 'void osr_send_draft_fn(const char* task_id, const char* draft_json)',
    summary:
      "Stores a draft on one of the plugin's active tasks and emits DRAFT. The text is stored as given; when it is a JSON object, task_status and the event carry it parsed as `draft`.",
    parameterNotes: {
      task_id: 'An active task of this plugin.',
      draft_json: 'The draft. By convention `{"text": …, "parse_mode"?: …}`; the host does not validate it.',
    },
    answer: 'none',
    requiredArgs: 2,
    jsonArgs: [1],
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/draft', bodies: 'second-argument' },
  },
  {
    ...rules,
    name: 'dispatch_interrupt',
    since: 2,
    signature: 'void osr_dispatch_interrupt_fn(const char* task_id, const char* message)',
    summary:
      'Stops one of the plugin\'s active tasks early and completes it (COMPLETED, summary "Chat completed"). A non-blank message (trimmed) is added to the task\'s chat session as a user turn, for the next dispatch with the same `session_id`.',
    parameterNotes: {
      task_id: 'An active task of this plugin.',
      message: 'Optional text for the session; NULL or blank adds nothing.',
    },
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/interrupt', bodies: 'second-argument' },
  },
  {
    ...rules,
    name: 'dispatch_add_issue',
    since: 2,
    signature: 'const char* osr_dispatch_add_issue_fn(const char* task_id, const char* issue_json)',
    summary:
      'Reserved. Always answers `not_supported` and does nothing; recorded in Insights with status 501.',
    parameterNotes: {
      task_id: 'Ignored.',
      issue_json: 'Ignored.',
    },
    answer: 'json',
    requiredArgs: 0,
    jsonArgs: [1],
    insights: { method: 'POST', path: '/host-api/tasks/{task_id}/issues', bodies: 'response-only' },
  },
  {
    ...rules,
    name: 'complete_cancel',
    since: 3,
    signature: 'void osr_complete_cancel_fn(const char* stream_id)',
    summary:
      "Cancels the plugin's streams registered under `stream_id`: the upstream request is dropped at once, the stream ends with a `cancelled` terminator chunk and complete_stream answers the `cancelled` envelope.",
    parameterNotes: {
      stream_id: 'The `stream_id` of a complete_stream request; surrounding whitespace is trimmed.',
    },
    answer: 'none',
    requiredArgs: 1,
    insights: { method: 'DELETE', path: '/host-api/streams/{stream_id}', bodies: 'untimed' },
  },
  {
    ...rules,
    name: 'get_active_agent_id',
    since: 4,
    signature: 'const char* osr_get_active_agent_id_fn()',
    summary:
      "Answers the calling frame's agent id as plain text (an upper-case UUID, not JSON), or NULL when the frame has no agent. The Default agent's id is answered as it is, not filtered.",
    parameterNotes: {},
    answer: 'text',
    requiredArgs: 0,
    insights: { method: 'GET', path: '/host-api/agent', bodies: 'response-only' },
  },
  {
    ...rules,
    name: 'log_structured',
    since: 5,
    signature: 'void osr_log_structured_fn(int level, const char* message, const char* payload)',
    summary:
      'Logs like log, with a payload: the console line is the message followed by the payload, and Insights stores the payload as the request body.',
    parameterNotes: {
      level: 'Severity, as for log.',
      message: 'The text to log.',
      payload: 'Any text; JSON by convention, but it is not parsed or validated. NULL logs the message alone.',
    },
    answer: 'none',
    requiredArgs: 1,
    jsonArgs: [1],
    insights: { method: 'LOG', path: '[{level}] {message}', bodies: 'log-line' },
  },
  {
    ...rules,
    name: 'free_string',
    since: 6,
    signature: 'void osr_host_free_string_fn(const char* s)',
    summary:
      "Releases a string the host returned. It is the C library's `free()`, served by the native bridge directly, without a round trip to JavaScript.",
    parameterNotes: {
      s: 'A string a host slot returned, or NULL.',
    },
    answer: 'none',
    reachesHost: false,
    requiredArgs: 0,
    insights: null,
  },
] as const satisfies readonly HostSlotDescriptor[];

/**
 * Host-table slots in ABI order; a slot's index here plus one is its number in the table and in the
 * native bridge. Typed as the literal table, so slot names, signatures and answers are types too.
 */
export const HOST_SLOTS: typeof slotTable = slotTable;

export type HostSlotName = (typeof HOST_SLOTS)[number]['name'];
/** The slots whose calls reach the JavaScript host (every slot but free_string). */
export type ServedSlotName = Extract<(typeof HOST_SLOTS)[number], { reachesHost: true }>['name'];

const slotsByName = new Map<string, HostSlotDescriptor>(HOST_SLOTS.map((slot) => [slot.name, slot]));

/** The descriptor of a slot; for a name read from elsewhere (an event, a row), undefined when no slot has it. */
export function hostSlot(name: HostSlotName): HostSlotDescriptor;
export function hostSlot(name: string): HostSlotDescriptor | undefined;
export function hostSlot(name: string): HostSlotDescriptor | undefined {
  return slotsByName.get(name);
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

/** Host ABI levels this host can build (D1): 1 (no host table), then each version a slot appeared in. */
export type HostAbiLevel = 1 | (typeof HOST_SLOTS)[number]['since'];
/** The newest level, the version of the newest slot: a slot appended with the next `since` raises it. */
export const DEFAULT_HOST_ABI_LEVEL = Math.max(...HOST_SLOTS.map((slot) => slot.since)) as HostAbiLevel;
export const HOST_ABI_LEVELS: readonly HostAbiLevel[] = Array.from({ length: DEFAULT_HOST_ABI_LEVEL }, (_, index) => (index + 1) as HostAbiLevel);

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
