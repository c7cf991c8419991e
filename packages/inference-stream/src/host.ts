import { errorEnvelope, isEnvelopeCode, type PluginDirectory } from '@osr-host/abi';
import { ChatRun, type ChatResult, type ToolCall, toWire } from './chat-run.js';
import type { InferenceConfig } from './config.js';
import { InferenceStreamError } from './errors.js';
import { ProviderSet, type ResolvedModel, withDeadline } from './providers.js';
import {
  type AgentProfile,
  executableToolNames,
  type InferenceContext,
  type InferenceManifest,
  parseRequestObject,
  pluginToolsOf,
  prepareChatRequest,
  type ToolRunner,
} from './request.js';

/** At most this many complete + complete_stream + embed calls run at once per plugin. */
export const MAX_INFLIGHT_PER_PLUGIN = 2;

/** Receives a one-shot warning; `key` is `<plugin>|<op>|<reason>`. */
export type WarnFn = (key: string, message: string) => void;

export interface InferenceHostOptions extends InferenceConfig {
  warn: WarnFn;
  /**
   * The host's plugin directory (P171): a chat call's context takes the calling plugin's manifest
   * `instructions` and its own tools (run under the call's agent) from `plugins.get(pluginId)`,
   * unless the context brings its own. Absent → contexts are used as they are.
   */
  plugins?: Pick<PluginDirectory<ToolRunner, InferenceManifest>, 'get'>;
  /** The agent's model, system prompt and sampling defaults; absent → requests run as they are. */
  agentProfile?: (agentId: string) => AgentProfile | undefined;
  /** Longest silence from a model server (before headers, between chunks, whole non-streamed calls). Default 120 000 ms. */
  idleTimeoutMs?: number;
  /** Longest a host tool may run inside the tool loop. Default 120 000 ms (HOST_API.md §11). */
  toolTimeoutMs?: number;
  /** The operator's choice of model ids `list_models` shows plugins; absent → every configured model. */
  exposedModels?: readonly string[];
}

/**
 * The inference slots of the host table (HOST_API.md §5). Each JSON slot
 * resolves to an envelope string, or null for a NULL request, and never rejects.
 */
export interface InferenceHost {
  complete(ctx: InferenceContext, requestJson: string | null): Promise<string | null>;
  /** `onChunk` must resolve once the plugin's `on_chunk` has returned. */
  completeStream(
    ctx: InferenceContext,
    requestJson: string | null,
    onChunk: ((chunkJson: string) => Promise<void>) | null,
  ): Promise<string | null>;
  /** Non-blocking; safe to call while an `onChunk` of the same stream is pending. */
  completeCancel(ctx: InferenceContext, streamId: string | null): void;
  embed(ctx: InferenceContext, requestJson: string | null): Promise<string | null>;
  listModels(ctx: InferenceContext): Promise<string>;
}

type Operation = 'complete' | 'complete_stream' | 'embed';
type Envelope = Record<string, unknown>;

const CHAT_PARSE_FAILURE = 'Failed to parse chat completion request';
const EMBED_PARSE_FAILURE = 'Failed to parse embedding request';

