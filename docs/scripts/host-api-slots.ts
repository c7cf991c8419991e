import { DEFAULT_AGENT_ID, type EnvelopeCode, type HostSlotName, type PluginFieldName, type TASK_EVENT } from '@osr-host/abi';
import { DEFAULT_MAX_PLUGIN_STRING_BYTES } from '@osr-host/abi-struct';
import { configKeyMaxBytes, configPluginQuotaBytes, configValueMaxBytes } from '@osr-host/config-keychain';
import { DEFAULT_DISPATCH_LIMITS } from '@osr-host/dispatch';
import { DEFAULT_MAX_ITERATIONS, MAX_INFLIGHT_PER_PLUGIN, MAX_ITERATIONS_LIMIT } from '@osr-host/inference-stream';
import { DEFAULT_MAX_BODY_CHARS } from '@osr-host/insights';
import { MAX_MANIFEST_BYTES } from '@osr-host/manifest';
import { FILE_READ_MAX_BYTES, HTTP_LIMITS, SlidingWindowRateLimiter, SsrfGuard } from '@osr-host/net';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_ROUTE_TIMEOUT_MS } from '@osr-host/routes';
import { DEFAULT_TIMEOUTS, MAX_ARGUMENT_DEPTH } from '@osr-host/runtime';
import { DEFAULT_BUSY_TIMEOUT_MS, DEFAULT_MAX_BYTES } from '@osr-host/storage';

/**
 * What the host API reference says about each slot, field, error code and
 * limit. Layout facts (signatures, versions, offsets) are not here: the page
 * takes them from @osr-host/abi-struct. Numbers come from the packages'
 * exported constants; a limit with no exported constant names the file that
 * holds it instead.
 */

/** A decision of the specification (D#) or of docs/decisions.md (P#). */
export type DecisionId = `D${number}` | `P${number}`;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON example; the page prints it with JSON.stringify, so it is always valid JSON. */
export interface JsonExample {
  title: string;
  json: JsonValue;
}

/** A plain-text answer (not JSON), such as a config value. */
export interface TextExample {
  title: string;
  text: string;
}

/** A workspace package directory under packages/, which is also its page's path. */
export type PackageDir =
  | 'abi-struct'
  | 'config-keychain'
  | 'dispatch'
  | 'inference-stream'
  | 'insights'
  | 'manifest'
  | 'net'
  | 'routes'
  | 'runtime'
  | 'storage';

// ---- formatting of limit values ----

const MIB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  if (bytes % MIB === 0) return `${bytes / MIB} MiB (${exact})`;
  if (bytes % 1_000_000 === 0) return `${bytes / 1_000_000} MB (${exact})`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB (${exact})`;
  return exact;
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${(ms / 1000).toLocaleString('en-US')} s` : `${ms.toLocaleString('en-US')} ms`;
}

// ---- limits ----

/** Where a limit's number is defined: an exported constant, or (when none is exported) what holds it (markdown) and its file. */
export type LimitSource = { package: PackageDir; constant: string } | { unexported: string; file: string };

export interface LimitDoc {
  name: string;
  value: string;
  source: LimitSource;
}

// The http_request limiter's defaults have no named constant; a default instance reports them.
const httpRateLimiter = new SlidingWindowRateLimiter();

