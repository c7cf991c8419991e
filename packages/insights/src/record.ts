import { REDACTED, redactHttpJson, redactUrl } from '@osr-host/net';
import {
  MAX_PATH_CHARS,
  MAX_REDACTED_JSON_CHARS,
  parsedBody,
  searchablePayload,
  storedBody,
  tooLongToRedactMarker,
  truncateText,
  unstoredMarker,
} from './bodies.js';
import type { NewActivityRow } from './schema.js';

/**
 * One host call as the runtime's `hostCall` event reports it (structurally
 * the runtime's HostCallRecord, so another host can feed rows too).
 */
export interface HostCallInput {
  pluginId: string;
  agentId: string | null;
  frame: string | null;
  /** The host-table slot name, e.g. `dispatch`, `log_structured`. */
  slot: string;
  /** The INSIGHTS.md §1 status, already mapped. */
  status: number;
  startedAt: Date;
  durationMs: number;
  /** The slot's C string arguments (null for NULL); secret ones already redacted. */
  args: readonly (string | null)[];
  /** The level for log slots, else 0. */
  intArg: number;
  response: string | null;
  requestBytes: number;
  responseBytes: number;
}

/** Log levels 0–4 (HOST_API.md §4); any other value is LOG. */
export const LOG_LEVEL_NAMES = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number] | 'LOG';

export function logLevelName(level: number): LogLevelName {
  return LOG_LEVEL_NAMES[level] ?? 'LOG';
}

/** Upstream's Insights status for a log level: WARN 299, ERROR 500, everything else 200. */
export function logLevelStatus(level: number): number {
  return level === 3 ? 299 : level === 4 ? 500 : 200;
}

/** The exact response upstream records for the reserved dispatch_clarify slot (HOST_API.md §6). */
export const CLARIFY_NOT_SUPPORTED = JSON.stringify({
  error: 'not_supported',
  message: 'dispatch_clarify is reserved. Clarification is handled inline via the clarify agent intercept.',
});

interface Mapped {
  method: string;
  path: string;
  request: string | null;
  /** The stored request body as it is, when it is known to be a marker before `request` is built. */
  storedRequest?: string;
  response: string | null;
  /** Overrides the measured duration (upstream records 0 for log and complete_cancel rows). */
  durationMs?: number;
  model?: string | null;
}

function jsonField(json: string | null, field: string): unknown {
  const parsed = parsedBody(json);
  return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[field] : undefined;
}

/** http_request JSON with its headers and URL redacted; JSON too long to parse is left to storedBody's marker. */
function redactedHttpBody(json: string | null): string | null {
  return json === null || json.length > MAX_REDACTED_JSON_CHARS ? json : redactHttpJson(json);
}

function stringField(json: string | null, field: string): string | undefined {
  const value = jsonField(json, field);
  return typeof value === 'string' ? value : undefined;
}

function segment(value: string | null | undefined): string {
  return value === null || value === undefined ? '(null)' : encodeURIComponent(value);
}

/**
 * Method, path and bodies per slot: INSIGHTS.md §1 for the slots upstream
 * logs; for config, db and get_active_agent_id (D14) REST-like paths under
 * `/host-api/config/<key>`, `/host-api/db/{exec,query}` and `/host-api/agent`.
 */