export function createInferenceHost(options: InferenceHostOptions): InferenceHost {
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const toolTimeoutMs = options.toolTimeoutMs ?? 120_000;
  const providers = new ProviderSet(options, idleTimeoutMs);
  const exposed = exposedModelSet(options.exposedModels);
  const inflight = new Map<string, number>();
  /** pluginId → stream_id → the runs registered under it (a plugin may reuse an id). */
  const streams = new Map<string, Map<string, Set<ChatRun>>>();
  const warned = new Set<string>();

  const warnOnce = (key: string, message: string) => {
    if (warned.has(key)) return;
    warned.add(key);
    options.warn(key, `${message} This warning is logged once per plugin per op per process.`);
  };

  /** Applies the per-plugin cap, then turns any failure into an error envelope. */
  async function guarded(ctx: InferenceContext, op: Operation, body: () => Promise<Envelope>): Promise<string> {
    const count = inflight.get(ctx.pluginId) ?? 0;
    if (count >= MAX_INFLIGHT_PER_PLUGIN) {
      return JSON.stringify(
        errorEnvelope(
          'plugin_busy',
          `Plugin already has ${MAX_INFLIGHT_PER_PLUGIN} concurrent ${op} calls in flight. Retry after a previous call returns.`,
          { max_inflight: MAX_INFLIGHT_PER_PLUGIN },
        ),
      );
    }
    inflight.set(ctx.pluginId, count + 1);
    try {
      return JSON.stringify(await body());
    } catch (error) {
      // Config codes are thrown while the host starts, never inside a call.
      if (error instanceof InferenceStreamError) return JSON.stringify(errorEnvelope(isEnvelopeCode(error.code) ? error.code : 'inference_error', error.message));
      return JSON.stringify(errorEnvelope('inference_error', error instanceof Error ? error.message : String(error)));
    } finally {
      const remaining = (inflight.get(ctx.pluginId) ?? 1) - 1;
      if (remaining > 0) inflight.set(ctx.pluginId, remaining);
      else inflight.delete(ctx.pluginId);
    }
  }

  /** Calls run under the frame's agent only: request-supplied agent ids are ignored. */
  function auditAgentScope(raw: Envelope, ctx: InferenceContext, op: Operation): AgentProfile | undefined {
    for (const key of ['agent_id', 'agent_address']) {
      const value = raw[key];
      if (typeof value === 'string' && value.trim() !== '') {
        warnOnce(
          `${ctx.pluginId}|${op}|agent_override`,
          `Plugin '${ctx.pluginId}' supplied an explicit agent identifier '${value}' to ${op}. The host ignores it and runs the call under the calling frame's agent.`,
        );
      }
    }
    if (ctx.agentId === null) {
      warnOnce(
        `${ctx.pluginId}|${op}|no_agent_context`,
        `Plugin '${ctx.pluginId}' called ${op} from a thread with no resolvable agent context. The call runs without an agent.`,
      );
      return undefined;
    }
    return options.agentProfile?.(ctx.agentId);
  }

  /** The calling plugin's instructions and tools from the directory, under what the context sets itself. */
  function withPlugin(ctx: InferenceContext): InferenceContext {
    const entry = options.plugins?.get(ctx.pluginId);
    if (!entry) return ctx;
    const instructions = ctx.instructions ?? entry.manifest.instructions;
    const tools = ctx.tools ?? pluginToolsOf(entry, ctx.agentId);
    return { ...ctx, ...(instructions ? { instructions } : {}), ...(tools ? { tools } : {}) };
  }

  async function startChat(
    callerCtx: InferenceContext,
    requestJson: string,
    op: 'complete' | 'complete_stream',
    onChunk: ((chunkJson: string) => Promise<void>) | null,
  ) {
    const ctx = withPlugin(callerCtx);
    const raw = parseRequestObject(requestJson, CHAT_PARSE_FAILURE);
    const agent = auditAgentScope(raw, ctx, op);
    const request = prepareChatRequest(raw, ctx, agent);
    const run = new ChatRun({
      ctx,
      request,
      executableTools: executableToolNames(ctx),
      idleTimeoutMs,
      toolTimeoutMs,
      deliver: onChunk ? (chunk) => onChunk(JSON.stringify(chunk)) : null,
    });
    return { run, request, agent };
  }

  function register(pluginId: string, streamId: string, run: ChatRun): () => void {
    const byId = streams.get(pluginId) ?? new Map<string, Set<ChatRun>>();
    streams.set(pluginId, byId);
    const runs = byId.get(streamId) ?? new Set<ChatRun>();
    byId.set(streamId, runs);
    runs.add(run);
    return () => {
      runs.delete(run);
      if (runs.size === 0) byId.delete(streamId);
      if (byId.size === 0) streams.delete(pluginId);
    };
  }

  return {
    async complete(ctx, requestJson) {
      if (requestJson === null) return null;
      return guarded(ctx, 'complete', async () => {
        const { run, request, agent } = await startChat(ctx, requestJson, 'complete', null);
        const resolved = await providers.resolveChatModel(request.model, agent?.model);
        return completeEnvelope(await run.run(resolved), resolved, request.maxIterations);
      });
    },

    async completeStream(ctx, requestJson, onChunk) {
      if (requestJson === null) return null;
      if (!onChunk) {
        warnOnce(
          `${ctx.pluginId}|complete_stream|null_chunk`,
          `Plugin '${ctx.pluginId}' invoked complete_stream with a NULL on_chunk callback. Streamed deltas will be discarded; the aggregated return value still flows.`,
        );
      }
      return guarded(ctx, 'complete_stream', async () => {
        const { run, request, agent } = await startChat(ctx, requestJson, 'complete_stream', onChunk);
        // Registered before model resolution, so a cancel during it is not lost.
        const unregister = request.streamId ? register(ctx.pluginId, request.streamId, run) : () => {};
        try {
          const resolved = await providers.resolveChatModel(request.model, agent?.model);
          return streamEnvelope(await run.run(resolved), run, resolved, request.streamId, request.maxIterations);
        } finally {
          unregister();
        }
      });
    },

    completeCancel(ctx, streamId) {
      const id = streamId?.trim();
      if (!id) return;
      for (const run of streams.get(ctx.pluginId)?.get(id) ?? []) run.cancel();
    },

    async embed(ctx, requestJson) {
      if (requestJson === null) return null;
      return guarded(ctx, 'embed', async () => {
        const raw = parseRequestObject(requestJson, EMBED_PARSE_FAILURE);
        auditAgentScope(raw, ctx, 'embed');
        const { input, model } = raw;
        const validInput =
          typeof input === 'string' ||
          (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string'));
        if (!validInput) throw new InferenceStreamError('invalid_request', "Missing or invalid 'input' field");
        if (model !== undefined && typeof model !== 'string') {
          throw new InferenceStreamError('invalid_request', `${EMBED_PARSE_FAILURE}: "model" must be a string.`);
        }
        const resolved = await providers.resolveEmbeddingModel(model);
        const response = await withDeadline(idleTimeoutMs, (signal) =>
          resolved.client.embeddings.create({ model: resolved.model, input, encoding_format: 'float' }, { signal }),
        ).catch((cause: unknown) => {
          throw new InferenceStreamError(
            'embedding_error',
            `The embedding server failed: ${cause instanceof Error ? cause.message : String(cause)}`,
            { cause },
          );
        });
        const estimate = Math.ceil([input].flat().join('').length / 4);
        const promptTokens = response.usage?.prompt_tokens ?? estimate;
        return {
          model: resolved.model,
          data: response.data.map((item) => ({ index: item.index, embedding: item.embedding, dimensions: item.embedding.length })),
          usage: { prompt_tokens: promptTokens, total_tokens: response.usage?.total_tokens ?? promptTokens },
        };
      });
    },

    async listModels() {
      const models = await providers.listModels();
      return JSON.stringify({ models: exposed ? models.filter((model) => exposed.has(model.id)) : models });
    },
  };
}

/**
 * The error a run that ended without a usable answer returns, from complete
 * and complete_stream alike: the output hit the token limit, or the model
 * ended a tool task with no text. Undefined for any other ending.
 */
function unfinishedEnvelope(result: ChatResult, resolved: ResolvedModel): Envelope | undefined {
  const common = {
    model: resolved.model,
    partial_content: result.streamedContent,
    tool_calls_executed: result.toolCallsExecuted,
    // This host has no share_artifact tool, so no run shares an artifact.
    shared_artifacts: [],
    usage: result.usage,
  };
  if (result.finishReason === 'length') {
    return errorEnvelope('output_token_limit', 'The model output hit its token limit before the answer was complete; raise max_tokens or ask for less.', common);
  }
  if (result.finishReason === 'empty_response') {
    return errorEnvelope(
      'empty_tool_task_completion',
      `The model ended the task after ${result.toolCallsExecuted.length} tool call(s) without a final answer; ask again or try another model.`,
      common,
    );
  }
  return undefined;
}

function exposedModelSet(exposedModels: unknown): ReadonlySet<string> | undefined {
  if (exposedModels === undefined) return undefined;
  if (!Array.isArray(exposedModels) || exposedModels.some((id) => typeof id !== 'string' || id.trim() === '')) {
    throw new InferenceStreamError('invalid_config', '"exposedModels" must be an array of model ids; list the models plugins may see, or remove it to show every model.');
  }
  return new Set(exposedModels.map((id: string) => id.trim()));
}

/** `complete` returns an OpenAI chat.completion; an exhausted loop returns `max_iterations_reached`. */
function completeEnvelope(result: ChatResult, resolved: ResolvedModel, maxIterations: number): Envelope {
  const unfinished = unfinishedEnvelope(result, resolved);
  if (unfinished) return unfinished;
  const executed = result.toolCallsExecuted.length > 0 ? { tool_calls_executed: result.toolCallsExecuted } : {};
  if (result.finishReason === 'max_iterations') {
    return errorEnvelope('max_iterations_reached', `Reached max iterations (${maxIterations}) without a final response`, {
      model: resolved.model,
      partial_content: result.streamedContent,
      tool_calls_executed: result.toolCallsExecuted,
      usage: result.usage,
    });
  }
  const turn = result.lastTurn;
  const handedBack = result.finishReason === 'tool_calls' ? (turn?.toolCalls ?? []) : [];
  return {
    id: turn?.id,
    object: 'chat.completion',
    created: turn?.created,
    model: resolved.model,
    choices: [{ index: 0, message: assistantMessage(turn?.content ?? '', turn?.reasoning ?? '', handedBack), finish_reason: result.finishReason }],
    usage: result.usage,
    ...executed,
  };
}

/** `complete_stream` returns the aggregate, or the `cancelled` / `max_iterations_reached` envelope. */
function streamEnvelope(
  result: ChatResult,
  run: ChatRun,
  resolved: ResolvedModel,
  streamId: string | null,
  maxIterations: number,
): Envelope {
  const common = {
    id: run.id,
    model: resolved.model,
    partial_content: result.streamedContent,
    tool_calls_executed: result.toolCallsExecuted,
    usage: result.usage,
  };
  if (result.finishReason === 'cancelled') {
    return errorEnvelope('cancelled', 'Streaming completion cancelled by plugin via complete_cancel.', { stream_id: streamId, ...common });
  }
  if (result.finishReason === 'max_iterations') {
    return errorEnvelope(
      'max_iterations_reached',
      `Plugin streaming completion exhausted ${maxIterations} iterations without converging on a final answer.`,
      common,
    );
  }
  const unfinished = unfinishedEnvelope(result, resolved);
  if (unfinished) return { id: run.id, ...unfinished };
  const handedBack = result.finishReason === 'tool_calls' ? (result.lastTurn?.toolCalls ?? []) : [];
  return {
    id: run.id,
    model: resolved.model,
    choices: [{ index: 0, message: assistantMessage(result.streamedContent, '', handedBack), finish_reason: result.finishReason }],
    ...(result.toolCallsExecuted.length > 0 ? { tool_calls_executed: result.toolCallsExecuted } : {}),
    usage: result.usage,
  };
}

function assistantMessage(content: string, reasoning: string, toolCalls: ToolCall[]) {
  return {
    role: 'assistant',
    content: content === '' && toolCalls.length > 0 ? null : content,
    ...(reasoning !== '' ? { reasoning_content: reasoning } : {}),
    ...(toolCalls.length > 0
      ? { tool_calls: toWire(toolCalls) }
      : {}),
  };
}
