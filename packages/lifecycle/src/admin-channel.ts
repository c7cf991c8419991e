import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import type http from 'node:http';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { writeFileDurably } from './durable-file.js';
import { LifecycleError } from './errors.js';

/**
 * The admin channel between the CLI and a running host on the same home: the host writes its
 * origin and pid to `<home>/run/serve.json` and a per-start token to `<home>/run/admin-token`
 * (0600), and answers authenticated POSTs under `/admin/`.
 */
export function adminChannelFiles(home: string): { state: string; token: string } {
  return { state: join(home, 'run', 'serve.json'), token: join(home, 'run', 'admin-token') };
}

/** A published admin endpoint: the token callers must present, and how to take it down. */
export interface PublishedAdminEndpoint {
  token: string;
  /** Removes the state file, so the CLI stops finding this host. */
  withdraw(): void;
}

/** Mints this start's token and tells the CLI where the host on `home` listens (`origin`, e.g. `http://127.0.0.1:1337`). */
export function publishAdminEndpoint(home: string, origin: string): PublishedAdminEndpoint {
  const files = adminChannelFiles(home);
  const token = randomBytes(32).toString('base64url');
  try {
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileAtomic.sync(files.token, `${token}\n`, { mode: 0o600 });
    writeFileDurably(files.state, `${JSON.stringify({ origin, pid: process.pid })}\n`);
  } catch (cause) {
    throw new LifecycleError('write_failed', `Cannot publish the admin endpoint in ${join(home, 'run')}; check that it is writable.`, { cause });
  }
  return { token, withdraw: () => rmSync(files.state, { force: true }) };
}

/** Where the host running on a home listens, and the token it accepts. */
export interface RunningServe {
  origin: string;
  token: string;
}

/** The admin endpoint of the host running on `home`, if one is. */
export function runningServe(home: string): RunningServe | undefined {
  const files = adminChannelFiles(home);
  if (!existsSync(files.state) || !existsSync(files.token)) return undefined;
  let state: { origin: string; pid: number };
  try {
    state = JSON.parse(readFileSync(files.state, 'utf8')) as { origin: string; pid: number };
  } catch (cause) {
    throw new LifecycleError('invalid_layout', `${files.state} is not valid JSON; delete it (the running host writes it again on its next start).`, { cause });
  }
  try {
    process.kill(state.pid, 0);
  } catch {
    return undefined; // a host that died without cleaning up
  }
  return { origin: state.origin, token: readFileSync(files.token, 'utf8').trim() };
}

/** What the running host answered an admin request. */
export interface AdminAnswer {
  ok: boolean;
  /** The HTTP status; 0 when the host could not be reached. */
  status: number;
  body: string;
}

/** POSTs to `/admin/reload` or `/admin/insights-link` of the host running on `home`; null when none is running. */
export async function askRunningServe(home: string, action: 'reload' | 'insights-link'): Promise<AdminAnswer | null> {
  const running = runningServe(home);
  if (!running) return null;
  const response = await fetch(`${running.origin}/admin/${action}`, { method: 'POST', headers: { Authorization: `Bearer ${running.token}` } }).catch(
    (error: unknown) => ({ ok: false, status: 0, text: async () => String(error) }),
  );
  return { ok: response.ok, status: response.status, body: await response.text() };
}

/** Where a tasks command writes its lines; abort `signal` to stop following. */
export interface AdminCommandIo {
  out(line: string): void;
  err(line: string): void;
  signal?: AbortSignal;
}

/** Runs a tasks command line (`['watch', id]`, …) inside the running host; its lines stream back as NDJSON. Resolves with its exit code. */
export async function forwardTasksCommand(running: RunningServe, argv: readonly string[], io: AdminCommandIo): Promise<number> {
  const response = await fetch(`${running.origin}/admin/tasks`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${running.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ argv }),
    ...(io.signal ? { signal: io.signal } : {}),
  });
  if (!response.ok || !response.body) {
    io.err(`The running host refused the tasks command (${response.status}): ${await response.text()}`);
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
        if (message.out !== undefined) io.out(message.out);
        if (message.err !== undefined) io.err(message.err);
        if (message.exit !== undefined) code = message.exit;
      }
    }
  } catch (error) {
    if (!io.signal?.aborted) throw error;
  }
  return code;
}

/** What the host does for each admin action. */
export interface AdminHandlers {
  /** Reloads every plugin; the answer is sent as JSON. */
  reload(): Promise<unknown>;
  /** A fresh one-time Insights link. */
  insightsLink(): { url: string };
  /** Runs a tasks command line against the host's tasks; `io.signal` aborts when the caller disconnects. */
  runTasks(argv: string[], io: Required<AdminCommandIo>): Promise<number>;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Serves `POST /admin/reload|tasks|insights-link`; returns false for any other request, so
 * the host's other handlers can have it. Every admin request must carry `token` as a Bearer token.
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
  if (action === 'tasks') void serveTasksCommand(request, response, handlers);
  else if (action === 'insights-link') response.end(JSON.stringify(handlers.insightsLink()));
  else void handlers.reload().then((answer) => response.end(JSON.stringify(answer)));
  return true;
}

/** Largest `/admin/tasks` body: a command line, never data. */
const ADMIN_BODY_MAX_CHARS = 64 * 1024;

/** Runs a forwarded tasks command, streaming its lines as NDJSON. */
async function serveTasksCommand(request: http.IncomingMessage, response: http.ServerResponse, handlers: AdminHandlers): Promise<void> {
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
  const exit = await handlers.runTasks(argv, { out: (line) => send({ out: line }), err: (line) => send({ err: line }), signal: disconnected.signal });
  if (!disconnected.signal.aborted) response.end(`${JSON.stringify({ exit })}\n`);
}
