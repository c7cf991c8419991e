import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

type JsonObject = Record<string, unknown>;

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

function asText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value ?? null);
}

const LEGACY_FAILURE_PREFIXES: [prefix: string, kind: string][] = [
  ['[REJECTED]', 'rejected'],
  ['[TIMEOUT]', 'timeout'],
];

/** An MCP tool result with the failure kind it reports (null for a success), for Insights. */
export interface InterpretedReply {
  result: CallToolResult;
  errorKind: string | null;
}

/** An MCP error result: `<kind>: <message>`, plus details in parentheses. */
export function toolFailure(kind: string, message: string, details: string[] = []): InterpretedReply {
  const text = details.length > 0 ? `${kind}: ${message} (${details.join('; ')})` : `${kind}: ${message}`;
  return { result: { isError: true, content: [{ type: 'text', text }] }, errorKind: kind };
}

function withStructured(failure: InterpretedReply, reply: JsonObject): InterpretedReply {
  return { ...failure, result: { ...failure.result, structuredContent: reply } };
}

/**
 * Maps a tool's reply to an MCP tool result. The reply is the plugin's: it is
 * passed through unchanged as text, plus `structuredContent` when it is a JSON
 * object (`{"ok":true,…}` included, whatever its other keys). Only a failure
 * is rewritten: `{"ok":false,…}` (HOST_API.md §12) becomes `isError: true`
 * with `<kind>: <message>` and `field`, `expected` and `retryable` when
 * present, as do the legacy `[REJECTED]` / `[TIMEOUT]` prefixes and
 * `{"error":…,"retryable":…}` bodies.
 */
export function interpretToolReply(replyText: string): InterpretedReply {
  const reply = parseObject(replyText);
  if (reply?.ok === false) {
    const details: string[] = [];
    if (reply.field !== undefined) details.push(`field: ${asText(reply.field)}`);
    if (reply.expected !== undefined) details.push(`expected: ${asText(reply.expected)}`);
    if (reply.retryable === true) details.push('retryable');
    const kind = typeof reply.kind === 'string' ? reply.kind : typeof reply.error === 'string' ? reply.error : 'execution_error';
    return withStructured(toolFailure(kind, asText(reply.message ?? 'The tool failed without a message.'), details), reply);
  }
  if (reply && reply.ok === undefined && typeof reply.error === 'string' && 'retryable' in reply) {
    return withStructured(toolFailure(reply.error, asText(reply.message ?? reply.error)), reply);
  }
  if (!reply) {
    const trimmed = replyText.trimStart();
    for (const [prefix, kind] of LEGACY_FAILURE_PREFIXES) {
      if (trimmed.startsWith(prefix)) return toolFailure(kind, trimmed.slice(prefix.length).trim());
    }
  }
  return { result: { content: [{ type: 'text', text: replyText }], ...(reply ? { structuredContent: reply } : {}) }, errorKind: null };
}

/** `interpretToolReply`'s MCP result alone. */
export function envelopeToCallToolResult(replyText: string): CallToolResult {
  return interpretToolReply(replyText).result;
}