export const LIMITS = {
  config_value: {
    name: 'Config value size',
    value: `${formatBytes(configValueMaxBytes)} of UTF-8`,
    source: { package: 'config-keychain', constant: 'configValueMaxBytes' },
  },
  config_key: {
    name: 'Config key size',
    value: `${formatBytes(configKeyMaxBytes)} of UTF-8`,
    source: { package: 'config-keychain', constant: 'configKeyMaxBytes' },
  },
  config_quota: {
    name: 'Config stored per plugin (keys and values, every agent)',
    value: `${formatBytes(configPluginQuotaBytes)} of UTF-8`,
    source: { package: 'config-keychain', constant: 'configPluginQuotaBytes' },
  },
  db_size: {
    name: 'Plugin database size',
    value: `${formatBytes(DEFAULT_MAX_BYTES)} per plugin`,
    source: { package: 'storage', constant: 'DEFAULT_MAX_BYTES' },
  },
  db_busy_timeout: {
    name: 'Database lock wait',
    value: formatDuration(DEFAULT_BUSY_TIMEOUT_MS),
    source: { package: 'storage', constant: 'DEFAULT_BUSY_TIMEOUT_MS' },
  },
  inference_in_flight: {
    name: 'Inference calls in flight',
    value: `${MAX_INFLIGHT_PER_PLUGIN} per plugin, across complete, complete_stream and embed`,
    source: { package: 'inference-stream', constant: 'MAX_INFLIGHT_PER_PLUGIN' },
  },
  max_iterations: {
    name: 'Tool-loop iterations (`max_iterations`)',
    value: `default ${DEFAULT_MAX_ITERATIONS}, clamped to 1–${MAX_ITERATIONS_LIMIT}`,
    source: { package: 'inference-stream', constant: 'DEFAULT_MAX_ITERATIONS, MAX_ITERATIONS_LIMIT' },
  },
  inference_idle_timeout: {
    name: 'Model server silence',
    value: `${formatDuration(120_000)} (before headers, between chunks, whole embedding calls)`,
    source: { unexported: 'the `idleTimeoutMs` default', file: 'packages/inference-stream/src/host.ts' },
  },
  inference_tool_timeout: {
    name: 'Host tool run inside the tool loop',
    value: formatDuration(120_000),
    source: { unexported: 'the `toolTimeoutMs` default', file: 'packages/inference-stream/src/host.ts' },
  },
  dispatch_rate: {
    name: 'Dispatch rate',
    value: `${DEFAULT_DISPATCH_LIMITS.dispatchesPerWindow} per ${formatDuration(DEFAULT_DISPATCH_LIMITS.windowMs)} sliding window per (plugin, agent)`,
    source: { package: 'dispatch', constant: 'DEFAULT_DISPATCH_LIMITS.dispatchesPerWindow, .windowMs' },
  },
  active_tasks: {
    name: 'Running background tasks (more wait in a FIFO queue)',
    value: `${DEFAULT_DISPATCH_LIMITS.maxActiveTasks} in the host, ${DEFAULT_DISPATCH_LIMITS.maxActiveTasksPerAgent} per agent`,
    source: { package: 'dispatch', constant: 'DEFAULT_DISPATCH_LIMITS.maxActiveTasks, .maxActiveTasksPerAgent' },
  },
  dispatch_prompt: {
    name: 'Dispatch prompt size',
    value: `${formatBytes(4 * MIB)} of UTF-8`,
    source: { unexported: '`DEFAULT_MAX_PROMPT_BYTES`', file: 'packages/dispatch/src/manager.ts' },
  },
  task_rounds: {
    name: 'Model rounds per task run',
    value: '30',
    source: { unexported: 'the `maxRounds` default', file: 'packages/dispatch/src/manager.ts' },
  },
  activity_feed: {
    name: 'Activity items in task_status',
    value: 'the last 20',
    source: { unexported: '`ACTIVITY_FEED_LENGTH`', file: 'packages/dispatch/src/task.ts' },
  },
  task_retention: {
    name: 'Finished tasks kept for task_status',
    value: `cancelled ${formatDuration(15_000)}, completed or failed ${formatDuration(300_000)}`,
    source: { unexported: 'the `TaskRetention` defaults', file: 'packages/dispatch/src/manager.ts' },
  },
  http_rate: {
    name: 'http_request rate',
    value: `${httpRateLimiter.limit} per ${formatDuration(httpRateLimiter.windowMs)} sliding window per (plugin, agent)`,
    source: { unexported: 'the `SlidingWindowRateLimiter` defaults', file: 'packages/net/src/rate-limit.ts' },
  },
  http_timeout: {
    name: 'http_request `timeout_ms`',
    value: `default ${formatDuration(HTTP_LIMITS.defaultTimeoutMs)}, at most ${formatDuration(HTTP_LIMITS.maxTimeoutMs)} (larger values are lowered)`,
    source: { package: 'net', constant: 'HTTP_LIMITS.defaultTimeoutMs, .maxTimeoutMs' },
  },
  http_redirects: {
    name: 'http_request redirects',
    value: String(HTTP_LIMITS.maxRedirects),
    source: { package: 'net', constant: 'HTTP_LIMITS.maxRedirects' },
  },
  http_request_body: {
    name: 'http_request request body',
    value: formatBytes(HTTP_LIMITS.maxRequestBytes),
    source: { package: 'net', constant: 'HTTP_LIMITS.maxRequestBytes' },
  },
  http_response_body: {
    name: 'http_request response body',
    value: formatBytes(HTTP_LIMITS.maxResponseBytes),
    source: { package: 'net', constant: 'HTTP_LIMITS.maxResponseBytes' },
  },
  file_read_size: {
    name: 'file_read file size',
    value: formatBytes(FILE_READ_MAX_BYTES),
    source: { package: 'net', constant: 'FILE_READ_MAX_BYTES' },
  },
  insights_body: {
    name: 'Insights request/response body',
    value: `${DEFAULT_MAX_BODY_CHARS.toLocaleString('en-US')} characters (longer bodies are cut)`,
    source: { package: 'insights', constant: 'DEFAULT_MAX_BODY_CHARS' },
  },
  insights_log_rows: {
    name: 'Insights log rows',
    value: '1,000 per plugin per second; one extra row counts what was dropped',
    source: { unexported: 'the `logsPerSecondPerPlugin` default', file: 'packages/insights/src/store.ts' },
  },
  plugin_string: {
    name: 'String returned by the plugin',
    value: `${formatBytes(DEFAULT_MAX_PLUGIN_STRING_BYTES)} (larger strings are refused, not decoded)`,
    source: { package: 'abi-struct', constant: 'DEFAULT_MAX_PLUGIN_STRING_BYTES' },
  },
  host_call_argument: {
    name: 'Host-call argument',
    value: `${formatBytes(DEFAULT_MAX_PLUGIN_STRING_BYTES)}; JSON arguments at most ${MAX_ARGUMENT_DEPTH} levels deep`,
    source: { package: 'runtime', constant: 'MAX_ARGUMENT_DEPTH' },
  },
  manifest_size: {
    name: 'Manifest',
    value: formatBytes(MAX_MANIFEST_BYTES),
    source: { package: 'manifest', constant: 'MAX_MANIFEST_BYTES' },
  },
  load_deadline: {
    name: 'Load (entry + init + get_manifest together)',
    value: formatDuration(DEFAULT_TIMEOUTS.load),
    source: { package: 'runtime', constant: 'DEFAULT_TIMEOUTS.load' },
  },
  tool_deadline: {
    name: 'Tool invoke',
    value: formatDuration(DEFAULT_TIMEOUTS.tool),
    source: { package: 'runtime', constant: 'DEFAULT_TIMEOUTS.tool' },
  },
  route_deadline: {
    name: 'handle_route',
    value: formatDuration(DEFAULT_ROUTE_TIMEOUT_MS),
    source: { package: 'routes', constant: 'DEFAULT_ROUTE_TIMEOUT_MS' },
  },
  route_body: {
    name: 'Route request body',
    value: formatBytes(DEFAULT_MAX_BODY_BYTES),
    source: { package: 'routes', constant: 'DEFAULT_MAX_BODY_BYTES' },
  },
  delivery_deadline: {
    name: 'on_config_changed / on_task_event delivery',
    value: formatDuration(DEFAULT_TIMEOUTS.delivery),
    source: { package: 'runtime', constant: 'DEFAULT_TIMEOUTS.delivery' },
  },
  destroy_deadline: {
    name: 'destroy',
    value: formatDuration(DEFAULT_TIMEOUTS.destroy),
    source: { package: 'runtime', constant: 'DEFAULT_TIMEOUTS.destroy' },
  },
} satisfies Record<string, LimitDoc>;

export type LimitId = keyof typeof LIMITS;

// ---- error codes ----

export interface ErrorCodeDoc {
  meaning: string;
  /** Extra keys the envelope carries besides `error` and `message`. */
  extraKeys?: string[];
  /** Any slot that returns a string can answer it, not only the slots that list it. */
  everyStringSlot?: true;
}

