import type { EnvelopeCode } from '@osr-host/abi';
import { isUtf8 } from 'node:buffer';
import type { LookupAddress, LookupOptions } from 'node:dns';
import http, { type IncomingMessage, validateHeaderName, validateHeaderValue } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { performance } from 'node:perf_hooks';
import { errorJson, parseRequestObject, sortedJson } from './envelope.js';
import type { GuardTarget, ResolvedAddress, SsrfGuard } from './guard.js';
import type { SlidingWindowRateLimiter } from './rate-limit.js';

/** Limits of `http_request` (HOST_API.md §7, §11). */
export const HTTP_LIMITS = {
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 300_000,
  maxRequestBytes: 50_000_000,
  maxResponseBytes: 50_000_000,
  maxRedirects: 20,
} as const;

/** Who is calling: the plugin, and the agent of the calling frame (null outside one). */
export interface HostCallContext {
  pluginId: string;
  agentId: string | null;
}

export interface HttpTransportOptions {
  guard: SsrfGuard;
  rateLimiter: SlidingWindowRateLimiter;
  /** Product token appended to the User-Agent before `Plugin/<id>`, e.g. `osr-host/1.2.0`. */
  hostProduct: string;
  /** Certificate authorities for https; Node's bundled roots when absent. */
  ca?: ReadonlyArray<string | Buffer>;
}

interface Hop {
  target: GuardTarget;
  method: string;
  headers: Record<string, string>;
  body: Buffer | null;
}

/** Headers the transport owns: it sets them itself, or they would change the connection (upgrade, keep-alive). */
const TRANSPORT_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie']);
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A failure that ends the exchange with a given envelope code. */
class ExchangeFailure {
  constructor(
    readonly code: EnvelopeCode,
    readonly message: string,
    readonly extra: Record<string, unknown> = {},
  ) {}
}

type ParsedRequest = {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | null;
  timeoutMs: number;
  followRedirects: boolean;
};

function parseHttpRequest(requestJson: string): ParsedRequest | string {
  const request = parseRequestObject(requestJson);
  if (typeof request === 'string') return request;
  const { method, url, headers = {}, body, body_encoding: encoding = 'utf8' } = request;
  const { timeout_ms: timeoutMs = HTTP_LIMITS.defaultTimeoutMs, follow_redirects: followRedirects = true } = request;
  const invalid = (message: string) => errorJson('invalid_request', message);
  if (typeof method !== 'string' || typeof url !== 'string' || method === '' || url === '') {
    return invalid('Missing required fields: method, url');
  }
  if (!TOKEN.test(method)) return invalid(`method "${method}" is not a valid HTTP method token.`);
  // CONNECT turns the connection into a raw tunnel; there is no response for this API to return.
  if (method.toUpperCase() === 'CONNECT') return invalid('method CONNECT is not supported.');
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    return invalid('headers must be an object of string values.');
  }
  const headerMap: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') return invalid(`Header "${name}" must be a string, got ${JSON.stringify(value)}.`);
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      return invalid(`Header "${name}" has a name or value that is not allowed in HTTP (control characters?).`);
    }
    if (!TRANSPORT_HEADERS.has(name.toLowerCase())) headerMap[name] = value;
  }
  if (encoding !== 'utf8' && encoding !== 'base64') return invalid('body_encoding must be "utf8" or "base64".');
  if (body !== undefined && body !== null && typeof body !== 'string') return invalid('body must be a string.');
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    return invalid('timeout_ms must be a positive number of milliseconds.');
  }
  if (typeof followRedirects !== 'boolean') return invalid('follow_redirects must be true or false.');
  let bodyBytes: Buffer | null = null;
  if (typeof body === 'string') {
    // Size first, so an oversized body is refused before it is copied.
    const size = encoding === 'base64' ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body);
    if (size > HTTP_LIMITS.maxRequestBytes + 2) return errorJson('request_too_large', 'Request body exceeds 50MB limit');
    if (encoding === 'base64' && !BASE64.test(body)) return invalid('body is not valid base64 (standard alphabet, padded).');
    bodyBytes = Buffer.from(body, encoding);
    if (bodyBytes.length > HTTP_LIMITS.maxRequestBytes) return errorJson('request_too_large', 'Request body exceeds 50MB limit');
  }
  return {
    method: method.toUpperCase(),
    url,
    headers: headerMap,
    body: bodyBytes,
    timeoutMs: Math.min(timeoutMs, HTTP_LIMITS.maxTimeoutMs),
    followRedirects,
  };
}

