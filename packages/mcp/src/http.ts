import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { jsonNestingDepth } from '@osr-host/manifest';
import writeFileAtomic from 'write-file-atomic';
import { McpError } from './errors.js';
import type { PluginToolServer } from './server.js';

export interface McpHttpOptions {
  /** Validates `Authorization: Bearer <key>` from any peer: the host's access keys (`AccessKeyStore.verify` of @osr-host/routes). */
  verifyAccessKey?: (key: string) => boolean | Promise<boolean>;
  /** A secret accepted as `Authorization: Bearer <token>` from loopback peers only (see `writeLoopbackToken`). */
  loopbackToken?: string;
  /** Validates the agent a session names in `X-Osaurus-Agent-Id` at initialize; a refused one gets 400. */
  acceptAgent?: (agentId: string) => boolean;
  /** Where the endpoint is mounted (default `/mcp`). */
  path?: string;
}

/** The streamable HTTP endpoint, to mount on a node:http server. */
export interface McpHttpHandler {
  /** Serves the request when its path is the endpoint's (returns true); otherwise leaves it alone (false). */
  handle(request: IncomingMessage, response: ServerResponse): boolean;
  /** Sessions currently open. */
  readonly sessionCount: number;
  /** Ends every session. */
  close(): Promise<void>;
}

const TOKEN_PREFIX = 'osr-mcp-';
const AGENT_HEADER = 'x-osaurus-agent-id';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function bearerOf(request: IncomingMessage): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match ? (match[1] as string) : null;
}

/** The SDK's own body cap (4 MiB), applied here because the body is read before the SDK sees it. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Deepest JSON nesting a JSON-RPC body may have: tool arguments need a few
 * levels; deeper bodies are refused before parsing, since parsing and schema
 * validation of deep input would hold the event loop for seconds.
 */
const MAX_BODY_DEPTH = 512;

type BodyRead = { ok: true; parsed: unknown } | { ok: false; status: number; code: number; message: string };

/** Reads and parses a POST body within the size and depth caps, or says why not. */
async function readJsonBody(request: IncomingMessage): Promise<BodyRead> {
  const tooLarge: BodyRead = { ok: false, status: 413, code: -32000, message: `Payload Too Large: Request body must not exceed ${MAX_BODY_BYTES} bytes` };
  if (Number(request.headers['content-length']) > MAX_BODY_BYTES) {
    request.resume();
    return tooLarge;
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    received += chunk.length;
    if (received > MAX_BODY_BYTES) {
      request.resume();
      return tooLarge;
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const depth = jsonNestingDepth(text, MAX_BODY_DEPTH);
  if (depth > MAX_BODY_DEPTH) {
    return { ok: false, status: 400, code: -32700, message: `Parse error: the body nests arrays/objects more than ${MAX_BODY_DEPTH} levels deep; flatten it.` };
  }
  try {
    return { ok: true, parsed: JSON.parse(text) };
  } catch {
    return { ok: false, status: 400, code: -32700, message: 'Parse error: Invalid JSON' };
  }
}

/** The body for the SDK: parsed here for POST (within the caps), left to the SDK otherwise. Null once an error was sent. */
async function parsedBodyOf(request: IncomingMessage, response: ServerResponse): Promise<{ body: unknown } | null> {
  if (request.method !== 'POST') return { body: undefined };
  const read = await readJsonBody(request);
  if (read.ok) return { body: read.parsed };
  sendJsonRpcError(response, read.status, read.message, {}, read.code);
  return null;
}

function sendJsonRpcError(response: ServerResponse, status: number, message: string, headers: Record<string, string> = {}, code = -32000): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

/**
 * Mints a loopback token, writes it to `file` (mode 0600, replaced
 * atomically) for local MCP clients to read, and returns it. A new token
 * per host start means a token copied elsewhere stops working on restart.
 */
export function writeLoopbackToken(file: string): string {
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileAtomic.sync(file, `${token}\n`, { mode: 0o600 });
  } catch (error) {
    throw new McpError('token_file_unwritable', `Cannot write the MCP loopback token to ${file}; check that its directory is writable.`, { cause: error });
  }
  return token;
}

/**
 * Streamable HTTP (MCP 2025-03-26 and later) at `/mcp`: one SDK session per
 * client, with its own agent. Every request must carry
 * `Authorization: Bearer <credential>`: an access key from any peer, or the
 * loopback token from 127.0.0.0/8 or ::1; anything else gets 401.
 */
export function createMcpHttpHandler(toolServer: PluginToolServer, options: McpHttpOptions): McpHttpHandler {
  if (!options.verifyAccessKey && !options.loopbackToken) {
    throw new McpError('no_credentials', 'The MCP endpoint needs a way to admit clients: pass verifyAccessKey, loopbackToken, or both.');
  }
  const path = options.path ?? '/mcp';
  const loopbackDigest = options.loopbackToken ? digest(options.loopbackToken) : null;
  const transports = new Map<string, StreamableHTTPServerTransport>();

  async function isAuthorized(request: IncomingMessage): Promise<boolean> {
    const credential = bearerOf(request);
    if (credential === null) return false;
    if (loopbackDigest && isLoopbackAddress(request.socket.remoteAddress) && timingSafeEqual(digest(credential), loopbackDigest)) return true;
    return options.verifyAccessKey ? await options.verifyAccessKey(credential) : false;
  }

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!(await isAuthorized(request))) {
      request.resume();
      sendJsonRpcError(response, 401, 'Send Authorization: Bearer <host access key>, or the loopback token from this machine.', {
        'www-authenticate': 'Bearer realm="osr-host"',
      });
      return;
    }
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = transports.get(sessionId);
      if (!transport) {
        request.resume();
        sendJsonRpcError(response, 404, 'Unknown or ended MCP session; initialize a new one.');
        return;
      }
      const read = await parsedBodyOf(request, response);
      if (read) await transport.handleRequest(request, response, read.body);
      return;
    }

    const read = await parsedBodyOf(request, response);
    if (!read) return;
    const requestedAgent = request.headers[AGENT_HEADER];
    const agentId = typeof requestedAgent === 'string' && requestedAgent !== '' ? requestedAgent : undefined;
    if (agentId !== undefined && options.acceptAgent && !options.acceptAgent(agentId)) {
      request.resume();
      sendJsonRpcError(response, 400, `Unknown agent "${agentId}" in X-Osaurus-Agent-Id; name an agent of this host, or leave the header out.`);
      return;
    }
    // Without a session id only initialize is valid; the transport answers anything else with 400.
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        transports.set(id, transport);
      },
    });
    const session = toolServer.createSession({
      ...(agentId === undefined ? {} : { agentId }),
      onCallCancelled: (requestId) => transport.closeSSEStream(requestId),
    });
    const forgetSession = session.onclose;
    session.onclose = () => {
      forgetSession?.();
      if (transport.sessionId) transports.delete(transport.sessionId);
    };
    await session.connect(transport);
    await transport.handleRequest(request, response, read.body);
    if (!transport.sessionId) await session.close();
  }

  return {
    handle(request, response) {
      const url = request.url ?? '';
      const queryStart = url.indexOf('?');
      if ((queryStart === -1 ? url : url.slice(0, queryStart)) !== path) return false;
      serve(request, response).catch((error: unknown) => {
        if (!response.headersSent) sendJsonRpcError(response, 500, `The MCP endpoint failed: ${(error as Error)?.message ?? String(error)}`);
        else response.destroy();
      });
      return true;
    },
    get sessionCount() {
      return transports.size;
    },
    async close() {
      await Promise.all([...transports.values()].map((transport) => transport.close()));
    },
  };
}
