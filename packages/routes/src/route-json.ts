/** What handle_route receives (upstream `OsaurusHTTPRequest`); serialise with `routeRequestJson` for sorted keys. */
export interface RouteRequest {
  body: string;
  body_encoding: 'utf8' | 'base64';
  headers: Record<string, string>;
  method: string;
  osaurus: { agent_address: string; base_url: string; plugin_url: string };
  path: string;
  path_params: Record<string, string>;
  plugin_id: string;
  query: Record<string, string>;
  remote_addr: string;
  route_id: string;
}

/** A route response the host can send. */
export interface RouteResponse {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Request bodies travel as UTF-8 text when they are valid UTF-8, else as base64. */
export function encodeRequestBody(body: Buffer): Pick<RouteRequest, 'body' | 'body_encoding'> {
  try {
    return { body: strictUtf8.decode(body), body_encoding: 'utf8' };
  } catch {
    return { body: body.toString('base64'), body_encoding: 'base64' };
  }
}

/** Header names lower-cased, the last of duplicates winning, from Node's raw header list. */
export function lowerCasedHeaders(rawHeaders: readonly string[]): Record<string, string> {
  const headers: Record<string, string> = Object.create(null);
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    headers[(rawHeaders[index] as string).toLowerCase()] = rawHeaders[index + 1] as string;
  }
  return headers;
}

/** A flat string map as a JSON object whose keys are sorted by code unit, integer-like keys included. */
function sortedMapJson(map: Record<string, string>): string {
  const keys = Object.keys(map);
  if (keys.length === 0) return '{}';
  keys.sort();
  let json = '{';
  for (const [index, key] of keys.entries()) json += `${index === 0 ? '' : ','}${JSON.stringify(key)}:${JSON.stringify(map[key])}`;
  return `${json}}`;
}

/**
 * The request JSON with sorted keys at every level, as upstream encodes it (`.sortedKeys`). Written
 * field by field: every route request pays for it, and building sorted copies of the objects cost
 * several times more.
 */
export function routeRequestJson(request: RouteRequest): string {
  const text = JSON.stringify;
  const { osaurus } = request;
  return (
    `{"body":${text(request.body)},"body_encoding":${text(request.body_encoding)},"headers":${sortedMapJson(request.headers)},` +
    `"method":${text(request.method)},"osaurus":{"agent_address":${text(osaurus.agent_address)},"base_url":${text(osaurus.base_url)},` +
    `"plugin_url":${text(osaurus.plugin_url)}},"path":${text(request.path)},"path_params":${sortedMapJson(request.path_params)},` +
    `"plugin_id":${text(request.plugin_id)},"query":${sortedMapJson(request.query)},"remote_addr":${text(request.remote_addr)},` +
    `"route_id":${text(request.route_id)}}`
  );
}

export type ResponseParse = { ok: true; response: RouteResponse } | { ok: false; status: 500 | 502; message: string };

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const headerNamePattern = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const headerValuePattern = /^[\t\x20-\x7e\x80-\xff]*$/;
// The host frames the body itself, so a plugin's framing headers would contradict it.
const framingHeaders = new Set(['content-length', 'transfer-encoding', 'connection']);

const invalidResponse: ResponseParse = { ok: false, status: 500, message: 'Invalid plugin response' };

/**
 * Upstream `OsaurusHTTPResponse`: `status` required; `headers` string to
 * string; `body` text, or base64 when `body_encoding` is "base64" (a body
 * that is not base64 is a 502). Statuses outside 200–599 and headers Node
 * cannot send make the response invalid (500).
 */
export function parseRouteResponse(text: string): ResponseParse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalidResponse;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return invalidResponse;
  const { status, headers, body, body_encoding: bodyEncoding } = parsed as Record<string, unknown>;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) return invalidResponse;
  const headerList: [string, string][] = [];
  if (headers !== undefined && headers !== null) {
    if (typeof headers !== 'object' || Array.isArray(headers)) return invalidResponse;
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string' || !headerNamePattern.test(name) || !headerValuePattern.test(value)) return invalidResponse;
      if (!framingHeaders.has(name.toLowerCase())) headerList.push([name, value]);
    }
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return invalidResponse;
  const bodyText = typeof body === 'string' ? body : '';
  if (bodyEncoding === 'base64') {
    if (!base64Pattern.test(bodyText)) {
      return { ok: false, status: 502, message: 'Plugin response declared body_encoding=base64 but the body is not valid base64.' };
    }
    return { ok: true, response: { status, headers: headerList, body: Buffer.from(bodyText, 'base64') } };
  }
  return { ok: true, response: { status, headers: headerList, body: Buffer.from(bodyText, 'utf8') } };
}