function headerKey(headers: Record<string, string>, name: string): string | undefined {
  return Object.keys(headers).find((key) => key.toLowerCase() === name);
}

function withoutHeaders(headers: Record<string, string>, names: ReadonlySet<string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([key]) => !names.has(key.toLowerCase())));
}

/** A lookup that answers only with the addresses the guard checked: Node never resolves the name again. */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: LookupOptions, callback: (...args: unknown[]) => void) => {
    const family = options.family === 4 || options.family === 6 ? options.family : 0;
    const candidates = addresses.filter((a) => family === 0 || a.family === family);
    if (candidates.length === 0) {
      callback(Object.assign(new Error('No checked address of the requested family'), { code: 'ENOTFOUND' }));
    } else if (options.all) {
      callback(null, candidates satisfies LookupAddress[]);
    } else {
      callback(null, candidates[0]!.address, candidates[0]!.family);
    }
  }) as LookupFunction;
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const TLS_ERROR = /^(?:ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|HOSTNAME_MISMATCH|EPROTO$)/;

/** Maps a Node socket or parser error to the documented envelope codes. */
function networkFailure(error: unknown, stage: 'connect' | 'body'): ExchangeFailure {
  const code = String((error as NodeJS.ErrnoException)?.code ?? '');
  const detail = (error as Error)?.message ?? String(error);
  if (code === 'ECONNREFUSED') return new ExchangeFailure('connection_refused', `Connection refused (${detail}).`);
  if (code === 'ETIMEDOUT') return new ExchangeFailure('connection_timeout', `Connection timed out (${detail}).`);
  if (code.startsWith('HPE_')) return new ExchangeFailure('invalid_response', 'Non-HTTP response');
  if (TLS_ERROR.test(code)) return new ExchangeFailure('tls_error', `TLS handshake or certificate check failed: ${detail}`);
  if (stage === 'body') {
    return new ExchangeFailure('network_error', `Connection closed before the response body was complete (${detail}).`);
  }
  return new ExchangeFailure('network_error', `Network error: ${detail}`);
}

/** Sends one hop to the checked addresses and resolves with the response head. */
function send(hop: Hop, addresses: ResolvedAddress[], signal: AbortSignal, ca: HttpTransportOptions['ca']) {
  const { url } = hop.target;
  const headers: Record<string, string> = { ...hop.headers, Host: url.host };
  if (hop.body) headers['Content-Length'] = String(hop.body.length);
  const options: https.RequestOptions = {
    method: hop.method,
    host: hop.target.host,
    port: hop.target.port,
    path: `${url.pathname}${url.search}`,
    headers,
    // A fresh connection per hop: pooled sockets would outlive the check that admitted them.
    agent: false,
    lookup: pinnedLookup(addresses),
    signal,
  };
  if (url.protocol === 'https:' && ca) options.ca = [...ca];
  return new Promise<IncomingMessage>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(options, resolve);
    request.on('error', reject);
    request.end(hop.body ?? undefined);
  });
}

async function readBody(response: IncomingMessage): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? Number.NaN);
  if (declared > HTTP_LIMITS.maxResponseBytes) {
    response.destroy();
    throw new ExchangeFailure('response_too_large', 'Response body exceeds 50MB limit');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of response) {
      size += (chunk as Buffer).length;
      if (size > HTTP_LIMITS.maxResponseBytes) {
        response.destroy();
        throw new ExchangeFailure('response_too_large', 'Response body exceeds 50MB limit');
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    throw error instanceof ExchangeFailure ? error : networkFailure(error, 'body');
  }
  return Buffer.concat(chunks, size);
}

/** The next hop of a redirect, or a failure when its target is refused. */
function redirectHop(hop: Hop, status: number, location: string, guard: SsrfGuard): Hop | ExchangeFailure {
  if (!URL.canParse(location, hop.target.url.href)) {
    return new ExchangeFailure('invalid_response', `Redirect Location is not a valid URL: ${location}`);
  }
  const checked = guard.checkUrl(new URL(location, hop.target.url).href);
  if (!checked.ok) return new ExchangeFailure(checked.error, checked.message, checked.reason ? { reason: checked.reason } : {});
  let { method, body, headers } = hop;
  if (status <= 303 && method !== 'GET' && method !== 'HEAD') {
    method = 'GET';
    body = null;
    headers = withoutHeaders(headers, new Set(['content-type']));
  }
  // Origin covers scheme, host and port, so an https→http downgrade is a cross-origin hop too.
  if (checked.url.origin !== hop.target.url.origin) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
  return { target: checked, method, headers, body };
}