function mapSlot(input: HostCallInput): Mapped {
  const [first = null, second = null] = input.args;
  const response = input.response;
  switch (input.slot) {
    case 'dispatch':
      return { method: 'POST', path: '/host-api/dispatch', request: first, response };
    case 'task_status':
      return { method: 'GET', path: `/host-api/tasks/${segment(first)}`, request: null, response };
    case 'dispatch_cancel':
      return { method: 'DELETE', path: `/host-api/tasks/${segment(first)}`, request: null, response: null };
    case 'dispatch_clarify':
      return { method: 'POST', path: `/host-api/tasks/${segment(first)}/clarify`, request: second, response: CLARIFY_NOT_SUPPORTED };
    case 'list_active_tasks':
      return { method: 'GET', path: '/host-api/tasks', request: null, response };
    case 'send_draft':
      return { method: 'POST', path: `/host-api/tasks/${segment(first)}/draft`, request: second, response: null };
    case 'dispatch_interrupt':
      return { method: 'POST', path: `/host-api/tasks/${segment(first)}/interrupt`, request: second, response: null };
    case 'dispatch_add_issue':
      return { method: 'POST', path: `/host-api/tasks/${segment(first)}/issues`, request: null, response };
    case 'complete_cancel':
      return { method: 'DELETE', path: `/host-api/streams/${segment(first)}`, request: null, response: null, durationMs: 0 };
    case 'complete':
    case 'complete_stream':
      return { method: 'POST', path: '/host-api/chat/completions', request: first, response, model: stringField(first, 'model') ?? null };
    case 'embed':
      return { method: 'POST', path: '/host-api/embeddings', request: first, response };
    case 'list_models':
      return { method: 'GET', path: '/host-api/models', request: null, response };
    case 'http_request': {
      const method = stringField(first, 'method')?.toUpperCase() || 'GET';
      const url = stringField(first, 'url') ?? '';
      return {
        method,
        path: `/host-api/http → ${redactUrl(url)}`,
        request: redactedHttpBody(first),
        response: redactedHttpBody(response),
      };
    }
    case 'file_read':
      return { method: 'GET', path: `/host-api/file_read → ${stringField(first, 'path') ?? ''}`, request: first, response: null };
    case 'config_get':
      return { method: 'GET', path: `/host-api/config/${segment(first)}`, request: null, response: response === null ? null : REDACTED };
    case 'config_set':
      return { method: 'PUT', path: `/host-api/config/${segment(first)}`, request: REDACTED, response: null };
    case 'config_delete':
      return { method: 'DELETE', path: `/host-api/config/${segment(first)}`, request: null, response: null };
    case 'db_exec':
    case 'db_query': {
      const path = `/host-api/db/${input.slot === 'db_exec' ? 'exec' : 'query'}`;
      // SQL or params longer than Insights redacts make the request JSON longer still, so it would be stored as a
      // marker: known from their lengths, without re-encoding tens of megabytes on the event loop first.
      if ((first?.length ?? 0) > MAX_REDACTED_JSON_CHARS || (second?.length ?? 0) > MAX_REDACTED_JSON_CHARS) {
        return { method: 'POST', path, request: null, storedRequest: tooLongToRedactMarker(input.requestBytes), response };
      }
      return { method: 'POST', path, request: JSON.stringify({ sql: first, params: parsedOrText(second) }), response };
    }
    case 'get_active_agent_id':
      return { method: 'GET', path: '/host-api/agent', request: null, response };
    case 'log':
    case 'log_structured': {
      const message = first ?? '';
      return {
        method: 'LOG',
        path: `[${logLevelName(input.intArg)}] ${message}`,
        request: input.slot === 'log_structured' ? (second ?? message) : message,
        response: null,
        durationMs: 0,
      };
    }
    default:
      // A slot this version does not know: keep it visible under its own name.
      return { method: 'CALL', path: `/host-api/${segment(input.slot)}`, request: first, response };
  }
}

function parsedOrText(json: string | null): unknown {
  if (json === null) return null;
  const parsed = parsedBody(json);
  return parsed === undefined ? json : parsed;
}

/** The columns every row of a host call has, whatever its bodies. */
function callColumns(input: HostCallInput) {
  const isLog = input.slot === 'log' || input.slot === 'log_structured';
  return {
    ts: input.startedAt.getTime(),
    pluginId: input.pluginId.toWellFormed(),
    agentId: input.agentId,
    frame: input.frame,
    slot: input.slot,
    kind: isLog ? 'log' : 'call',
    status: input.status,
    level: isLog ? logLevelName(input.intArg) : null,
    requestBytes: input.requestBytes,
    responseBytes: input.responseBytes,
  } satisfies Partial<NewActivityRow>;
}

/** Maps a host call to the Insights row it becomes: paths, statuses, scrubbed and truncated bodies. */
export function toActivityRow(input: HostCallInput, maxBodyChars: number): NewActivityRow {
  const mapped = mapSlot(input);
  const payload = input.slot === 'log_structured' ? (input.args[1] ?? null) : null;
  return {
    ...callColumns(input),
    method: mapped.method,
    path: truncateText(mapped.path, MAX_PATH_CHARS),
    durationMs: mapped.durationMs ?? input.durationMs,
    model: mapped.model ?? null,
    requestBody: mapped.storedRequest ?? storedBody(mapped.request, maxBodyChars),
    responseBody: storedBody(mapped.response, maxBodyChars),
    payload: searchablePayload(payload, maxBodyChars),
  };
}

/**
 * The row for a host call whose own row could not be built or written: the
 * call stays visible with a marker in place of its bodies, which are never kept raw.
 */
export function unstorableRow(input: HostCallInput, reason: string): NewActivityRow {
  const columns = callColumns(input);
  return {
    ...columns,
    method: columns.kind === 'log' ? 'LOG' : 'CALL',
    path: columns.kind === 'log' ? truncateText(`[${columns.level}] ${input.args[0] ?? ''}`, MAX_PATH_CHARS) : `/host-api/${segment(input.slot)}`,
    durationMs: input.durationMs,
    model: null,
    requestBody: unstoredMarker(reason),
    responseBody: null,
    payload: null,
  };
}
