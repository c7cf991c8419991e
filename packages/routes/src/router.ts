import { type CallOutcome, isUuid, type PluginDirectory, type PluginEntry } from '@osr-host/abi';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { effectiveApiMount, type Manifest, type ManifestRoute, type ManifestWeb, normalizeWebMount, webMountCaptures } from '@osr-host/manifest';
import { devProxyTarget, forwardToDevServer, readDevProxy, tunnelUpgrade } from './dev-proxy.js';
import { matchRoute } from './match.js';
import { agentFromQuery, parseQuery } from './query.js';
import { PluginRateLimiter, type RateLimitOptions } from './rate-limit.js';
import { encodeRequestBody, lowerCasedHeaders, parseRouteResponse, routeRequestJson } from './route-json.js';
import { injectOsaurusContext, isHtmlPath, mimeTypeFor, resolveStaticFile } from './static-web.js';

/** How one handle_route call ended. */
export type RouteCallOutcome = CallOutcome;

/** What the router needs of a loaded plugin; `NativePlugin` from `@osr-host/runtime` satisfies it. */
export interface RouteTarget {
  readonly id: string;
  /** ABI ≥ 2 with a non-NULL handle_route. */
  readonly supportsRoutes: boolean;
  /** Runs handle_route under an agent frame; resolves by `timeoutMs` even if the C handler never returns. */
  handleRoute(requestJson: string, options: { agentId: string | null; timeoutMs?: number }): Promise<RouteCallOutcome>;
}

/**
 * A loaded plugin as the router sees it: an entry of the host's plugin directory
 * (`@osr-host/abi`), whose `directory` is where `web.static_dir` is resolved.
 */
export type MountedPlugin = PluginEntry<RouteTarget, Pick<Manifest, 'plugin_id' | 'capabilities'>>;

/** One answered plugin request, for Insights and logs. */
export interface RouteServedEvent {
  /** `route` (handle_route), `web` (static file), `dev_proxy`, or `rejected` (answered by the host alone). */
  kind: 'route' | 'web' | 'dev_proxy' | 'rejected';
  pluginId: string;
  agentId: string | null;
  method: string;
  /** The subpath below `/plugins/<id>`, without the query. */
  path: string;
  routeId: string | null;
  status: number;
  /** The host's error message when the host wrote the body. */
  error: string | null;
  durationMs: number;
}

export interface PluginRouterOptions {
  /** The host's plugin directory (P171); a request's plugin is `plugins.get(<id from the URL>)`. */
  plugins: Pick<PluginDirectory<RouteTarget, Pick<Manifest, 'plugin_id' | 'capabilities'>>, 'get'>;
  /** This server's own URL, e.g. `http://127.0.0.1:1337` (a function when the port is known only after listen). */
  baseUrl: string | (() => string);
  /** Per agent: its address and its tunnel URL when its relay is connected (then `base_url` is the tunnel URL). */
  agents?: { address?(agentId: string): string | undefined; tunnelUrl?(agentId: string): string | undefined };
  /** Validates `Authorization: Bearer <key>` for `owner` routes and web UIs; without it `owner` always answers 401. */
  verifyAccessKey?: (key: string) => boolean | Promise<boolean>;
  /** Host home directory; `<home>/config/dev-proxy.json` enables the dev proxy. Without it there is no dev proxy. */
  home?: string;
  /** handle_route limit (D16: 30 000 ms). */
  routeTimeoutMs?: number;
  /** Largest request body accepted, in bytes (default 32 MiB, upstream's `maxRequestBodyBytes`); larger → 413. */
  maxBodyBytes?: number;
  /** Most request headers accepted (default 200); more → 431. Byte size is the server's `maxHeaderSize`. */
  maxHeaderCount?: number;
  rateLimit?: RateLimitOptions;
  /** Whether loopback peers count as local (default true). Off, every request is treated as tunnel traffic. */
  trustLoopback?: boolean;
  /** Dev-server request limit (default 10 000 ms). */
  devProxyTimeoutMs?: number;
  onServed?: (event: RouteServedEvent) => void;
}

