import { REDACTED, redactHeaders, redactUrl } from '@osr-host/net';

/** Bodies and paths longer than this many characters are cut (INSIGHTS.md §1: 256 KiB, as upstream). */
export const DEFAULT_MAX_BODY_CHARS = 262_144;
/**
 * JSON bodies longer than this are not parsed for redaction (the work would
 * stall the event loop) and are stored as a marker instead, never raw.
 */
export const MAX_REDACTED_JSON_CHARS = 1_048_576;
/** Deepest JSON nesting redaction walks; deeper bodies are stored as a marker. Below SQLite's JSON depth limit (1000). */
export const MAX_REDACTED_JSON_DEPTH = 512;

/** What is stored in place of a body that cannot be redacted or stored. */
export function unstoredMarker(reason: string): string {
  return `[not stored: ${reason}]`;
}

/** Thrown by redaction for a body it will not walk; callers store a marker. */
class UnredactableBody extends Error {}

const unredactedMarker = (reason: string) => unstoredMarker(`${reason}; it was not redacted, so it is not kept`);
const tooLongToRedact = (bytes: number) => `${formatByteCount(bytes)} of JSON, over the ${formatByteCount(MAX_REDACTED_JSON_CHARS)} Insights redacts`;

/** What is stored for a JSON body of `bytes` longer than MAX_REDACTED_JSON_CHARS, for callers that know before building it. */
export function tooLongToRedactMarker(bytes: number): string {
  return unredactedMarker(tooLongToRedact(bytes));
}
/** Paths hold whole log messages; they are cut shorter so lists stay readable. The full text stays in the body. */
export const MAX_PATH_CHARS = 2_048;

/** JSON keys whose values are credentials wherever they appear in a body. */
const SECRET_KEYS = new Set([
  '_secrets',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'client_secret',
  'api_key',
  'apikey',
  'api-key',
  'access_token',
  'refresh_token',
  'token',
]);

/** Upstream's credential scrub: Osaurus access keys in bearer headers and JSON strings. */
const BEARER = /\bBearer\s+[A-Za-z0-9._~+/=-]+/g;
const OSK_STRING = /"osk-[^"\\]*"/g;

/** "1.2 MB"-style binary byte counts, as the truncation suffix shows them. */
export function formatByteCount(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * Cuts text to `maxChars` with upstream's `…[truncated, original <size>]` suffix, on a line of its own unless
 * `separator` says otherwise; lone surrogates become U+FFFD.
 */
export function truncateText(text: string, maxChars: number, separator = '\n'): string {
  if (text.length <= maxChars) return text.toWellFormed();
  const originalBytes = Buffer.byteLength(text);
  return `${text.slice(0, maxChars).toWellFormed()}${separator}…[truncated, original ${formatByteCount(originalBytes)}]`;
}

function redactValue(value: unknown, depth = 1): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_REDACTED_JSON_DEPTH) throw new UnredactableBody(`JSON nested deeper than ${MAX_REDACTED_JSON_DEPTH} levels`);
  if (Array.isArray(value)) return value.map((inner) => redactValue(inner, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const lower = key.toLowerCase();
    if (SECRET_KEYS.has(lower)) copy[key] = REDACTED;
    else if (lower === 'headers' && inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      copy[key] = redactHeaders(inner as Record<string, unknown>);
    } else if (lower === 'url' && typeof inner === 'string') copy[key] = redactUrl(inner);
    else copy[key] = redactValue(inner, depth + 1);
  }
  return copy;
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trimStart();
  return trimmed.startsWith('{') || trimmed.startsWith('[');
}

/**
 * JSON text with credentials redacted; undefined when the text is not JSON.
 * Throws UnredactableBody for JSON it will not walk (too long or too deep).
 */
function redactedJson(text: string): string | undefined {
  if (text.length > MAX_REDACTED_JSON_CHARS) {
    throw new UnredactableBody(tooLongToRedact(Buffer.byteLength(text)));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return JSON.stringify(redactValue(parsed));
}

const scrubText = (text: string) => text.replace(BEARER, `Bearer ${REDACTED}`).replace(OSK_STRING, `"${REDACTED}"`);

/**
 * Removes credentials from a body before it is stored: in JSON, `_secrets`,
 * credential-named keys, sensitive headers (any `headers` object) and URL
 * passwords/tokens; in any text, bearer tokens and `"osk-…"` strings.
 * Text that is not JSON gets the textual scrub only. Fails closed: JSON it
 * cannot redact (too long or too deeply nested) becomes a marker.
 */
export function scrubBody(text: string): string {
  try {
    return scrubText((looksLikeJson(text) ? redactedJson(text) : undefined) ?? text);
  } catch (error) {
    if (error instanceof UnredactableBody) return unredactedMarker(error.message);
    throw error;
  }
}

/** Scrubs, then truncates: what every stored body goes through. Plain text is cut first, so a huge one costs little. */
export function storedBody(text: string | null, maxChars: number): string | null {
  if (text === null) return null;
  if (looksLikeJson(text)) return truncateText(scrubBody(text), maxChars);
  const cut = truncateText(text, maxChars);
  return scrubText(cut);
}

/** A structured payload as searchable JSON (an object or array), or null when it is opaque text or cannot be redacted. */
export function searchablePayload(payload: string | null, maxChars: number): string | null {
  if (payload === null || payload.length > maxChars || !looksLikeJson(payload)) return null;
  try {
    return redactedJson(payload)?.toWellFormed() ?? null;
  } catch (error) {
    if (error instanceof UnredactableBody) return null;
    throw error;
  }
}

/** Parses a body for a field read, unless it is too long to parse cheaply; undefined for text that is not JSON. */
export function parsedBody(text: string | null): unknown {
  if (text === null || text.length > MAX_REDACTED_JSON_CHARS) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
