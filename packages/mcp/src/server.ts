import { createRequire } from 'node:module';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError as ProtocolError,
  type RequestId,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { PluginDirectory } from '@osr-host/abi';
import { effectivePermissionPolicy, type ManifestTool } from '@osr-host/manifest';
import { checkArguments } from './arguments.js';
import { buildCatalog, type CatalogEntry, type ServedPlugin, type ToolTarget } from './catalog.js';
import { type InterpretedReply, interpretToolReply, toolFailure } from './tool-result.js';

export interface PluginToolServerOptions {
  /**
   * The host's plugin directory (P171), whose plugins' tools are served. `list()` is read at every
   * `tools/list` and `tools/call`, so a live directory's reloads show at once.
   */
  plugins: Pick<PluginDirectory<ToolTarget, ServedPlugin['manifest']>, 'list'>;
  /** The agent calls run under when a session names none (D8: the host's first ordinary agent); null for none. */
  agentId: string | null;
  /** Shown to clients at initialize (default `osr-host` and this package's version). */
  serverInfo?: { name: string; version: string };
  /** Gap between progress notifications of a running call, in milliseconds (default 1000). */
  progressIntervalMs?: number;
  /** Hears every tool call: when the client cancels it, and when its work has finished. */
  onCallEvent?: (event: ToolCallEvent) => void;
}

/** One tool call as seen by the server, for logs and Insights. */
export type ToolCallEvent =
  | { type: 'cancelled'; name: string; pluginId: string; toolId: string; agentId: string | null }
  | {
      type: 'finished';
      name: string;
      pluginId: string;
      toolId: string;
      agentId: string | null;
      isError: boolean;
      /** The failure's kind (`invalid_args`, `user_denied`, the plugin's own `kind`, …); null for a success. */
      errorKind: string | null;
      /** The plugin ran it: false when the host refused the call first (arguments, permission). */
      reachedPlugin: boolean;
      /** The client had cancelled it; its result went nowhere. */
      cancelled: boolean;
      durationMs: number;
    };

/** Calls whose native work is still running, split by whether anyone still waits for them. */
export interface ToolCallStats {
  running: number;
  /** Cancelled by the client but still inside the plugin (its thread cannot be interrupted). */
  cancelledStillRunning: number;
}

export interface SessionOptions {
  /** The agent this session's calls run under; undefined takes the server's `agentId`. */
  agentId?: string | null;
  /**
   * Runs when the client cancelled a call, so the transport can let go of
   * what it holds for it: the SDK sends no response to a cancelled request,
   * and streamable HTTP would otherwise keep that request's stream open.
   */
  onCallCancelled?: (requestId: RequestId) => void;
}

/** Serves the plugins' tools to any number of MCP sessions. */
export interface PluginToolServer {
  /** A new SDK `Server` for one client connection; connect it to a transport. It is forgotten once closed. */
  createSession(options?: SessionOptions): Server;
  /** Sends `notifications/tools/list_changed` to every connected session; call it after the plugin set changed. */
  notifyToolsChanged(): Promise<void>;
  /** The tools as MCP lists them right now. */
  listTools(): Tool[];
  stats(): ToolCallStats;
  /** Closes every session. */
  close(): Promise<void>;
}

const DEFAULT_PROGRESS_INTERVAL_MS = 1000;
const PACKAGE_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

const inputSchemas = new WeakMap<ManifestTool, Tool['inputSchema']>();

/**
 * MCP requires an object schema; a manifest without one (or with another type) takes any object.
 * One object per manifest tool, so its compiled validator is reused across calls.
 */
function inputSchemaOf(tool: ManifestTool): Tool['inputSchema'] {
  let schema = inputSchemas.get(tool);
  if (!schema) {
    const parameters = tool.parameters as Record<string, unknown> | null | undefined;
    const isObjectSchema = parameters !== null && typeof parameters === 'object' && !Array.isArray(parameters) && (parameters.type === undefined || parameters.type === 'object');
    schema = isObjectSchema ? { ...parameters, type: 'object' } : { type: 'object' };
    inputSchemas.set(tool, schema);
  }
  return schema;
}

