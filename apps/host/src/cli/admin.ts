import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { runTasksCli } from '@osr-host/dispatch';
import type { OsrHost } from '../host.js';
import { serveStateFiles } from '../paths.js';

/**
 * The admin channel between the CLI and a running `serve` on the same home: `serve` writes its
 * origin to `<home>/run/serve.json` and a per-start token to `<home>/run/admin-token` (0600), and
 * answers authenticated POSTs under `/admin/`.
 */
export interface RunningServe {
  origin: string;
  token: string;
}

/** The admin endpoint of the `serve` running on `home`, if one is. */
export function runningServe(home: string): RunningServe | undefined {
  const files = serveStateFiles(home);
  if (!existsSync(files.state) || !existsSync(files.token)) return undefined;
  const { origin, pid } = JSON.parse(readFileSync(files.state, 'utf8')) as { origin: string; pid: number };
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // a serve that died without cleaning up
  }
  return { origin, token: readFileSync(files.token, 'utf8').trim() };
}

export interface AdminAnswer {
  ok: boolean;
  status: number;
  body: string;
}

/** POSTs to `/admin/<action>` of the `serve` running on `home`; null when none is running. */
export async function askRunningServe(home: string, action: string): Promise<AdminAnswer | null> {
  const running = runningServe(home);
  if (!running) return null;
  const response = await fetch(`${running.origin}/admin/${action}`, { method: 'POST', headers: { Authorization: `Bearer ${running.token}` } }).catch(
    (error: unknown) => ({ ok: false, status: 0, text: async () => String(error) }),
  );
  return { ok: response.ok, status: response.status, body: await response.text() };
}

/** Runs `osr-host tasks …` inside the running host; its lines stream back as NDJSON. */
export async function forwardTasksCommand(running: RunningServe, argv: string[]): Promise<number> {
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  const response = await fetch(`${running.origin}/admin/tasks`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ argv }),
    signal: stop.signal,
  });
  if (!response.ok || !response.body) {
    process.stderr.write(`The running host refused the tasks command (${response.status}): ${await response.text()}\n`);
    return 1;
  }
  let code = 0;
  let pending = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += Buffer.from(chunk).toString('utf8');
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const message = JSON.parse(pending.slice(0, end)) as { out?: string; err?: string; exit?: number };
        pending = pending.slice(end + 1);
        if (message.out !== undefined) process.stdout.write(`${message.out}\n`);
        if (message.err !== undefined) process.stderr.write(`${message.err}\n`);
        if (message.exit !== undefined) code = message.exit;
      }
    }
  } catch (error) {
    if (!stop.signal.aborted) throw error;
  }
  return code;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export interface AdminHandlers {
  /** Reloads every plugin; answers `{reloaded, failures}`. */
  reload(): Promise<unknown>;
  /** A fresh one-time Insights link; answers `{url}`. */
  insightsLink(): { url: string };
  host(): OsrHost;
}

/**
 * Serves `POST /admin/reload|tasks|insights-link` for the CLI; returns false for any other
 * request. Every admin request must carry the token of this start.
 */
export function handleAdminRequest(request: http.IncomingMessage, response: http.ServerResponse, token: string | undefined, handlers: AdminHandlers): boolean {
  const action = /^\/admin\/(reload|tasks|insights-link)$/.exec(request.url ?? '')?.[1];
  if (!action || request.method !== 'POST') return false;
  const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
  response.setHeader('content-type', 'application/json');
  if (!token || !sameSecret(presented, token)) {
    response.statusCode = 401;
    response.end('{"error":"unauthorized","message":"Present the token from <home>/run/admin-token as a Bearer token."}');
    return true;
  }
  if (action === 'tasks') void serveTasksCommand(request, response, handlers.host());
  else if (action === 'insights-link') response.end(JSON.stringify(handlers.insightsLink()));
  else void handlers.reload().then((answer) => response.end(JSON.stringify(answer)));
  return true;
}

/** Largest `/admin/tasks` body: a command line, never data. */
const ADMIN_BODY_MAX_CHARS = 64 * 1024;

/** Runs a forwarded `osr-host tasks …` against this host's tasks, streaming its lines as NDJSON. */
async function serveTasksCommand(request: http.IncomingMessage, response: http.ServerResponse, host: OsrHost): Promise<void> {
  let body = '';
  for await (const chunk of request) {
    body += chunk;
    if (body.length > ADMIN_BODY_MAX_CHARS) break;
  }
  if (body.length > ADMIN_BODY_MAX_CHARS) {
    response.statusCode = 413;
    response.end(JSON.stringify({ error: 'request_too_large', message: `The command is over ${ADMIN_BODY_MAX_CHARS / 1024} KiB; shorten its arguments.` }));
    return;
  }
  let argv: string[];
  try {
    argv = (JSON.parse(body) as { argv: unknown }).argv as string[];
    if (!Array.isArray(argv) || !argv.every((item) => typeof item === 'string')) throw new Error('argv must be an array of strings');
  } catch (error) {
    response.statusCode = 400;
    response.end(JSON.stringify({ error: 'invalid_request', message: (error as Error).message }));
    return;
  }
  const disconnected = new AbortController();
  response.on('close', () => disconnected.abort());
  response.setHeader('content-type', 'application/x-ndjson');
  const send = (message: object) => response.write(`${JSON.stringify(message)}\n`);
  const exit = await runTasksCli(argv, { out: (line) => send({ out: line }), err: (line) => send({ err: line }), signal: disconnected.signal }, host.tasks);
  if (!disconnected.signal.aborted) response.end(`${JSON.stringify({ exit })}\n`);
}
