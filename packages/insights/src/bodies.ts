import { REDACTED, redactHeaders, redactUrl } from '@osr-host/net';

/** Bodies and paths longer than this many characters are cut (INSIGHTS.md §1: 256 KiB, as upstream). */
export const DEFAULT_MAX_BODY_CHARS = 262_144;
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

/** Cuts text to `maxChars` with upstream's `…[truncated, original <size>]` suffix; lone surrogates become U+FFFD. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text.toWellFormed();
  const originalBytes = Buffer.byteLength(text);
  return `${text.slice(0, maxChars).toWellFormed()}\n…[truncated, original ${formatByteCount(originalBytes)}]`;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const lower = key.toLowerCase();
    if (SECRET_KEYS.has(lower)) copy[key] = REDACTED;
    else if (lower === 'headers' && inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      copy[key] = redactHeaders(inner as Record<string, unknown>);
    } else if (lower === 'url' && typeof inner === 'string') copy[key] = redactUrl(inner);
    else copy[key] = redactValue(inner);
  }
  return copy;
}

/**
 * Removes credentials from a body before it is stored: in JSON, `_secrets`,
 * credential-named keys, sensitive headers (any `headers` object) and URL
 * passwords/tokens; in any text, bearer tokens and `"osk-…"` strings.
 * Text that is not JSON gets the textual scrub only.
 */
export function scrubBody(text: string): string {
  let scrubbed = text;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      scrubbed = JSON.stringify(redactValue(JSON.parse(text)));
    } catch {
      // Not JSON after all: only the textual scrub applies.
    }
  }
  return scrubbed.replace(BEARER, `Bearer ${REDACTED}`).replace(OSK_STRING, `"${REDACTED}"`);
}

/** Scrubs, then truncates: what every stored body goes through. */
export function storedBody(text: string | null, maxChars: number): string | null {
  return text === null ? null : truncateText(scrubBody(text), maxChars);
}

/** A structured payload as searchable JSON (an object or array), or null when it is opaque text. */
export function searchablePayload(payload: string | null, maxChars: number): string | null {
  if (payload === null || payload.length > maxChars) return null;
  const trimmed = payload.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return null;
  try {
    return JSON.stringify(redactValue(JSON.parse(payload))).toWellFormed();
  } catch {
    return null;
  }
}