/** `<tool id> (<plugin name>)`: the manifest has no tool title, so the ids a user knows stand in. */
function titleOf(entry: CatalogEntry): string {
  return `${entry.tool.id} (${entry.pluginName ?? entry.pluginId})`;
}

/** A tool that talks to the network says so: `openWorldHint`, from the manifest's `requirements`. */
function annotationsOf(entry: CatalogEntry): Tool['annotations'] {
  const openWorld = entry.tool.requirements?.includes('network') === true;
  return { title: titleOf(entry), ...(openWorld ? { openWorldHint: true } : {}) };
}

function toolOf(entry: CatalogEntry): Tool {
  return {
    name: entry.name,
    title: titleOf(entry),
    description: entry.tool.description,
    inputSchema: inputSchemaOf(entry.tool),
    annotations: annotationsOf(entry),
    _meta: { 'osr-host/plugin_id': entry.pluginId, 'osr-host/tool_id': entry.tool.id },
  };
}

/** Tools whose manifest asks for confirmation in so many words (P110); `deny` tools are not served at all. */
function asksFirst(entry: CatalogEntry): boolean {
  return entry.tool.permission_policy !== undefined && effectivePermissionPolicy(entry.tool) === 'ask';
}

function served(entry: CatalogEntry): boolean {
  return effectivePermissionPolicy(entry.tool) !== 'deny';
}

/**
 * Creates the MCP face of a host: every loaded plugin's manifest tools,
 * named uniquely across plugins (see `buildCatalog`), called through the
 * plugin's `invokeTool` under the session's agent, with results mapped by
 * `envelopeToCallToolResult`.
 */
