import {
  errorEnvelope,
  type HostCallRecord,
  hostSlot,
  type InsightsBodies,
  logLevelName,
  signatureParameterNames,
} from '@osr-host/abi';
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
 * One host call as the runtime's `hostCall` event reports it. The slot and
 * frame are plain strings, so another host (or a newer runtime) can feed rows
 * for slots this version does not know.
 */
export type HostCallInput = Omit<HostCallRecord, 'slot' | 'frame' | 'args'> & {
  slot: string;
  frame: string | null;
  /** The slot's C string arguments (null for NULL); secret ones already redacted. */
  args: readonly (string | null)[];
};

/** The exact response upstream records for the reserved dispatch_clarify slot (HOST_API.md §6). */
export const CLARIFY_NOT_SUPPORTED = JSON.stringify(
  errorEnvelope('not_supported', 'dispatch_clarify is reserved. Clarification is handled inline via the clarify agent intercept.'),
);

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

/** Bodies and fields of one slot's row; method and path come from the slot's descriptor. */
interface SlotRow {
  request: string | null;
  response: string | null;
  /** Values for the descriptor's placeholders beyond the slot's own C parameters. */
  fill?: Record<string, string>;
  /** Stored as the request body as it is (a marker for a request too long to redact). */
  storedRequest?: string;
  /** Overrides the measured duration (upstream records 0 for log and complete_cancel rows). */
  durationMs?: number;
  model?: string | null;
}

type RowRule = (input: HostCallInput, first: string | null, second: string | null) => SlotRow;

/**
 * Bodies per kind of row: INSIGHTS.md §1 for the slots upstream logs; config,
 * db and get_active_agent_id (D14) with REST-like paths, config values never
 * kept. Each slot's descriptor names its kind, and every kind has a rule here,
 * so neither a slot nor a kind can go unmapped and compile.
 */
const ROW_RULES: Record<InsightsBodies, RowRule> = {
  'request-and-response': (input, first) => ({ request: first, response: input.response }),
  'response-only': (input) => ({ request: null, response: input.response }),
  'second-argument': (_input, _first, second) => ({ request: second, response: null }),
  none: () => ({ request: null, response: null }),
  chat: (input, first) => ({ request: first, response: input.response, model: stringField(first, 'model') ?? null }),
  database: (input, first, second) =>
    // SQL or params longer than Insights redacts make the request JSON longer still, so it would be stored as a
    // marker: known from their lengths, without re-encoding tens of megabytes on the event loop first.
    (first?.length ?? 0) > MAX_REDACTED_JSON_CHARS || (second?.length ?? 0) > MAX_REDACTED_JSON_CHARS
      ? { request: null, storedRequest: tooLongToRedactMarker(input.requestBytes), response: input.response }
      : { request: JSON.stringify({ sql: first, params: parsedOrText(second) }), response: input.response },
  'log-line': (input, first, second) => ({
    request: input.slot === 'log_structured' ? (second ?? first ?? '') : (first ?? ''),
    response: null,
    fill: { level: logLevelName(input.intArg), message: first ?? '' },
    durationMs: 0,
  }),
  'secret-answer': (input) => ({ request: null, response: input.response === null ? null : REDACTED }),
  'secret-value': () => ({ request: REDACTED, response: null }),
  http: (input, first) => ({
    request: redactedHttpBody(first),
    response: redactedHttpBody(input.response),
    fill: { method: stringField(first, 'method')?.toUpperCase() || 'GET', url: redactUrl(stringField(first, 'url') ?? '') },
  }),
  'file-read': (_input, first) => ({ request: first, response: null, fill: { path: stringField(first, 'path') ?? '' } }),
  'reserved-clarify': (_input, _first, second) => ({ request: second, response: CLARIFY_NOT_SUPPORTED }),
  untimed: () => ({ request: null, response: null, durationMs: 0 }),
};

/** Fills `{name}` in a descriptor's method or path: a C parameter (URL-encoded) unless the row supplies the value. */
function fillTemplate(template: string, parameters: readonly string[], input: HostCallInput, fill: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_match, name: string) => fill[name] ?? segment(input.args[parameters.indexOf(name)]));
}

function mapSlot(input: HostCallInput): Mapped {
  const [first = null, second = null] = input.args;
  const descriptor = hostSlot(input.slot);
  const route = descriptor?.insights ?? null;
  if (descriptor === undefined || route === null) {
    // A slot this version does not know: keep it visible under its own name.
    return { method: 'CALL', path: `/host-api/${segment(input.slot)}`, request: first, response: input.response };
  }
  const row = ROW_RULES[route.bodies](input, first, second);
  const parameters = signatureParameterNames(descriptor.signature);
  const fill = row.fill ?? {};
  return {
    method: fillTemplate(route.method, parameters, input, fill),
    path: fillTemplate(route.path, parameters, input, fill),
    request: row.request,
    storedRequest: row.storedRequest,
    response: row.response,
    durationMs: row.durationMs,
    model: row.model,
  };
}

function parsedOrText(json: string | null): unknown {
  if (json === null) return null;
  const parsed = parsedBody(json);
  return parsed === undefined ? json : parsed;
}

/** `log` and `log_structured` calls become log rows (kind `log`, with a level). */
export function isLogSlot(slot: string): boolean {
  return slot === 'log' || slot === 'log_structured';
}

/** The columns a host call's row gets from its slot's mapping, its bodies stored as they will be kept. */
type MappedColumns = Pick<NewActivityRow, 'method' | 'path' | 'durationMs' | 'model' | 'requestBody' | 'responseBody' | 'payload'>;

/**
 * The whole row, written as one object literal with every column in one order: a spread (`{...columns, …}`)
 * made V8 build a new hidden class for each row, which cost more than the rest of the mapping.
 */
function callRow(input: HostCallInput, mapped: MappedColumns): NewActivityRow {
  const isLog = isLogSlot(input.slot);
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
    method: mapped.method,
    path: mapped.path,
    durationMs: mapped.durationMs,
    model: mapped.model,
    requestBody: mapped.requestBody,
    responseBody: mapped.responseBody,
    payload: mapped.payload,
  };
}

/** Maps a host call to the Insights row it becomes: paths, statuses, scrubbed and truncated bodies. */
export function toActivityRow(input: HostCallInput, maxBodyChars: number): NewActivityRow {
  const mapped = mapSlot(input);
  const payload = input.slot === 'log_structured' ? (input.args[1] ?? null) : null;
  return callRow(input, {
    method: mapped.method,
    path: truncateText(mapped.path, MAX_PATH_CHARS),
    durationMs: mapped.durationMs ?? input.durationMs,
    model: mapped.model ?? null,
    requestBody: mapped.storedRequest ?? storedBody(mapped.request, maxBodyChars),
    responseBody: storedBody(mapped.response, maxBodyChars),
    payload: searchablePayload(payload, maxBodyChars),
  });
}

/**
 * The row for a host call whose own row could not be built or written: the
 * call stays visible with a marker in place of its bodies, which are never kept raw.
 */
export function unstorableRow(input: HostCallInput, reason: string): NewActivityRow {
  const isLog = isLogSlot(input.slot);
  return callRow(input, {
    method: isLog ? 'LOG' : 'CALL',
    path: isLog ? truncateText(`[${logLevelName(input.intArg)}] ${input.args[0] ?? ''}`, MAX_PATH_CHARS) : `/host-api/${segment(input.slot)}`,
    durationMs: input.durationMs,
    model: null,
    requestBody: unstoredMarker(reason),
    responseBody: null,
    payload: null,
  });
}
