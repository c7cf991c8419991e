import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dashboardPage, escapeHtml } from './dashboard-page.js';
import { InsightsError } from './errors.js';
import { type FilterText, parseFilter } from './filters.js';
import type { ActivityRow } from './schema.js';
import type { ActivityStore } from './store.js';

export interface DashboardOptions {
  /** Where the host mounts the page (default `/insights`). */
  mountPath?: string;
  /**
   * The host access key. When set, it opens the page from any address (as
   * `?token=<key>` once, or `Authorization: Bearer <key>` on each API call).
   * When absent, only loopback clients are served, after opening a one-time
   * link (`loginUrl`, or a fresh one from `newLoginUrl`).
   */
  accessKey?: string;
  /** How long a browser session lasts after a link opened it (default 7 days); the cookie survives browser restarts. */
  sessionTtlMs?: number;
  /** How long a link from `newLoginUrl` stays usable if nobody opens it (default 15 minutes). */
  linkTtlMs?: number;
  /** How often live views look for new rows (default 500 ms). */
  pollIntervalMs?: number;
  now?: () => number;
}

export interface InsightsDashboard {
  /** Serves the request if its path is under the mount and returns true; otherwise returns false and leaves it alone. */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** The one-time token; print `loginUrl(origin)` when the server starts. */
  readonly startupToken: string;
  /** `<origin><mount>?token=<startupToken>`: opens one browser session, once. */
  loginUrl(origin: string): string;
  /** A new one-time link, for a browser that lost its session after the startup link was used. */
  newLoginUrl(origin: string): string;
  /** Ends open live streams (call before closing the server). */
  close(): void;
}

const SESSION_COOKIE = 'osr_insights_session';
const DAY_MS = 86_400_000;