export const ERROR_CODES = {
  invalid_request: {
    meaning: 'The request is malformed: not JSON, not an object, a missing or mistyped field, or bad SQL text or parameters.',
  },
  invalid_argument: { meaning: 'The plugin id cannot name a database file (P33).' },
  forbidden: { meaning: 'The SQL guard refused the statement: ATTACH, DETACH, load_extension, VACUUM INTO or changing max_page_count.' },
  sqlite_error: { meaning: "SQLite rejected the statement; `message` is SQLite's text.", extraKeys: ['sqlite_code'] },
  database_full: { meaning: 'The write would grow the database past its size cap.', extraKeys: ['sqlite_code'] },
  database_busy: { meaning: 'Another connection held the lock for longer than the lock wait.', extraKeys: ['sqlite_code'] },
  database_unavailable: { meaning: "The plugin's database file could not be opened; a later call tries again." },
  shutting_down: { meaning: "The plugin's storage is being closed (unload or host shutdown); the statement did not run." },
  'Plugin is shutting down': {
    meaning: 'The call came while the plugin was being torn down (from its destroy, or a thread of its own after that); the statement did not run. Upstream\'s exact answer, with no `message` (P124).',
  },
  built_in_agent_not_exposable: { meaning: 'The call has no agent, or runs under the built-in Default agent, which cannot dispatch (D8).' },
  rate_limit_exceeded: {
    meaning: 'The (plugin, agent) bucket is full. Only http_request adds `retry_after_ms`.',
    extraKeys: ['retry_after_ms'],
  },
  invalid_task_id: { meaning: 'The task id is not a UUID.' },
  not_found: { meaning: 'No such task of this plugin (task_status), or no such file in the artifacts directory (file_read).' },
  not_supported: { meaning: 'The slot is reserved, or the host using the runtime did not wire it.' },
  plugin_busy: { meaning: 'The plugin already has the maximum number of inference calls running.', extraKeys: ['max_inflight'] },
  model_unavailable: { meaning: 'No configured provider serves the requested model (`"foundation"` never resolves here) (D15).' },
  inference_error: { meaning: 'The model server failed, went silent past the idle timeout, or ended its stream early.' },
  embedding_error: { meaning: 'The embedding server failed (P61).' },
  max_iterations_reached: {
    meaning: 'The tool loop used every iteration without a final answer.',
    extraKeys: ['id', 'model', 'partial_content', 'tool_calls_executed', 'usage'],
  },
  output_token_limit: {
    meaning: 'The model output hit its token limit (`max_tokens`) before the answer was complete; the stream ends with `finish_reason: "length"` (P122).',
    extraKeys: ['id', 'model', 'partial_content', 'tool_calls_executed', 'shared_artifacts', 'usage'],
  },
  empty_tool_task_completion: {
    meaning: 'Tools ran, then the model ended the task with no text; the stream ends with `finish_reason: "empty_response"` (P122).',
    extraKeys: ['id', 'model', 'partial_content', 'tool_calls_executed', 'shared_artifacts', 'usage'],
  },
  cancelled: {
    meaning: 'The stream was cancelled with complete_cancel.',
    extraKeys: ['id', 'stream_id', 'model', 'partial_content', 'tool_calls_executed', 'usage'],
  },
  request_too_large: { meaning: 'The http_request body is over the request-body cap.' },
  response_too_large: { meaning: 'The response body is over the response-body cap.', extraKeys: ['elapsed_ms'] },
  ssrf_blocked: {
    meaning:
      'The URL, a redirect target or an address the name resolves to is refused by the SSRF guard (D12). `reason` is one of loopback, private, cgn, link_local, unspecified, multicast, broadcast, unique_local, site_local, scheme, localhost_name, zone_id.',
    extraKeys: ['reason'],
  },
  dns_failure: { meaning: 'The host name could not be resolved.', extraKeys: ['elapsed_ms'] },
  connection_refused: { meaning: 'The server refused the connection.', extraKeys: ['elapsed_ms'] },
  connection_timeout: { meaning: 'The exchange did not finish within `timeout_ms`.', extraKeys: ['elapsed_ms'] },
  tls_error: { meaning: 'The TLS handshake or certificate check failed.', extraKeys: ['elapsed_ms'] },
  invalid_response: { meaning: 'The server did not speak HTTP, or sent a redirect Location that is not a URL.', extraKeys: ['elapsed_ms'] },
  too_many_redirects: { meaning: 'The redirect limit was exceeded.', extraKeys: ['elapsed_ms'] },
  network_error: { meaning: 'Any other socket failure, including a connection closed mid-body.', extraKeys: ['elapsed_ms'] },
  access_denied: { meaning: 'The path is outside the artifacts directory once symlinks are resolved; whether it exists is not revealed (D13).' },
  file_too_large: { meaning: 'The file is over the file_read size cap.' },
  read_error: { meaning: 'The file exists but cannot be read (not a regular file, or an I/O error).' },
  host_error: {
    meaning: "The host's implementation of the slot failed unexpectedly; the plugin keeps running (P14).",
    everyStringSlot: true,
  },
  argument_too_large: {
    meaning:
      'An argument is over the host-call argument limit, or a JSON argument nests deeper than it allows; `message` names the limit, and the slot did nothing (P135).',
    everyStringSlot: true,
  },
  host_timeout: {
    meaning:
      'The plugin call this host call belongs to already timed out or was cancelled, so the host no longer serves it (P10). config_get answers NULL instead.',
    everyStringSlot: true,
  },
} satisfies Record<EnvelopeCode, ErrorCodeDoc>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Codes the specification lists that this host never answers, and why. */
export const CODES_NEVER_RETURNED: Record<string, string> = {
  context_unavailable: 'every plugin has its own table, so the calling plugin is always known (D3).',
  missing_agent_context: 'calls without an agent get each slot’s own answer (NULL, a warning, or built_in_agent_not_exposable).',
  unauthorized: 'documented upstream but produced by no slot.',
  serialization_error: 'answers are built from plain objects and cannot fail to serialise.',
  context_overflow: 'the model server’s own error is passed on as inference_error.',
  clarify_requested: 'complete and complete_stream do not intercept a clarify tool; only background tasks do (P64).',
};

// ---- host slots ----

/**
 * What the reference says about a slot beyond its descriptor in @osr-host/abi
 * (signature, summary, parameter notes, NULL rules, Insights route), which is
 * enough for a page section on its own: examples, behaviour, codes, limits.
 */
export interface SlotDoc {
  /** Behaviour worth knowing, one point each. */
  details?: string[];
  requests?: JsonExample[];
  /** What the slot answers; empty for void slots. */
  responses: Array<JsonExample | TextExample>;
  /** complete_stream only: what on_chunk receives. */
  onChunkExamples?: JsonExample[];
  /** Codes in the slot's own error envelopes (host_error and host_timeout apply to every string slot). */
  errors: ErrorCode[];
  limits: LimitId[];
  /** NULL cases beyond the runtime's required-argument rule. */
  nullNotes?: string;
  /** Replaces the ownership sentence derived from the return type. */
  ownership?: string;
  /** The package and symbol that serve the slot; no package means the reference host's own wiring (apps/host). */
  implementedBy: { package?: PackageDir; symbol: string };
  decisions: DecisionId[];
}

const TASK_ID = '7A0F2C4E-3B1D-4C8E-9F00-5D2B6A1C9E77';
const AGENT_ID = '6B1F0E5C-2D4A-4F7B-9C3E-1A2B3C4D5E6F';
const STREAM_ID = 'C1D2E3F4-0A1B-4C2D-8E3F-405162738495';
const TASK_TITLE = 'Inbox summary';

const runningTask = {
  activity: [{ detail: 'search_inbox', kind: 'tool', timestamp: '2026-05-08T17:42:01Z', title: 'Tool' }],
  current_step: 'search_inbox',
  id: TASK_ID,
  status: 'running',
  title: TASK_TITLE,
};

const chatUsage = { completion_tokens: 12, prompt_tokens: 58, total_tokens: 70 };

const agentContextNote =
  'Runs under the agent of the calling frame; `agent_id` and `agent_address` in the request are ignored (one-shot warning `<plugin>|<op>|agent_override`), and a call without an agent gives a one-shot `<plugin>|<op>|no_agent_context` warning. The reference host applies no per-agent model, prompt or sampling settings: the request runs as the plugin wrote it.';

/** The guard's own answer for a cloud-metadata URL, so the example matches the code. */
function ssrfRefusalExample(): JsonValue {
  const refusal = new SsrfGuard().checkUrl('http://169.254.169.254/latest/meta-data/');
  if (refusal.ok) throw new Error('The SSRF guard no longer refuses 169.254.169.254; update the http_request example.');
  return { error: refusal.error, message: refusal.message, reason: refusal.reason ?? null };
}

