import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

type Envelope = Record<string, unknown>;

function parseObject(text: string): Envelope | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Envelope) : null;
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

function failure(kind: string, message: string, details: string[] = []): CallToolResult {
  const text = details.length > 0 ? `${kind}: ${message} (${details.join('; ')})` : `${kind}: ${message}`;
  return { isError: true, content: [{ type: 'text', text }] };
}

/**
 * Maps a tool-result envelope (HOST_API.md §12) to an MCP tool result.
 * `ok:true` → the result as text (a string as is, anything else as JSON),
 * each warning as one more text item. `ok:false` → `isError: true` with
 * `<kind>: <message>`, plus `field`, `expected` and `retryable` when present.
 * Text that is not an envelope is a success shown as is, as upstream wraps it;
 * the legacy `[REJECTED]` / `[TIMEOUT]` prefixes and `{"error":…,"retryable":…}` bodies are failures.
 */
export function envelopeToCallToolResult(envelopeText: string): CallToolResult {
  const envelope = parseObject(envelopeText);
  if (envelope?.ok === true) {
    const warnings = Array.isArray(envelope.warnings) ? envelope.warnings.map((warning) => `warning: ${asText(warning)}`) : [];
    return { content: [asText(envelope.result), ...warnings].map((text) => ({ type: 'text' as const, text })) };
  }
  if (envelope?.ok === false) {
    const details: string[] = [];
    if (envelope.field !== undefined) details.push(`field: ${asText(envelope.field)}`);
    if (envelope.expected !== undefined) details.push(`expected: ${asText(envelope.expected)}`);
    if (envelope.retryable === true) details.push('retryable');
    const kind = typeof envelope.kind === 'string' ? envelope.kind : typeof envelope.error === 'string' ? envelope.error : 'execution_error';
    return failure(kind, asText(envelope.message ?? 'The tool failed without a message.'), details);
  }
  if (envelope && typeof envelope.error === 'string' && 'retryable' in envelope) return failure(envelope.error, asText(envelope.message ?? envelope.error));
  const trimmed = envelopeText.trimStart();
  for (const [prefix, kind] of LEGACY_FAILURE_PREFIXES) {
    if (trimmed.startsWith(prefix)) return failure(kind, trimmed.slice(prefix.length).trim());
  }
  return { content: [{ type: 'text', text: envelopeText }] };
}