/** What a browser sees instead of raw JSON when its link was used or its session expired. */
function signInPage(message: string): string {
  const escaped = escapeHtml(message).replace(/`([^`]+)`/g, '<code>$1</code>');
  return `<!doctype html><meta charset="utf-8"><title>Insights: sign in</title><h1>Insights needs a new link</h1><p>${escaped}</p>`;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/** JSON that is safe even if a browser sniffs it as HTML: `<`, `>` and `&` are escaped. */
function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  response.writeHead(status, { ...COMMON_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  response.end(safeJson(value));
}

interface Asset {
  path: string;
  contentType: string;
  body: string;
}

/**
 * uPlot's script and stylesheet, read from the installed package once, so the
 * page needs nothing from outside the host. The content hash in the path lets
 * browsers cache them across page loads and drop them when the package changes.
 */
function chartAssets(mount: string): { script: Asset; style: Asset } {
  const require = createRequire(import.meta.url);
  const asset = (file: string, extension: string, contentType: string): Asset => {
    const body = readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    return { path: `${mount}/assets/uplot.${hash}.${extension}`, contentType, body };
  };
  return {
    script: asset('uPlot.iife.min.js', 'js', 'text/javascript; charset=utf-8'),
    style: asset('uPlot.min.css', 'css', 'text/css; charset=utf-8'),
  };
}

/** A list row: everything but the bodies, which the detail endpoint serves. */
function summary(row: ActivityRow) {
  const { requestBody, responseBody, payload, ...rest } = row;
  return rest;
}

function filterText(params: URLSearchParams): FilterText {
  const text: FilterText = { payload: params.getAll('payload').filter(Boolean) };
  for (const key of ['plugin', 'agent', 'path', 'status', 'level', 'since', 'until', 'text'] as const) {
    const value = params.get(key);
    if (value) text[key] = value;
  }
  return text;
}

/**
 * The Insights page and its JSON/SSE endpoints as a node:http handler the
 * host mounts (e.g. `if (!dashboard.handle(req, res)) …` in its server).
 */
export function createInsightsDashboard(store: ActivityStore, options: DashboardOptions = {}): InsightsDashboard {
  const mount = (options.mountPath ?? '/insights').replace(/\/+$/, '');
  if (!mount.startsWith('/')) throw new InsightsError('invalid_argument', `mountPath ${JSON.stringify(options.mountPath)} must start with "/".`);
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const assets = chartAssets(mount);
  const sessionTtlMs = options.sessionTtlMs ?? 7 * DAY_MS;
  const linkTtlMs = options.linkTtlMs ?? 15 * 60_000;
  const startupToken = randomBytes(24).toString('base64url');
  /** Unused one-time tokens and when each stops working. */
  const links = new Map<string, number>([[startupToken, Number.POSITIVE_INFINITY]]);
  /** Browser sessions and when each expires. */
  const sessions = new Map<string, number>();
  const origin = (base: string) => base.replace(/\/+$/, '');

  /** Takes a one-time token out of `links` if it is valid now; expired ones are dropped on the way. */
  const redeemLink = (token: string): boolean => {
    for (const [candidate, expires] of links) {
      if (expires <= now()) links.delete(candidate);
      else if (sameSecret(token, candidate)) return links.delete(candidate);
    }
    return false;
  };
  const streams = new Set<() => void>();

  const cookieSession = (request: IncomingMessage): string | undefined => {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === SESSION_COOKIE) return value.join('=');
    }
    return undefined;
  };

  const authorized = (request: IncomingMessage, url: URL, response: ServerResponse): 'ok' | 'handled' | 'denied' => {
    if (!options.accessKey && !isLoopback(request.socket.remoteAddress)) return 'denied';
    const session = cookieSession(request);
    if (session && (sessions.get(session) ?? 0) > now()) return 'ok';
    if (session) sessions.delete(session);
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (options.accessKey && bearer && sameSecret(bearer, options.accessKey)) return 'ok';
    const token = url.searchParams.get('token');
    const opensPage = token !== null && ((options.accessKey !== undefined && sameSecret(token, options.accessKey)) || redeemLink(token));
    if (!opensPage) return 'denied';
    const newSession = randomBytes(24).toString('base64url');
    sessions.set(newSession, now() + sessionTtlMs);
    url.searchParams.delete('token');
    response.writeHead(303, {
      ...COMMON_HEADERS,
      location: `${url.pathname}${url.search}`,
      'set-cookie': `${SESSION_COOKIE}=${newSession}; HttpOnly; SameSite=Strict; Path=${mount}; Max-Age=${Math.floor(sessionTtlMs / 1000)}`,
    });
    response.end();
    return 'handled';
  };

  const stream = (request: IncomingMessage, response: ServerResponse, params: URLSearchParams) => {
    const filter = parseFilter(filterText(params), now());
    const after = Number(params.get('after') ?? store.latestId());
    response.writeHead(200, { ...COMMON_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    response.write(': live\n\n');
    const stop = store.follow(Number.isSafeInteger(after) ? after : store.latestId(), filter, (rows) => {
      response.write(`event: rows\ndata: ${safeJson(rows.map(summary))}\n\n`);
    }, pollIntervalMs);
    const end = () => {
      stop();
      streams.delete(end);
      response.end();
    };
    streams.add(end);
    request.on('close', end);
  };

  const route = (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const rest = url.pathname.slice(mount.length);
    if (rest === '' || rest === '/') {
      const nonce = randomBytes(16).toString('base64');
      response.writeHead(200, {
        ...COMMON_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      });
      response.end(dashboardPage({ mountPath: mount, nonce, scriptPath: assets.script.path, stylePath: assets.style.path }));
      return;
    }
    const asset = [assets.script, assets.style].find((candidate) => candidate.path === url.pathname);
    if (asset) {
      response.writeHead(200, { ...COMMON_HEADERS, 'content-type': asset.contentType, 'cache-control': 'private, max-age=31536000, immutable' });
      response.end(asset.body);
      return;
    }
    const params = url.searchParams;
    const rowMatch = /^\/api\/rows\/(\d+)$/.exec(rest);
    if (rowMatch) {
      const row = store.get(Number(rowMatch[1]));
      if (row) sendJson(response, 200, row);
      else sendJson(response, 404, { error: 'not_found', message: 'No such row: it may have been removed by retention.' });
      return;
    }
    switch (rest) {
      case '/api/rows': {
        const page = store.query(parseFilter(filterText(params), now()), { limit: Number(params.get('limit') ?? 100), cursor: params.get('cursor') });
        sendJson(response, 200, { rows: page.rows.map(summary), nextCursor: page.nextCursor, latestId: store.latestId() });
        return;
      }
      case '/api/stats':
        sendJson(response, 200, store.stats(parseFilter(filterText(params), now())));
        return;
      case '/api/warnings':
        sendJson(response, 200, store.warnings(params.get('plugin') ? { pluginId: params.get('plugin')! } : {}));
        return;
      case '/api/stream':
        stream(request, response, params);
        return;
      default:
        sendJson(response, 404, { error: 'not_found', message: `Nothing at ${url.pathname}; the page is at ${mount}.` });
    }
  };

  return {
    startupToken,
    loginUrl: (base) => `${origin(base)}${mount}?token=${startupToken}`,
    newLoginUrl(base) {
      const token = randomBytes(24).toString('base64url');
      links.set(token, now() + linkTtlMs);
      return `${origin(base)}${mount}?token=${token}`;
    },
    handle(request, response) {
      const url = new URL(request.url ?? '/', 'http://insights.invalid');
      if (url.pathname !== mount && !url.pathname.startsWith(`${mount}/`)) return false;
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        sendJson(response, 405, { error: 'method_not_allowed', message: 'Insights is read-only: use GET.' });
        return true;
      }
      const access = authorized(request, url, response);
      if (access === 'handled') return true;
      if (access === 'denied') {
        const message = options.accessKey
          ? 'Open Insights with ?token=<host access key>, or send Authorization: Bearer <host access key>.'
          : 'Each Insights link opens one browser session, once. Print a new link for the running host with `osr-host insights link` (add `--home DIR` if it serves another home) and open it on this machine.';
        if ((request.headers.accept ?? '').includes('text/html')) {
          response.writeHead(401, { ...COMMON_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
          response.end(signInPage(message));
        } else {
          sendJson(response, 401, { error: 'unauthorized', message });
        }
        return true;
      }
      try {
        route(request, response, url);
      } catch (error) {
        if (error instanceof InsightsError && error.code === 'invalid_argument') sendJson(response, 400, { error: 'invalid_request', message: error.message });
        else sendJson(response, 500, { error: 'internal', message: (error as Error).message });
      }
      return true;
    },
    close() {
      for (const end of [...streams]) end();
    },
  };
}