/** Every slot that has more to say than its descriptor; a new slot's section starts from the descriptor alone. */
export const SLOT_DOCS: Partial<Record<HostSlotName, SlotDoc>> = {
  config_get: {
    details: [
      'Answers the value itself, not JSON.',
      'NULL when neither the agent nor the plugin-wide scope has the key, when the frame has no agent or runs under the Default agent (one-shot warning `<plugin>|config_get|no_agent_context`), and when the secret store fails (one-shot warning `<plugin>|config_get|store_failed`, P40).',
      'Values live in the OS keychain (or the encrypted-file fallback): service `osr-host:<plugin_id>`, account `<AGENT-UUID>.<plugin_id>.<key>` (P35).',
      'Recorded in Insights with the answer redacted (P15).',
    ],
    responses: [{ title: 'A stored value (plain text)', text: 'sk-live-4f9a2c' }],
    errors: [],
    limits: [],
    nullNotes: 'Also NULL from a frame that already timed out (instead of host_timeout).',
    implementedBy: { package: 'config-keychain', symbol: 'ConfigStore.configGet' },
    decisions: ['D8', 'D9', 'D14', 'D18', 'P15', 'P35', 'P40'],
  },
  config_set: {
    details: [
      'The plugin gets no on_config_changed echo of its own write; the delivery cache is updated so a later change back to the old value is still delivered (P41).',
      'Dropped with a one-shot warning when the value is over the size cap (`<plugin>|config_set|too_large|<key>`, checked first), when the key has a NUL character or is over the key cap (`invalid_key`), when the frame has no agent or runs under the Default agent (`<plugin>|config_set|no_agent_context`), when the write would take the plugin past its config quota (`over_quota`, P140), or when the secret store fails (`store_failed`).',
      'Recorded in Insights with the value redacted (P15).',
    ],
    responses: [],
    errors: [],
    limits: ['config_value', 'config_key', 'config_quota'],
    implementedBy: { package: 'config-keychain', symbol: 'ConfigStore.configSet' },
    decisions: ['D8', 'D9', 'D14', 'P15', 'P35', 'P40', 'P41', 'P140'],
  },
  config_delete: {
    details: [
      'No echo to on_config_changed (P41).',
      'Ignored with a one-shot warning when the frame has no agent or runs under the Default agent (`<plugin>|config_delete|no_agent_context`), or when the secret store fails.',
    ],
    responses: [],
    errors: [],
    limits: [],
    implementedBy: { package: 'config-keychain', symbol: 'ConfigStore.configDelete' },
    decisions: ['D8', 'D9', 'P40', 'P41'],
  },
  db_exec: {
    details: [
      "Missing or extra parameters are `invalid_request` (P32). JSON null binds NULL, booleans bind 1/0, arrays and objects bind as JSON text.",
      'The SQL guard tokenises the statement, so comments, case and whitespace cannot hide ATTACH, DETACH or load_extension (D11, P30).',
      "Each plugin's statements run in call order on one storage worker thread (P27, P28).",
      'The database is not encrypted at rest: the optional SQLCipher driver of D19 is not implemented.',
    ],
    requests: [
      { title: 'params_json, positional', json: ['Ada', 36] },
      { title: 'params_json, named', json: { ':name': 'Ada', ':age': 36 } },
    ],
    responses: [
      { title: 'Success', json: { changes: 1, last_insert_rowid: 42 } },
      {
        title: 'Refused by the SQL guard',
        json: {
          error: 'forbidden',
          message: 'Forbidden SQL statement: ATTACH would open another database file. Plugin databases allow plain SQL on their own file only.',
        },
      },
      { title: 'SQLite error', json: { error: 'sqlite_error', message: 'no such table: people', sqlite_code: 'SQLITE_ERROR' } },
    ],
    errors: [
      'invalid_request',
      'forbidden',
      'sqlite_error',
      'database_full',
      'database_busy',
      'database_unavailable',
      'shutting_down',
      'Plugin is shutting down',
      'invalid_argument',
    ],
    limits: ['db_size', 'db_busy_timeout', 'host_call_argument'],
    nullNotes: '`params_json` may be NULL (no parameters).',
    implementedBy: { package: 'storage', symbol: 'PluginStorage.exec' },
    decisions: ['D10', 'D11', 'D19', 'P27', 'P28', 'P29', 'P30', 'P31', 'P32', 'P33'],
  },
  db_query: {
    details: [
      'Cells: NULL → `null`; INTEGER → a JSON number with the exact 64-bit digits (may exceed 2^53); REAL → number (NaN and infinities → `null`); TEXT → string; BLOB → base64 string.',
      'Guard, parameter rules and error codes are those of db_exec.',
    ],
    requests: [{ title: 'params_json', json: { name: 'Ada' } }],
    responses: [
      { title: 'Success', json: { columns: ['id', 'name', 'avatar'], rows: [[1, 'Ada', null]] } },
      {
        title: 'A parameter is missing',
        json: { error: 'invalid_request', message: 'Missing named parameter "name"' },
      },
    ],
    errors: [
      'invalid_request',
      'forbidden',
      'sqlite_error',
      'database_full',
      'database_busy',
      'database_unavailable',
      'shutting_down',
      'Plugin is shutting down',
      'invalid_argument',
    ],
    limits: ['db_size', 'db_busy_timeout'],
    nullNotes: '`params_json` may be NULL (no parameters).',
    implementedBy: { package: 'storage', symbol: 'PluginStorage.query' },
    decisions: ['D10', 'D11', 'P29', 'P30', 'P31', 'P32'],
  },
  log: {
    responses: [],
    errors: [],
    limits: ['insights_body', 'insights_log_rows'],
    implementedBy: { symbol: 'buildHostApi' },
    decisions: ['D14', 'P78'],
  },
  dispatch: {
    details: [
      'Checked in this order: a JSON object with a string `prompt`; a prompt that is not blank; the prompt size; the agent (none, or the Default agent → `built_in_agent_not_exposable`, D8); the rate limit. Past the running-task limits the task is not refused: it waits in a FIFO queue (still answered `status: "running"`) and STARTED goes out when it gets a slot (P119).',
      "`id` (optional UUID) becomes the task id when it is free, else a fresh upper-case UUID is minted (D17, P65). The task id is also the session id.",
      '`title` defaults to the prompt\'s first line (80 characters at most). `session_id` is the plugin\'s own key: a later dispatch with the same key continues the same chat session, unless a task of this plugin is still active on it.',
      '`tools` pins tool names on top of the agent\'s selection. Names outside the allowed set (the plugin\'s own manifest tools and `clarify`) are dropped with a one-shot warning `<plugin>|dispatch|tool_scope|<name>`; a non-array is ignored.',
      'Events for the task wait until `dispatch` has returned to the plugin (P66). The task may ask a question through `clarify` (CLARIFICATION event; `osr-host tasks answer` replies), P64.',
      'Task rounds run under their own inference context, so they neither count against the plugin\'s own inference cap nor can be stopped by its complete_cancel (P63).',
      '`folder_bookmark` and `mode` are accepted and ignored.',
    ],
    requests: [
      {
        title: 'request_json',
        json: {
          prompt: 'Summarise my unread messages from today.',
          title: TASK_TITLE,
          session_id: 'inbox-daily',
          tools: ['search_inbox'],
        },
      },
    ],
    responses: [
      { title: 'Started', json: { id: TASK_ID, status: 'running' } },
      { title: 'Missing prompt', json: { error: 'invalid_request', message: 'Missing required field: prompt' } },
      {
        title: 'No agent, or the Default agent',
        json: {
          error: 'built_in_agent_not_exposable',
          message: `Built-in agent ${DEFAULT_AGENT_ID} is not reachable from plugin/planDispatch. Built-in agents (including the Default agent) are only available inside the Osaurus app.`,
        },
      },
      { title: 'Rate limited (no retry_after_ms)', json: { error: 'rate_limit_exceeded', message: 'Dispatch rate limit (10/min) exceeded' } },
    ],
    errors: ['invalid_request', 'built_in_agent_not_exposable', 'rate_limit_exceeded'],
    limits: ['dispatch_prompt', 'dispatch_rate', 'active_tasks', 'task_rounds', 'max_iterations'],
    implementedBy: { package: 'dispatch', symbol: 'TaskManager.dispatch' },
    decisions: ['D8', 'D17', 'P63', 'P64', 'P65', 'P66', 'P69', 'P119'],
  },
  task_status: {
    details: [
      'A running task, or one awaiting a clarification, reports `status: "running"` with `current_step` and `activity` when there are some.',
      'A task waiting for a running slot (see limits; a task awaiting a clarification gives its slot up) reports `status: "queued"` with `current_step: "Queued"`.',
      'Completed and failed tasks add `success`, `summary` and `session_id`; cancelled ones report only `status: "cancelled"`. `draft` (the last send_draft, when it is a JSON object) and `output` (the last assistant text) appear in every state.',
      'Tasks are records of this host process; once finalized (see limits) the answer is `not_found`.',
    ],
    responses: [
      { title: 'Running', json: runningTask },
      { title: 'Queued', json: { current_step: 'Queued', id: TASK_ID, status: 'queued', title: TASK_TITLE } },
      {
        title: 'Completed',
        json: {
          id: TASK_ID,
          output: 'You have 3 unread messages; one needs a reply today.',
          session_id: TASK_ID,
          status: 'completed',
          success: true,
          summary: 'Chat completed',
          title: TASK_TITLE,
        },
      },
      { title: 'Not a UUID', json: { error: 'invalid_task_id', message: 'Invalid UUID format' } },
      { title: 'Unknown, or another plugin\'s task', json: { error: 'not_found', message: 'Task not found' } },
    ],
    errors: ['invalid_task_id', 'not_found'],
    limits: ['activity_feed', 'task_retention'],
    implementedBy: { package: 'dispatch', symbol: 'TaskManager.taskStatus' },
    decisions: ['D17', 'P68'],
  },
  dispatch_cancel: {
    details: [
      'A task id that is not a UUID gives a one-shot warning `<plugin>|dispatch_cancel|invalid`; another plugin\'s or an unknown task gives `<plugin>|dispatch_cancel|unowned`. A task that is no longer active is left alone.',
    ],
    responses: [],
    errors: [],
    limits: ['task_retention'],
    implementedBy: { package: 'dispatch', symbol: 'TaskManager.dispatchCancel' },
    decisions: ['P68'],
  },
  dispatch_clarify: {
    responses: [],
    errors: [],
    limits: [],
    implementedBy: { symbol: 'buildHostApi' },
    decisions: ['P64'],
  },
  complete: {
    details: [
      '`messages` (objects with a string `role`) is required; `model` is optional. An absent, `""` or `"default"` model selects the configured `defaultModel`, else the first provider\'s first model; `"local"` selects the provider named by `localProvider`; `"foundation"` is `model_unavailable` (D15, P62).',
      'Forwarded to the server: `temperature`, `max_tokens`, `max_completion_tokens`, `top_p`, `top_k`, `frequency_penalty`, `presence_penalty`, `stop`, `seed`, `response_format`, `tool_choice`, `enable_thinking`, `reasoning_effort`. Other keys are dropped (P57).',
      'Host extensions: `tools` — an array of tool definitions, or `true` for the plugin\'s own manifest tools; `max_iterations`.',
      'The host runs a turn\'s tool calls only when every call names one of the plugin\'s own tools; otherwise the answer comes back with `finish_reason: "tool_calls"` and the calls, for the plugin to run (P59).',
      'The plugin\'s manifest `instructions` are appended to the system message.',
      agentContextNote,
      'Answers keep OpenAI\'s key order (they are not key-sorted).',
    ],
    requests: [
      {
        title: 'request_json',
        json: {
          model: '',
          messages: [
            { role: 'system', content: 'You sort e-mail.' },
            { role: 'user', content: 'Is "You won a prize!" spam? Answer yes or no.' },
          ],
          temperature: 0.2,
          max_tokens: 50,
        },
      },
      {
        title: 'request_json with the plugin\'s own tools',
        json: { model: 'default', messages: [{ role: 'user', content: 'How many unread messages do I have?' }], tools: true, max_iterations: 5 },
      },
    ],
    responses: [
      {
        title: 'Success',
        json: {
          id: 'chatcmpl-5f1d2e',
          object: 'chat.completion',
          created: 1767225600,
          model: 'qwen2.5-7b-instruct',
          choices: [{ index: 0, message: { role: 'assistant', content: 'You have 3 unread messages.' }, finish_reason: 'stop' }],
          usage: chatUsage,
          tool_calls_executed: [{ name: 'search_inbox', tool_call_id: 'call_1' }],
        },
      },
      {
        title: 'Tools ran, then no final text',
        json: {
          error: 'empty_tool_task_completion',
          message: 'The model ended the task after 1 tool call(s) without a final answer; ask again or try another model.',
          model: 'qwen2.5-7b-instruct',
          partial_content: '',
          tool_calls_executed: [{ name: 'search_inbox', tool_call_id: 'call_1' }],
          shared_artifacts: [],
          usage: chatUsage,
        },
      },
      {
        title: 'Iterations used up',
        json: {
          error: 'max_iterations_reached',
          message: 'Reached max iterations (5) without a final response',
          model: 'qwen2.5-7b-instruct',
          partial_content: '',
          tool_calls_executed: [{ name: 'search_inbox', tool_call_id: 'call_1' }],
          usage: chatUsage,
        },
      },
      {
        title: 'Cap reached',
        json: {
          error: 'plugin_busy',
          message: `Plugin already has ${MAX_INFLIGHT_PER_PLUGIN} concurrent complete calls in flight. Retry after a previous call returns.`,
          max_inflight: MAX_INFLIGHT_PER_PLUGIN,
        },
      },
    ],
    errors: ['invalid_request', 'model_unavailable', 'inference_error', 'plugin_busy', 'max_iterations_reached', 'output_token_limit', 'empty_tool_task_completion'],
    limits: ['inference_in_flight', 'max_iterations', 'inference_idle_timeout', 'inference_tool_timeout'],
    implementedBy: { package: 'inference-stream', symbol: 'InferenceHost.complete' },
    decisions: ['D15', 'P56', 'P57', 'P58', 'P59', 'P60', 'P61', 'P62', 'P122'],
  },
  complete_stream: {
    details: [
      'Chunks are `{"id":"cmpl-<12 hex>","choices":[{"index":0,"delta":{…},"finish_reason"?}]}`. Deltas: `content`, `reasoning_content`, a tool-call announcement (with `finish_reason: "tool_calls"`), a tool result (`role: "tool"`), `usage`, and the terminator `{}` whose `finish_reason` is `stop`, `length`, `empty_response`, `tool_calls`, `max_iterations` or `cancelled`. `length` and `empty_response` answer the `output_token_limit` and `empty_tool_task_completion` errors instead of the aggregate (P122).',
      'The usage chunk always comes before the terminator, also on cancel and on `max_iterations` (P60).',
      'Time spent inside `on_chunk` does not count against the idle timeout (P58). `on_chunk` may call complete_cancel.',
      'A NULL `on_chunk` discards the chunks, with a one-shot warning `<plugin>|complete_stream|null_chunk`; the aggregate still comes back.',
      agentContextNote,
    ],
    requests: [
      {
        title: 'request_json',
        json: { model: '', messages: [{ role: 'user', content: 'Write a haiku about SQLite.' }], stream_id: STREAM_ID },
      },
    ],
    onChunkExamples: [
      { title: 'Text', json: { id: 'cmpl-3fa94c1b2d7e', choices: [{ index: 0, delta: { content: 'Rows ' } }] } },
      { title: 'Reasoning', json: { id: 'cmpl-3fa94c1b2d7e', choices: [{ index: 0, delta: { reasoning_content: 'A haiku has three lines.' } }] } },
      {
        title: 'Tool-call announcement',
        json: {
          id: 'cmpl-3fa94c1b2d7e',
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'search_inbox', arguments: '{"unread":true}' } }] },
              finish_reason: 'tool_calls',
            },
          ],
        },
      },
      {
        title: 'Tool result',
        json: {
          id: 'cmpl-3fa94c1b2d7e',
          choices: [{ index: 0, delta: { role: 'tool', tool_call_id: 'call_1', content: '{"ok":true,"result":{"count":3}}' } }],
        },
      },
      {
        title: 'Usage',
        json: {
          id: 'cmpl-3fa94c1b2d7e',
          choices: [{ index: 0, delta: { usage: { completion_tokens: 17, tokens_per_second: 41.5, unclosed_reasoning: false } } }],
        },
      },
      { title: 'Terminator', json: { id: 'cmpl-3fa94c1b2d7e', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] } },
    ],
    responses: [
      {
        title: 'Aggregate',
        json: {
          id: 'cmpl-3fa94c1b2d7e',
          model: 'qwen2.5-7b-instruct',
          choices: [{ index: 0, message: { role: 'assistant', content: 'Rows wait in the page…' }, finish_reason: 'stop' }],
          usage: { completion_tokens: 17, prompt_tokens: 14, total_tokens: 31 },
        },
      },
      {
        title: 'Cancelled with complete_cancel',
        json: {
          error: 'cancelled',
          message: 'Streaming completion cancelled by plugin via complete_cancel.',
          stream_id: STREAM_ID,
          id: 'cmpl-3fa94c1b2d7e',
          model: 'qwen2.5-7b-instruct',
          partial_content: 'Rows wait',
          tool_calls_executed: [],
          usage: { completion_tokens: 2, prompt_tokens: 14, total_tokens: 16 },
        },
      },
    ],
    errors: [
      'invalid_request',
      'model_unavailable',
      'inference_error',
      'plugin_busy',
      'max_iterations_reached',
      'output_token_limit',
      'empty_tool_task_completion',
      'cancelled',
    ],
    limits: ['inference_in_flight', 'max_iterations', 'inference_idle_timeout', 'inference_tool_timeout'],
    nullNotes: '`on_chunk` may be NULL (chunks are discarded); `user_data` may be anything.',
    implementedBy: { package: 'inference-stream', symbol: 'InferenceHost.completeStream' },
    decisions: ['D15', 'P56', 'P57', 'P58', 'P59', 'P60', 'P61', 'P62', 'P122'],
  },
  complete_cancel: {
    details: [
      'A blank id is ignored, and so is an id no running stream of this plugin uses (nothing is remembered for a later stream).',
      'Scoped to the calling plugin: another plugin\'s streams with the same id are untouched. Background tasks\' streams are out of reach (P63).',
      'Returns at once; safe to call from `on_chunk`.',
    ],
    responses: [],
    errors: [],
    limits: [],
    implementedBy: { package: 'inference-stream', symbol: 'InferenceHost.completeCancel' },
    decisions: ['P58', 'P60', 'P63'],
  },
  embed: {
    details: [
      'An absent, `""` or `"default"` model selects the configured default embedding model, else the first one a provider lists. A named model is one a provider lists in `embeddingModels`, or one its server lists in `GET /models` (P118).',
      'Token counts are the server\'s, or an estimate (characters / 4) when it reports none.',
      agentContextNote,
    ],
    requests: [{ title: 'request_json', json: { model: 'nomic-embed-text', input: ['first text', 'second text'] } }],
    responses: [
      {
        title: 'Success',
        json: {
          model: 'nomic-embed-text',
          data: [
            { index: 0, embedding: [0.0123, -0.0456, 0.0789], dimensions: 3 },
            { index: 1, embedding: [0.0311, 0.0042, -0.0518], dimensions: 3 },
          ],
          usage: { prompt_tokens: 6, total_tokens: 6 },
        },
      },
      { title: 'Bad input', json: { error: 'invalid_request', message: "Missing or invalid 'input' field" } },
    ],
    errors: ['invalid_request', 'model_unavailable', 'embedding_error', 'plugin_busy'],
    limits: ['inference_in_flight', 'inference_idle_timeout'],
    implementedBy: { package: 'inference-stream', symbol: 'InferenceHost.embed' },
    decisions: ['D15', 'P61', 'P125'],
  },
  list_models: {
    details: [
      'A provider that cannot be reached contributes only its configured lists; the call itself never fails (P61).',
      'Entries carry no `dimensions` and no `context_window`.',
      'The operator may hide models: `exposedModels` in `<home>/config/host.json` lists the ids plugins see (P125).',
    ],
    responses: [
      {
        title: 'Success',
        json: {
          models: [
            { id: 'qwen2.5-7b-instruct', name: 'qwen2.5-7b-instruct', provider: 'local', type: 'chat', capabilities: ['chat', 'tool_calling'] },
            { id: 'nomic-embed-text', name: 'nomic-embed-text', provider: 'local', type: 'embedding', capabilities: ['embedding'] },
          ],
        },
      },
    ],
    errors: [],
    limits: [],
    implementedBy: { package: 'inference-stream', symbol: 'InferenceHost.listModels' },
    decisions: ['D15', 'P61'],
  },
  http_request: {
    details: [
      'Checked in this order: the request itself (including `request_too_large`), the SSRF guard on the URL, the rate limit (P44); then each hop\'s name is resolved and every address checked before connecting, and the connection is pinned to the checked address (D12, P47).',
      '`method` (any HTTP token except CONNECT; upper-cased) and `url` (http or https) are required. `headers` values must be strings and `body` with `body_encoding: "base64"` must be valid base64, else `invalid_request` (P43). Transport headers (Host, Content-Length, Transfer-Encoding, Connection, …) are set by the host.',
      '`timeout_ms` is one deadline for the whole exchange, redirects included (P47). `follow_redirects` defaults to true.',
      'Redirects are followed by the host; every target is checked. 301/302/303 turn a non-GET/HEAD request into a GET without body; a hop to another origin drops Authorization, Proxy-Authorization and Cookie.',
      'The User-Agent gets `osr-host/<version> Plugin/<plugin_id>` appended (or set to it). Credentials in the URL become a Basic Authorization header. No outbound proxy is used (P47).',
      'Refused targets: loopback, private, CGN, link-local, unique-local, site-local, multicast, broadcast and unspecified addresses in every textual form, IPv4 embedded in IPv6, `localhost` names and `*.localhost` (D12, P45). Exceptions: `osr-host --allow-net HOST:PORT` entries and, under `osr-host serve`, the host\'s own plugin-route server (P46).',
      'Response header names are lower-cased; repeated headers are joined with `, `. The body is base64 only when it is not valid UTF-8. HEAD answers an empty body.',
      'Insights records the request and response with credential headers redacted (P49). Calls without an agent, or under the Default agent, share one rate bucket per plugin.',
    ],
    requests: [
      {
        title: 'request_json',
        json: {
          method: 'POST',
          url: 'https://api.example.com/v1/items',
          headers: { Authorization: 'Bearer <token>', 'Content-Type': 'application/json' },
          body: '{"name":"Ada"}',
          body_encoding: 'utf8',
          timeout_ms: 10_000,
          follow_redirects: true,
        },
      },
    ],
    responses: [
      {
        title: 'Success',
        json: { body: '{"id":7}', body_encoding: 'utf8', elapsed_ms: 184, headers: { 'content-type': 'application/json' }, status: 201 },
      },
      {
        title: 'Blocked target',
        json: ssrfRefusalExample(),
      },
      {
        title: 'Rate limited',
        json: {
          error: 'rate_limit_exceeded',
          message: `http_request rate limit (${httpRateLimiter.limit}/${httpRateLimiter.windowMs / 1000}s) exceeded for this plugin and agent.`,
          retry_after_ms: httpRateLimiter.windowMs,
        },
      },
      {
        title: 'Network failure',
        json: { elapsed_ms: 3, error: 'connection_refused', message: 'Connection refused (connect ECONNREFUSED 203.0.113.7:443).' },
      },
    ],
    errors: [
      'invalid_request',
      'request_too_large',
      'ssrf_blocked',
      'rate_limit_exceeded',
      'dns_failure',
      'connection_refused',
      'connection_timeout',
      'tls_error',
      'invalid_response',
      'too_many_redirects',
      'response_too_large',
      'network_error',
    ],
    limits: ['http_rate', 'http_timeout', 'http_redirects', 'http_request_body', 'http_response_body', 'host_call_argument'],
    implementedBy: { package: 'net', symbol: 'createNet().httpRequest' },
    decisions: ['D8', 'D12', 'P43', 'P44', 'P45', 'P46', 'P47', 'P49'],
  },
  file_read: {
    details: [
      'The path must be absolute and free of NUL. `..` is collapsed and symlinks are resolved before the artifacts check (D13); outside the directory the answer is `access_denied` whether or not the file exists (P48).',
      'The file is opened without following a symlink swapped in after the check, and the opened inode is compared with the checked one (P48).',
      '`mime_type` comes from the extension; unknown extensions are `application/octet-stream`.',
    ],
    requests: [{ title: 'request_json', json: { path: '/home/ada/.osaurus/artifacts/report.pdf' } }],
    responses: [
      { title: 'Success', json: { data: 'JVBERi0xLjcK', mime_type: 'application/pdf', size: 9 } },
      { title: 'Outside the artifacts directory', json: { error: 'access_denied', message: 'File read restricted to artifact paths' } },
      { title: 'Missing file', json: { error: 'not_found', message: 'File does not exist' } },
    ],
    errors: ['invalid_request', 'access_denied', 'not_found', 'file_too_large', 'read_error'],
    limits: ['file_read_size'],
    implementedBy: { package: 'net', symbol: 'createNet().fileRead' },
    decisions: ['D13', 'P48'],
  },
  list_active_tasks: {
    responses: [{ title: 'Success', json: { tasks: [runningTask] } }],
    errors: [],
    limits: ['activity_feed'],
    implementedBy: { package: 'dispatch', symbol: 'TaskManager.listActiveTasks' },
    decisions: ['P68'],
  },
  send_draft: {
    details: [
      'An invalid id gives a one-shot warning `<plugin>|send_draft|invalid`; an unknown, foreign or finished task gives `<plugin>|send_draft|unowned`.',
    ],
    requests: [{ title: 'draft_json', json: { text: 'Draft reply: thanks, see you at 3.', parse_mode: 'markdown' } }],
    responses: [],
    errors: [],
    limits: [],
    implementedBy: { package: 'dispatch', symbol: 'TaskManager.sendDraft' },
    decisions: [],
  },
  dispatch_interrupt: {
    details: [
      'It does not start a new round itself (P67). A task that is no longer active is left alone; invalid and foreign ids give one-shot warnings as for dispatch_cancel.',
    ],
    responses: [],
    errors: [],
    limits: [],
    nullNotes: '`message` may be NULL.',
    implementedBy: { package: 'dispatch', symbol: 'TaskManager.dispatchInterrupt' },
    decisions: ['P67'],
  },
  dispatch_add_issue: {
    responses: [
      {
        title: 'Always',
        json: { error: 'not_supported', message: 'dispatch_add_issue is no longer supported. Call dispatch() to start a fresh task.' },
      },
    ],
    errors: ['not_supported'],
    limits: [],
    implementedBy: { symbol: 'buildHostApi' },
    decisions: [],
  },
  get_active_agent_id: {
    details: [
      'Frames with an agent: invoke, handle_route, on_config_changed (the ABI probe included) and on_task_event. Frames without: the entry, init, get_manifest and destroy, and any thread the plugin started itself (D3).',
    ],
    responses: [{ title: 'Inside an agent frame (plain text)', text: AGENT_ID }],
    errors: [],
    limits: [],
    implementedBy: { symbol: 'buildHostApi' },
    decisions: ['D3', 'D8', 'D14', 'D17'],
  },
  log_structured: {
    requests: [{ title: 'payload', json: { event: 'sync_finished', items: 42 } }],
    responses: [],
    errors: [],
    limits: ['insights_body', 'insights_log_rows'],
    nullNotes: '`payload` may be NULL.',
    implementedBy: { symbol: 'buildHostApi' },
    decisions: ['D14', 'P78'],
  },
  free_string: {
    details: [
      'NULL is a no-op. Safe from any thread, including threads the plugin started. Not recorded in Insights.',
      'Hosts at ABI level 5 or lower leave the slot NULL (D1); check `host->version >= 6` before calling it, and use `free()` otherwise.',
      'Never pass it a string the plugin allocated itself, and never release a host string with the plugin\'s own free_string.',
    ],
    responses: [],
    errors: [],
    limits: [],
    ownership: 'Takes ownership of `s` and frees it; the pointer is invalid afterwards.',
    implementedBy: { package: 'abi-struct', symbol: 'osrb_free_string' },
    decisions: ['D1', 'D4'],
  },
};

