/** What replaces a redacted value. */
export const REDACTED = '<redacted>';

const SENSITIVE_EXACT = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const SENSITIVE_PARTS = ['token', 'secret', 'password', 'api-key', 'api_key', 'apikey'];

/** True for header (or query-parameter) names whose values are credentials. */
export function isSensitiveHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return SENSITIVE_EXACT.has(lower) || SENSITIVE_PARTS.some((part) => lower.includes(part));
}

/** A copy of `headers` with credential values replaced by `<redacted>`. */
export function redactHeaders<T>(headers: Record<string, T>): Record<string, T | string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, isSensitiveHeaderName(name) ? REDACTED : value]),
  );
}

/** The URL with its password and credential-named query values redacted, for logs. */
export function redactUrl(text: string): string {
  if (!URL.canParse(text)) return text;
  const url = new URL(text);
  // Plain word: angle brackets would come out percent-encoded inside a URL.
  if (url.password) url.password = 'redacted';
  for (const name of new Set(url.searchParams.keys())) {
    if (isSensitiveHeaderName(name)) url.searchParams.set(name, 'redacted');
  }
  return url.toString();
}

/**
 * Redacts an `http_request` request or response JSON for logging: the
 * `headers` object and the `url`. Text that is not a JSON object is returned
 * unchanged, since it carries no headers.
 */
export function redactHttpJson(json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return json;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return json;
  const record = { ...(parsed as Record<string, unknown>) };
  const headers = record['headers'];
  if (headers !== null && typeof headers === 'object' && !Array.isArray(headers)) {
    record['headers'] = redactHeaders(headers as Record<string, unknown>);
  }
  if (typeof record['url'] === 'string') record['url'] = redactUrl(record['url']);
  return JSON.stringify(record);
}
