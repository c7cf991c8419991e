import { MAX_PATH_CHARS, truncateText } from './bodies.js';
import type { NewActivityRow } from './schema.js';

/** Where a tool call came from: an MCP client, `osr-host invoke`, or a model's tool call inside the host. */
export type ToolCallSurface = 'mcp' | 'invoke' | 'inference' | 'dispatch';

/** One tool call on a host surface. */
export interface ToolCallInput {
  surface: ToolCallSurface;
  pluginId: string;
  agentId: string | null;
  toolId: string;
  /** When the call started, in ms since the epoch. */
  startedAt: number;
  durationMs: number;
  /** The failure's kind (`invalid_args`, `timeout`, the plugin's own `kind`, …); null for a success. */
  errorKind: string | null;
}

/** One HTTP request to a plugin's routes or web UI. */
export interface RouteRequestInput {
  pluginId: string;
  agentId: string | null;
  method: string;
  /** The path below `/plugins/<id>`. */
  path: string;
  status: number;
  startedAt: number;
  durationMs: number;
  /** `route`, `web`, `dev_proxy`, or `rejected` (answered by the host alone). */
  kind: string;
  routeId: string | null;
  /** The host's error message when the host wrote the body. */
  error: string | null;
}

/** HTTP-like statuses for tool failure kinds (HOST_API.md §12), so status filters and error rates cover tool calls. */
const TOOL_FAILURE_STATUS: Record<string, number> = {
  invalid_args: 400,
  rejected: 403,
  user_denied: 403,
  not_found: 404,
  tool_not_found: 404,
  cancelled: 499,
  unavailable: 503,
  timeout: 504,
};

/** The status a tool call records: 200, or its failure kind's status (500 for kinds not listed). */
export function toolCallStatus(errorKind: string | null): number {
  return errorKind === null ? 200 : (TOOL_FAILURE_STATUS[errorKind] ?? 500);
}

/**
 * A tool call as an Insights row: slot `tool`, method `TOOL`, path `/tools/<tool_id>`;
 * the payload holds the surface and the error kind, searchable with `json_extract`.
 */
export function toolCallRow(input: ToolCallInput): NewActivityRow {
  const payload = JSON.stringify({ surface: input.surface, tool_id: input.toolId, error_kind: input.errorKind });
  return {
    ts: input.startedAt,
    pluginId: input.pluginId.toWellFormed(),
    agentId: input.agentId,
    slot: 'tool',
    kind: 'call',
    method: 'TOOL',
    path: truncateText(`/tools/${input.toolId.toWellFormed()}`, MAX_PATH_CHARS),
    status: toolCallStatus(input.errorKind),
    durationMs: input.durationMs,
    requestBody: payload,
    payload,
    requestBytes: 0,
    responseBytes: 0,
  };
}

/** A route or web request as an Insights row: slot `route`, the HTTP method, `/plugins/<id><path>`, its status. */
export function routeRequestRow(input: RouteRequestInput): NewActivityRow {
  const payload = JSON.stringify({ surface: 'route', kind: input.kind, route_id: input.routeId, error: input.error });
  return {
    ts: input.startedAt,
    pluginId: input.pluginId.toWellFormed(),
    agentId: input.agentId,
    slot: 'route',
    kind: 'call',
    method: input.method.toWellFormed(),
    path: truncateText(`/plugins/${input.pluginId}${input.path}`.toWellFormed(), MAX_PATH_CHARS),
    status: input.status,
    durationMs: input.durationMs,
    requestBody: payload,
    payload,
    requestBytes: 0,
    responseBytes: 0,
  };
}