// ---- plugin table ----

export interface FieldDoc {
  /** When the host calls the function (or reads the field), and in which frame. */
  when: string;
  details?: string[];
  examples?: JsonExample[];
  limits: LimitId[];
  decisions: DecisionId[];
}

export const FIELD_DOCS: Record<PluginFieldName, FieldDoc> = {
  free_string: {
    when: 'Right after get_manifest, invoke or handle_route returns a non-NULL string, on the same thread: the host copies the string, then calls free_string on it exactly once.',
    details: ['It must release memory the plugin allocated; the host never frees a plugin string any other way (D4).'],
    limits: [],
    decisions: ['D4'],
  },
  init: {
    when: 'Once, after the entry function returned the table, in an `init` frame with no agent. Host calls made from init reach the plugin\'s own services; config calls have no agent.',
    details: ['A NULL context fails the load with "Plugin initialization failed".'],
    limits: ['load_deadline'],
    decisions: ['D2', 'D3'],
  },
  destroy: {
    when: 'Exactly once, when the plugin is unloaded (host shutdown, reload, removal) or when a load fails after init. New calls are refused first ("Plugin has been shut down"); calls in flight finish or time out before destroy runs, in a `destroy` frame with no agent.',
    details: ['The library is never unloaded afterwards (P8): a plugin thread or a stored host-table pointer may outlive the plugin. Host calls through the old table then answer NULL.'],
    limits: ['destroy_deadline'],
    decisions: ['P8'],
  },
  get_manifest: {
    when: 'Once, right after init, in a `manifest` frame with no agent. The answer is validated by @osr-host/manifest before the plugin is registered.',
    details: ['NULL, or a string over the size cap, fails the load with "Plugin failed to return manifest".'],
    limits: ['load_deadline', 'manifest_size', 'plugin_string'],
    decisions: ['D6', 'P25'],
  },
  invoke: {
    when: 'For every tool call — `osr-host invoke`, MCP clients, the inference tool loop and background tasks — as `invoke(ctx, "tool", <tool id>, <arguments JSON>)`, in an `invoke` frame under the caller\'s agent. Calls run concurrently on bridge threads.',
    details: [
      'The answer is a tool-result envelope (see [Tool-result envelope](#tool-result-envelope)); NULL, a string over the cap, a timeout or a shut-down plugin become envelopes made by the host.',
      'Types, ids and payloads containing NUL or unpaired surrogates are refused before reaching C (P12).',
      'The host adds nothing to the payload (no `_secrets`, no `_context`) and sends no `"artifact"` invokes, even to plugins that declare `artifact_handler`.',
    ],
    examples: [{ title: 'payload of a tool call', json: { unread: true, limit: 10 } }],
    limits: ['tool_deadline', 'plugin_string'],
    decisions: ['D20', 'P10', 'P12', 'P13', 'P17'],
  },
  version: {
    when: 'Read once, right after `osaurus_plugin_entry_v2` returns. The effective plugin ABI is `max(version, 2)`; a table from the v1 entry is read as exactly five pointers and counts as ABI 1 (D2).',
    details: ['The optional functions below are used only at ABI 2 or higher, and only when non-NULL.'],
    limits: [],
    decisions: ['D2'],
  },
  handle_route: {
    when: 'For each HTTP request to one of the plugin\'s manifest routes under `/plugins/<plugin_id>/…` (`osr-host serve`), in a `route` frame under the request\'s agent (`X-Osaurus-Agent-Id` header or `osr_agent` query). A plugin without it answers 501.',
    details: [
      `The answer must be \`{"status": 200–599, "headers"?: {…}, "body"?: "…", "body_encoding"?: "utf8" | "base64"}\`; anything else is a 500 "Invalid plugin response" (P75). A timeout is a 500 "Plugin error: Plugin route handler timed out after ${DEFAULT_ROUTE_TIMEOUT_MS / 1000}s" (D16, P72).`,
    ],
    examples: [
      {
        title: 'request_json',
        json: {
          body: '',
          body_encoding: 'utf8',
          headers: { accept: 'application/json', 'x-osaurus-agent-id': AGENT_ID },
          method: 'GET',
          osaurus: { agent_address: '', base_url: 'http://127.0.0.1:1337', plugin_url: 'http://127.0.0.1:1337/plugins/com.example.inbox' },
          path: '/status',
          path_params: {},
          plugin_id: 'com.example.inbox',
          query: {},
          remote_addr: '127.0.0.1',
          route_id: 'status',
        },
      },
      { title: 'Answer', json: { status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"unread":3}' } },
    ],
    limits: ['route_deadline', 'route_body', 'plugin_string'],
    decisions: ['D16', 'P71', 'P72', 'P75'],
  },
  on_config_changed: {
    when: 'In a `config` frame under the agent whose value changed, one call per key, never concurrently with itself: the ABI probe after load, the full config push after load, and every host-side change (`osr-host config set|delete`).',
    details: [
      'The ABI probe is one call with the key `__osaurus_abi_probe__` and a fresh upper-case UUID as value, under the host\'s first ordinary agent, inside the crash-loop guard (D5). Plugins may ignore it.',
      'Deliveries are deduplicated per (agent, key) against the last delivered value; a deletion is delivered as `""`. The plugin\'s own config_set is not echoed (P41).',
    ],
    limits: ['delivery_deadline'],
    decisions: ['D5', 'D9', 'P41'],
  },
  on_task_event: {
    when: 'For the plugin\'s own background tasks, in order per task, in a `task_event` frame under the task\'s agent. `event_type` is one of the [task events](#task-events); `event_json` is valid only during the call.',
    details: ['A task\'s events are held until the dispatch that started it has returned (P66). A failing delivery gives a one-shot warning; later events still go out.'],
    limits: ['delivery_deadline'],
    decisions: ['P66', 'P68'],
  },
};

// ---- task events ----

export interface TaskEventDoc {
  when: string;
  payload: JsonValue;
}

export const TASK_EVENT_DOCS: Record<keyof typeof TASK_EVENT, TaskEventDoc> = {
  STARTED: { when: 'When dispatch starts the task (delivered after dispatch returned).', payload: { status: 'running', title: TASK_TITLE } },
  ACTIVITY: {
    when: 'Once per tool call the agent makes (clarify excluded).',
    payload: { detail: 'search_inbox', kind: 'tool', timestamp: '2026-05-08T17:42:01Z', title: 'Tool' },
  },
  PROGRESS: {
    when: 'Each time a tool call of the current batch returns; `progress` is the finished fraction of the batch.',
    payload: { current_step: 'search_inbox', progress: 0.5, title: TASK_TITLE },
  },
  CLARIFICATION: {
    when: 'When the agent calls `clarify`; the task waits for `osr-host tasks answer`. `options` is left out for free-form questions.',
    payload: { allow_multiple: false, options: ['Today', 'This week'], question: 'Which period should I summarise?' },
  },
  COMPLETED: {
    when: 'When the agent gives a final answer, or after dispatch_interrupt.',
    payload: {
      output: 'You have 3 unread messages; one needs a reply today.',
      session_id: TASK_ID,
      success: true,
      summary: 'Chat completed',
      title: TASK_TITLE,
    },
  },
  FAILED: {
    when: 'When a round fails (model error, rounds used up); `summary` is the error text.',
    payload: { session_id: TASK_ID, success: false, summary: 'Reached max iterations (30) without a final response', title: TASK_TITLE },
  },
  CANCELLED: { when: 'On dispatch_cancel, `osr-host tasks cancel`, host shutdown, or when a still-active task is finalized.', payload: { title: TASK_TITLE } },
  OUTPUT: { when: 'For each finished assistant text.', payload: { text: 'Found 3 unread messages.', title: TASK_TITLE } },
  DRAFT: {
    when: 'On send_draft; `draft` is present when the draft is a JSON object.',
    payload: { draft: { parse_mode: 'markdown', text: 'Draft reply: thanks, see you at 3.' }, title: TASK_TITLE },
  },
};