/** The `/plugins/<id>/…` surface, to mount on a node:http server. */
export interface PluginRouter {
  /** Serves the request when its path is in the plugin namespace (returns true); otherwise leaves it alone (false). */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** The same for WebSocket upgrades, which only a dev-proxied web UI accepts. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
}

export const DEFAULT_ROUTE_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_HEADER_COUNT = 200;

const CORS_HEADERS: readonly [string, string][] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS'],
  ['Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Osaurus-Agent-Id'],
];

const CORS_HEADER_LIST = CORS_HEADERS.flat();

/**
 * The flat [name, value, …] list a response is sent with: CORS first, then `headers`, then
 * Content-Length (none for null). Built without intermediate arrays: every response pays for it.
 */
function responseHeaderList(headers: readonly [string, string][], contentLength: number | null): string[] {
  const list = CORS_HEADER_LIST.slice();
  for (const [name, value] of headers) list.push(name, value);
  if (contentLength !== null) list.push('Content-Length', String(contentLength));
  return list;
}

const AGENT_HEADER = 'x-osaurus-agent-id';
const AGENT_REQUIRED = 'Plugin routes require an agent context (X-Osaurus-Agent-Id header or osr_agent query parameter)';
const API_PREFIXES = ['/v1/api', '/api', '/v1'];

type ParsedUrl =
  | { kind: 'plugin'; pluginId: string; subpath: string; rawQuery: string }
  | { kind: 'invalid_route' }
  | { kind: 'invalid_path' };

/** Splits `/[v1|api|v1/api]/plugins/<id>/<subpath>?<query>`; null for URLs outside the plugin namespace. */
export function parsePluginUrl(url: string): ParsedUrl | null {
  const queryStart = url.indexOf('?');
  let path = queryStart === -1 ? url : url.slice(0, queryStart);
  const rawQuery = queryStart === -1 ? '' : url.slice(queryStart + 1);
  const prefix = API_PREFIXES.find((candidate) => path.startsWith(`${candidate}/`));
  if (prefix) path = path.slice(prefix.length);
  if (!path.startsWith('/plugins/')) return null;
  const rest = path.slice('/plugins/'.length);
  const slash = rest.indexOf('/');
  if (rest.includes('..')) return { kind: 'invalid_path' };
  if (slash === -1) return { kind: 'invalid_route' };
  return { kind: 'plugin', pluginId: rest.slice(0, slash), subpath: rest.slice(slash), rawQuery };
}

/** The agent id as received: the last `X-Osaurus-Agent-Id` header, else the first `osr_agent` query pair. */
function agentOf(request: IncomingMessage, rawQuery: string): string | undefined {
  let header: string | undefined;
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] as string;
    // The length first: most names differ in it, and lower-casing each one is a copy per header per request.
    if (name.length === AGENT_HEADER.length && name.toLowerCase() === AGENT_HEADER) header = request.rawHeaders[index + 1];
  }
  return header ?? agentFromQuery(rawQuery);
}

/**
 * For files of a web UI only: the `osr_agent` of the page that asked for
 * them, read from a Referer inside the same plugin's web mount. A page's own
 * `<script src>` and `<link>` requests can carry neither the header nor the
 * query; route calls cannot use this (a plain `fetch` stays 401).
 */
function agentFromReferer(request: IncomingMessage, pluginId: string, web: ManifestWeb): string | undefined {
  const referer = request.headers.referer;
  if (!referer) return undefined;
  let page: URL;
  try {
    page = new URL(referer);
  } catch {
    return undefined;
  }
  const parsed = parsePluginUrl(page.pathname + page.search);
  if (parsed?.kind !== 'plugin' || parsed.pluginId !== pluginId || !webMountCaptures(web.mount, parsed.subpath)) return undefined;
  return agentFromQuery(parsed.rawQuery);
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function errorBody(message: string): Buffer {
  return Buffer.from(JSON.stringify({ error: { message } }));
}

class RequestBodyTooLarge extends Error {}

/** Reads the body up to `limit` bytes; past it, drains the rest and throws RequestBodyTooLarge. */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const { 'content-length': length, 'transfer-encoding': encoding } = request.headers;
  // Neither header, or a length of 0: the request has no body (RFC 9112 §6.3), so there is nothing
  // to wait for; Node discards the empty stream once the response is sent.
  if (encoding === undefined && (length === undefined || length === '0')) return Promise.resolve(Buffer.alloc(0));
  const declared = Number(length);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    return Promise.reject(new RequestBodyTooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) {
        request.off('data', onData);
        request.resume();
        reject(new RequestBodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
    request.once('close', () => {
      if (!request.complete) reject(new Error('The client closed the connection before the body was complete.'));
    });
  });
}

interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  event: RouteServedEvent;
}

/**
 * Creates the plugin HTTP surface of ROUTES_AND_WEB.md: agent context,
 * static web UIs with the `window.__osaurus` injection, route matching,
 * tunnel gate, auth and rate limit, then `handle_route` with a timeout that
 * releases the caller (D16). Every error body is `{"error":{"message":…}}`.
 */
export function createPluginRouter(options: PluginRouterOptions): PluginRouter {
  const limiter = new PluginRateLimiter(options.rateLimit);
  const routeTimeoutMs = options.routeTimeoutMs ?? DEFAULT_ROUTE_TIMEOUT_MS;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxHeaderCount = options.maxHeaderCount ?? DEFAULT_MAX_HEADER_COUNT;
  const trustLoopback = options.trustLoopback ?? true;
  const baseUrl = () => (typeof options.baseUrl === 'function' ? options.baseUrl() : options.baseUrl);

  function isLocal(request: IncomingMessage): boolean {
    return trustLoopback && request.headers['x-osaurus-relay-origin'] === undefined && isLoopbackAddress(request.socket.remoteAddress);
  }

  async function ownerAuthorized(request: IncomingMessage): Promise<boolean> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (!match || !options.verifyAccessKey) return false;
    try {
      return await options.verifyAccessKey(match[1] as string);
    } catch {
      return false;
    }
  }

  function send(exchange: Exchange, status: number, headers: [string, string][], body: Buffer): void {
    const { response } = exchange;
    exchange.event.status = status;
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, responseHeaderList(headers, status === 204 || status === 304 ? null : body.length));
    // Node sends no body for HEAD and keeps Content-Length as a GET would have it.
    response.end(body);
  }

  function fail(exchange: Exchange, status: number, message: string): void {
    exchange.event.error = message;
    send(exchange, status, [['Content-Type', 'application/json; charset=utf-8']], errorBody(message));
  }

  /** `method` is what the plugin is told: `GET` for a HEAD request answered by a GET route. */
  async function serveRoute(exchange: Exchange, plugin: MountedPlugin, route: ManifestRoute, params: Record<string, string>, rawQuery: string, method: string) {
    const { request, event } = exchange;
    event.kind = 'route';
    event.routeId = route.id;
    if (!isLocal(request) && route.tunnel_exposed !== true) return fail(exchange, 404, 'No matching route');
    if (route.auth === 'owner') {
      if (!(await ownerAuthorized(request))) return fail(exchange, 401, 'Authentication required');
    } else if (!limiter.tryAcquire(event.pluginId)) {
      return fail(exchange, 429, 'Rate limit exceeded');
    }
    if (!plugin.instance.supportsRoutes) return fail(exchange, 501, 'Plugin does not support route handling');
    const body = await readBody(request, maxBodyBytes);
    const agentId = event.agentId as string;
    const base = options.agents?.tunnelUrl?.(agentId) ?? baseUrl();
    const encoded = encodeRequestBody(body);
    const requestJson = routeRequestJson({
      body: encoded.body,
      body_encoding: encoded.body_encoding,
      headers: lowerCasedHeaders(request.rawHeaders),
      method,
      osaurus: { agent_address: options.agents?.address?.(agentId) ?? '', base_url: base, plugin_url: `${base}/plugins/${event.pluginId}` },
      path: event.path,
      path_params: params,
      plugin_id: event.pluginId,
      query: parseQuery(rawQuery),
      remote_addr: '',
      route_id: route.id,
    });
    const outcome = await plugin.instance.handleRoute(requestJson, { agentId, timeoutMs: routeTimeoutMs });
    switch (outcome.kind) {
      case 'returned': {
        const parsed = parseRouteResponse(outcome.text);
        if (!parsed.ok) return fail(exchange, parsed.status, parsed.message);
        return send(exchange, parsed.response.status, parsed.response.headers, parsed.response.body);
      }
      case 'null':
        return fail(exchange, 500, 'Plugin error: Plugin route handler returned NULL');
      case 'timeout':
        return fail(exchange, 500, `Plugin error: Plugin route handler timed out after ${outcome.timeoutMs / 1000}s`);
      case 'shut_down':
        return fail(exchange, 500, 'Plugin error: Plugin has been shut down');
      case 'too_large':
        return fail(exchange, 500, `Plugin error: Plugin response of ${outcome.bytes} bytes is over the host's limit`);
      case 'invalid_argument':
        return fail(exchange, 500, `Plugin error: ${outcome.message}`);
      case 'unavailable':
        return fail(exchange, 502, `Plugin error: ${outcome.message}`);
    }
  }

  async function serveWeb(exchange: Exchange, plugin: MountedPlugin, web: ManifestWeb, rawQuery: string) {
    const { request, response, event } = exchange;
    event.kind = 'web';
    if (!isLocal(request) && web.tunnel_exposed !== true) return fail(exchange, 404, 'No matching route');
    if (web.auth === 'owner' && !(await ownerAuthorized(request))) return fail(exchange, 401, 'Authentication required');
    const mount = normalizeWebMount(web.mount);
    const rel = mount === '/' ? event.path : event.path.slice(mount.length);
    const context = { pluginId: event.pluginId, apiMount: effectiveApiMount(web), agentId: event.agentId as string };

    const devProxy = options.home ? await readDevProxy(options.home) : null;
    if (devProxy && devProxy.plugin_id === event.pluginId) {
      event.kind = 'dev_proxy';
      const target = devProxyTarget(devProxy.web_proxy, rel, rawQuery);
      if (!target) return fail(exchange, 502, 'Invalid proxy URL');
      const body = await readBody(request, maxBodyBytes);
      let answer: Awaited<ReturnType<typeof forwardToDevServer>>;
      try {
        answer = await forwardToDevServer(request, target, body, options.devProxyTimeoutMs ?? 10_000);
      } catch (error) {
        return fail(exchange, 502, `Dev server unreachable: ${(error as Error).message}`);
      }
      if (answer.status < 200 || answer.status > 599) return fail(exchange, 502, 'Invalid response from dev server');
      const html = /^text\/html\b/i.test(answer.contentType);
      return send(exchange, answer.status, [['Content-Type', answer.contentType]], html ? Buffer.from(injectOsaurusContext(answer.body, context)) : answer.body);
    }

    const resolved = await resolveStaticFile(plugin.directory, web.static_dir, web.entry, rel);
    if (resolved.kind === 'invalid_path') return fail(exchange, 400, 'Invalid path');
    if (resolved.kind === 'access_denied') return fail(exchange, 403, 'Access denied');
    if (resolved.kind === 'not_found') return fail(exchange, 404, 'File not found');
    const headers: [string, string][] = [
      ['Content-Type', mimeTypeFor(resolved.path)],
      ['Cache-Control', 'public, max-age=3600'],
    ];
    if (isHtmlPath(resolved.path)) {
      return send(exchange, 200, headers, Buffer.from(injectOsaurusContext(await readFile(resolved.path), context)));
    }
    event.status = 200;
    response.writeHead(200, responseHeaderList(headers, resolved.size));
    if (request.method === 'HEAD') return void response.end();
    const stream = createReadStream(resolved.path);
    stream.on('error', () => response.destroy());
    stream.pipe(response);
  }

  async function serve(exchange: Exchange, url: ParsedUrl): Promise<void> {
    const { request, event } = exchange;
    if (request.rawHeaders.length / 2 > maxHeaderCount) return fail(exchange, 431, 'Request header fields too large');
    if (url.kind === 'invalid_path') return fail(exchange, 400, 'Invalid path');
    if (url.kind === 'invalid_route') return fail(exchange, 404, 'Invalid plugin route');
    // CORS preflight is the host's; plugins never receive OPTIONS.
    if (request.method === 'OPTIONS') return send(exchange, 204, [], Buffer.alloc(0));
    event.pluginId = url.pluginId;
    event.path = url.subpath;
    const plugin = options.plugins.get(url.pluginId);
    const web = plugin?.manifest.capabilities.web;
    const inWebMount = web !== undefined && webMountCaptures(web.mount, url.subpath);
    const agentId = agentOf(request, url.rawQuery) ?? (inWebMount ? agentFromReferer(request, url.pluginId, web) : undefined);
    if (agentId === undefined || !isUuid(agentId)) return fail(exchange, 401, AGENT_REQUIRED);
    event.agentId = agentId;
    if (!plugin) return fail(exchange, 404, `Plugin not found: ${url.pluginId}`);
    if (web && inWebMount) return serveWeb(exchange, plugin, web, url.rawQuery);
    const routes = plugin.manifest.capabilities.routes ?? [];
    const method = (request.method ?? 'GET').toUpperCase();
    const exact = matchRoute(routes, method, url.subpath);
    // HEAD on a GET route goes through the GET pipeline; Node drops the body (P113).
    const match = exact ?? (method === 'HEAD' ? matchRoute(routes, 'GET', url.subpath) : null);
    if (!match) return fail(exchange, 404, 'No matching route');
    return serveRoute(exchange, plugin, match.route, match.params, url.rawQuery, exact ? (request.method ?? 'GET') : 'GET');
  }

  function handle(request: IncomingMessage, response: ServerResponse): boolean {
    const url = parsePluginUrl(request.url ?? '/');
    if (!url) return false;
    const startedAt = performance.now();
    const exchange: Exchange = {
      request,
      response,
      event: { kind: 'rejected', pluginId: '', agentId: null, method: request.method ?? 'GET', path: '', routeId: null, status: 0, error: null, durationMs: 0 },
    };
    response.once('close', () => {
      exchange.event.durationMs = performance.now() - startedAt;
      if (exchange.event.status === 0) exchange.event.status = response.statusCode;
      options.onServed?.(exchange.event);
    });
    serve(exchange, url).catch((error: unknown) => {
      if (error instanceof RequestBodyTooLarge) return fail(exchange, 413, `Request body is larger than ${maxBodyBytes} bytes`);
      if (response.headersSent) return void response.destroy();
      fail(exchange, 500, `Plugin error: ${(error as Error).message}`);
    });
    return true;
  }

  function refuseUpgrade(socket: Duplex, status: number, reason: string, message: string): void {
    const body = errorBody(message);
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, url: ParsedUrl): Promise<void> {
    if (url.kind !== 'plugin') return refuseUpgrade(socket, 400, 'Bad Request', 'Invalid path');
    const plugin = options.plugins.get(url.pluginId);
    const web = plugin?.manifest.capabilities.web;
    // Only a dev-proxied web UI takes WebSockets, and only from this machine: a browser's WebSocket
    // cannot send X-Osaurus-Agent-Id, and the dev server is reachable on loopback anyway.
    const devProxy = options.home ? await readDevProxy(options.home) : null;
    if (!plugin || !web || !webMountCaptures(web.mount, url.subpath) || devProxy?.plugin_id !== url.pluginId || !isLocal(request)) {
      return refuseUpgrade(socket, 404, 'Not Found', 'No matching route');
    }
    if (web.auth === 'owner' && !(await ownerAuthorized(request))) return refuseUpgrade(socket, 401, 'Unauthorized', 'Authentication required');
    const mount = normalizeWebMount(web.mount);
    const target = devProxyTarget(devProxy.web_proxy, mount === '/' ? url.subpath : url.subpath.slice(mount.length), url.rawQuery);
    if (!target) return refuseUpgrade(socket, 502, 'Bad Gateway', 'Invalid proxy URL');
    tunnelUpgrade(request, socket, head, target);
  }

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = parsePluginUrl(request.url ?? '/');
    if (!url) return false;
    socket.on('error', () => socket.destroy());
    upgrade(request, socket, head, url).catch(() => socket.destroy());
    return true;
  }

  return { handle, handleUpgrade };
}