export function createPluginToolServer(options: PluginToolServerOptions): PluginToolServer {
  const sessions = new Set<Server>();
  const serverInfo = options.serverInfo ?? { name: 'osr-host', version: PACKAGE_VERSION };
  const progressIntervalMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS;
  const counts: ToolCallStats = { running: 0, cancelledStillRunning: 0 };
  const catalog = () => buildCatalog(options.plugins.list()).filter(served);

  /** A call the host answers itself, before any plugin code runs. */
  function refused(entry: CatalogEntry, agentId: string | null, answer: InterpretedReply): CallToolResult {
    options.onCallEvent?.({
      type: 'finished',
      name: entry.name,
      pluginId: entry.pluginId,
      toolId: entry.tool.id,
      agentId,
      isError: true,
      errorKind: answer.errorKind,
      reachedPlugin: false,
      cancelled: false,
      durationMs: 0,
    });
    return answer.result;
  }

  /** Whether the user lets an `ask` tool run: through elicitation when the client offers it, else the client's own approval stands (P110). */
  async function permitted(server: Server, entry: CatalogEntry, args: unknown, signal: AbortSignal): Promise<boolean> {
    if (!asksFirst(entry) || !server.getClientCapabilities()?.elicitation) return true;
    const answer = await server
      .elicitInput(
        {
          mode: 'form',
          message: `Allow ${titleOf(entry)} to run with ${JSON.stringify(args)}?`,
          requestedSchema: { type: 'object', properties: {} },
        },
        { signal },
      )
      .catch(() => null); // no answer (the client failed or went away) is no permission
    return answer?.action === 'accept';
  }

  async function callTool(
    entry: CatalogEntry,
    payloadJson: string,
    agentId: string | null,
    signal: AbortSignal,
    reportProgress: ((message: string) => void) | null,
  ): Promise<CallToolResult> {
    const started = performance.now();
    const identity = { name: entry.name, pluginId: entry.pluginId, toolId: entry.tool.id, agentId };
    let cancelled = false;
    counts.running++;
    const work = entry.plugin
      .invokeTool(entry.tool.id, payloadJson, { agentId, signal })
      .then(interpretToolReply, (error: unknown) => toolFailure('execution_error', `The host failed to run the tool: ${(error as Error)?.message ?? String(error)}`))
      .then(({ result, errorKind }) => {
        if (cancelled) counts.cancelledStillRunning--;
        else counts.running--;
        options.onCallEvent?.({
          type: 'finished',
          ...identity,
          isError: result.isError === true,
          errorKind,
          reachedPlugin: true,
          cancelled,
          durationMs: performance.now() - started,
        });
        return result;
      });

    let ticks = 0;
    reportProgress?.(`${entry.pluginId}/${entry.tool.id} started`);
    const timer = reportProgress
      ? setInterval(() => reportProgress(`${entry.pluginId}/${entry.tool.id} running for ${((++ticks * progressIntervalMs) / 1000).toFixed(1)} s`), progressIntervalMs)
      : undefined;
    let stopWaiting: () => void = () => {};
    const released = new Promise<null>((resolve) => {
      stopWaiting = () => resolve(null);
      signal.addEventListener('abort', stopWaiting, { once: true });
    });
    if (signal.aborted) stopWaiting();
    try {
      const result = await Promise.race([work, released]);
      if (result) return result;
      // The native call cannot be interrupted: count it until its thread returns, as the runtime does for timeouts.
      cancelled = true;
      counts.running--;
      counts.cancelledStillRunning++;
      options.onCallEvent?.({ type: 'cancelled', ...identity });
      return { isError: true, content: [{ type: 'text', text: 'cancelled: The client cancelled this call.' }] };
    } finally {
      clearInterval(timer);
      signal.removeEventListener('abort', stopWaiting);
    }
  }

  function createSession(sessionOptions: SessionOptions = {}): Server {
    const agentId = sessionOptions.agentId === undefined ? options.agentId : sessionOptions.agentId;
    const server = new Server(serverInfo, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: catalog().map(toolOf) }));
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const entry = catalog().find((candidate) => candidate.name === request.params.name);
      if (!entry) {
        throw new ProtocolError(ErrorCode.InvalidParams, `Unknown tool "${request.params.name}"; list the tools again, the plugin set may have changed.`);
      }
      const progressToken = request.params._meta?.progressToken;
      let progress = 0;
      const reportProgress =
        progressToken === undefined
          ? null
          : (message: string) => {
              void extra
                .sendNotification({ method: 'notifications/progress', params: { progressToken, progress: progress++, message } })
                .catch(() => {}); // a client gone mid-call is noticed through the abort signal
            };
      const args = request.params.arguments ?? {};
      const problem = checkArguments(inputSchemaOf(entry.tool), args);
      if (problem) {
        return refused(entry, agentId, toolFailure('invalid_args', `${problem.field} ${problem.message}`, [`field: ${problem.field}`]));
      }
      return permitted(server, entry, args, extra.signal).then((allowed) => {
        if (!allowed) return refused(entry, agentId, toolFailure('user_denied', `The user did not allow ${titleOf(entry)} to run.`));
        return callTool(entry, JSON.stringify(args), agentId, extra.signal, reportProgress).then((result) => {
          if (extra.signal.aborted) sessionOptions.onCallCancelled?.(extra.requestId);
          return result;
        });
      });
    });
    sessions.add(server);
    server.onclose = () => sessions.delete(server);
    return server;
  }

  return {
    createSession,
    async notifyToolsChanged() {
      // A session whose connection is already gone is closing anyway; the others must still hear it.
      await Promise.all([...sessions].map((server) => server.sendToolListChanged().catch(() => {})));
    },
    listTools: () => catalog().map(toolOf),
    stats: () => ({ ...counts }),
    async close() {
      await Promise.all([...sessions].map((server) => server.close()));
    },
  };
}