/** Userinfo as the user meant it; text with a malformed escape stays as written instead of throwing. */
function decodeUserinfo(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function successJson(response: IncomingMessage, body: Buffer, elapsedMs: number): string {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  const utf8 = isUtf8(body);
  return sortedJson({
    status: response.statusCode,
    headers,
    body: body.toString(utf8 ? 'utf8' : 'base64'),
    body_encoding: utf8 ? 'utf8' : 'base64',
    elapsed_ms: elapsedMs,
  });
}

/**
 * The `http_request` host callback: validates the request, applies the SSRF
 * guard and the rate limit, then performs the exchange. Always answers a JSON
 * string (an envelope on failure); NULL in, NULL out.
 */
export async function httpRequest(
  options: HttpTransportOptions,
  ctx: HostCallContext,
  requestJson: string | null,
): Promise<string | null> {
  if (requestJson === null) return null;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const request = parseHttpRequest(requestJson);
  if (typeof request === 'string') return request;
  const checked = options.guard.checkUrl(request.url);
  if (!checked.ok) return errorJson(checked.error, checked.message, checked.reason ? { reason: checked.reason } : {});
  const { rateLimiter } = options;
  if (!rateLimiter.tryAcquire(ctx.pluginId, ctx.agentId)) {
    const rate = `${rateLimiter.limit}/${rateLimiter.windowMs / 1000}s`;
    return errorJson('rate_limit_exceeded', `http_request rate limit (${rate}) exceeded for this plugin and agent.`, {
      retry_after_ms: rateLimiter.windowMs,
    });
  }
  const headers = { ...request.headers };
  const agentKey = headerKey(headers, 'user-agent') ?? 'User-Agent';
  const suffix = `${options.hostProduct} Plugin/${ctx.pluginId}`;
  headers[agentKey] = headers[agentKey] ? `${headers[agentKey]} ${suffix}` : suffix;
  const { url } = checked;
  if ((url.username || url.password) && !headerKey(headers, 'authorization')) {
    const credentials = `${decodeUserinfo(url.username)}:${decodeUserinfo(url.password)}`;
    headers['Authorization'] = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  let hop: Hop = { target: checked, method: request.method, headers, body: request.body };
  try {
    for (let redirects = 0; ; redirects++) {
      const resolved = await raceAbort(options.guard.resolveTarget(hop.target), controller.signal);
      if (!resolved.ok) {
        const extra = resolved.reason ? { reason: resolved.reason } : { elapsed_ms: elapsed() };
        return errorJson(resolved.error, resolved.message, extra);
      }
      let response: IncomingMessage;
      try {
        response = await send(hop, resolved.addresses, controller.signal, options.ca);
      } catch (error) {
        throw controller.signal.aborted ? error : networkFailure(error, 'connect');
      }
      const location = response.headers.location;
      const status = response.statusCode ?? 0;
      if (request.followRedirects && REDIRECT_STATUSES.has(status) && location) {
        response.destroy();
        if (redirects === HTTP_LIMITS.maxRedirects) {
          throw new ExchangeFailure('too_many_redirects', 'HTTP redirect limit exceeded');
        }
        const next = redirectHop(hop, status, location, options.guard);
        if (next instanceof ExchangeFailure) throw next;
        hop = next;
        continue;
      }
      if (hop.method === 'HEAD') response.resume();
      const body = hop.method === 'HEAD' ? Buffer.alloc(0) : await readBody(response);
      return successJson(response, body, elapsed());
    }
  } catch (error) {
    if (controller.signal.aborted) {
      return errorJson('connection_timeout', `Request timed out after ${request.timeoutMs} ms.`, {
        elapsed_ms: elapsed(),
      });
    }
    const failure = error instanceof ExchangeFailure ? error : networkFailure(error, 'connect');
    return errorJson(failure.code, failure.message, { ...failure.extra, elapsed_ms: elapsed() });
  } finally {
    clearTimeout(timer);
  }
}
