import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type OpenAI from 'openai';
import { InferenceStreamError } from './errors.js';
import type { ResolvedModel } from './providers.js';
import type { ChatMessage, ChatRequest, InferenceContext } from './request.js';

/**
 * Terminator `finish_reason` values of a plugin stream. `length`: the output
 * hit the token limit; `empty_response`: the model ended a run in which tools
 * ran without any final text.
 */
export type FinishReason = 'stop' | 'length' | 'empty_response' | 'tool_calls' | 'max_iterations' | 'cancelled';

/** A chunk as delivered to `on_chunk` (HOST_API.md §5). */
export interface ChunkEnvelope {
  id: string;
  choices: [{ index: 0; delta: Record<string, unknown>; finish_reason?: FinishReason }];
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One model call of the loop, assembled from its stream. */
export interface Turn {
  id: string;
  created: number;
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  finishReason: string | null;
  /** Usage the server reported, if it did. */
  reportedUsage: { prompt_tokens: number; completion_tokens: number } | null;
  /** Chunks that carried a token; stands in for completion_tokens when the server reports none. */
  tokenChunks: number;
  cancelled: boolean;
}

/** How a run ended; errors are thrown as `InferenceStreamError` instead. */
export interface ChatResult {
  finishReason: FinishReason;
  /** The last model call (null when cancelled before the first one). */
  lastTurn: Turn | null;
  /** Every content token streamed, across all iterations. */
  streamedContent: string;
  toolCallsExecuted: Array<{ name: string; tool_call_id: string }>;
  usage: Usage;
}

export interface ChatRunOptions {
  ctx: InferenceContext;
  request: ChatRequest;
  /** Tool names the host runs itself; a call to any other tool is handed back to the plugin. */
  executableTools: Set<string>;
  idleTimeoutMs: number;
  toolTimeoutMs: number;
  /** Receives every chunk; null discards them (the `complete` path, or a NULL `on_chunk`). */
  deliver: ((chunk: ChunkEnvelope) => Promise<void>) | null;
}

/**
 * One plugin inference call: streams each model call from the server, runs
 * the host's tools between calls, and stops early on `cancel()`.
 */
export class ChatRun {
  /** `cmpl-<12 hex>`, the id of every chunk and of the stream aggregate. */
  readonly id = `cmpl-${randomBytes(6).toString('hex')}`;
  readonly #options: ChatRunOptions;
  #cancelled = false;
  #upstream: AbortController | null = null;
  readonly #cancelSignal: Promise<null>;
  #signalCancel: () => void = () => {};
  readonly #startedAt = performance.now();
  #lastTokenAt = this.#startedAt;
  #lastTextWasReasoning = false;
  #promptTokens = 0;
  #completionTokens = 0;

  constructor(options: ChatRunOptions) {
    this.#options = options;
    this.#cancelSignal = new Promise((resolve) => {
      this.#signalCancel = () => resolve(null);
    });
  }

  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** Non-blocking: flags the run and drops the upstream HTTP request at once. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#upstream?.abort();
    this.#signalCancel();
  }

  /** Runs the loop against `resolved`; a run cancelled before this starts ends at once. */
  async run(resolved: ResolvedModel): Promise<ChatResult> {
    const { request, executableTools } = this.#options;
    const messages: ChatMessage[] = [...request.messages];
    const executed: ChatResult['toolCallsExecuted'] = [];
    let streamedContent = '';
    let lastTurn: Turn | null = null;
    const end = async (finishReason: FinishReason) => {
      const usage = this.#usage();
      await this.#deliver({
        usage: {
          completion_tokens: usage.completion_tokens,
          tokens_per_second: this.#tokensPerSecond(),
          unclosed_reasoning: this.#lastTextWasReasoning,
        },
      });
      await this.#deliver({}, finishReason);
      return { finishReason, lastTurn, streamedContent, toolCallsExecuted: executed, usage };
    };

    for (let iteration = 1; ; iteration++) {
      if (this.#cancelled) return end('cancelled');
      const turn = await this.#turn(resolved, messages);
      lastTurn = turn;
      streamedContent += turn.content;
      if (turn.cancelled) return end('cancelled');
      if (turn.toolCalls.length === 0) {
        if (turn.finishReason === 'length') return end('length');
        return end(executed.length > 0 && turn.content.trim() === '' ? 'empty_response' : 'stop');
      }

      await this.#deliver(
        { tool_calls: toWire(turn.toolCalls) },
        'tool_calls',
      );
      if (!turn.toolCalls.every((call) => executableTools.has(call.name))) return end('tool_calls');
      if (iteration >= request.maxIterations) return end('max_iterations');

      messages.push({
        role: 'assistant',
        content: turn.content === '' ? null : turn.content,
        tool_calls: toWire(turn.toolCalls),
      });
      for (const call of turn.toolCalls) {
        if (this.#cancelled) return end('cancelled');
        const result = await this.#runTool(call);
        if (result === null) return end('cancelled');
        executed.push({ name: call.name, tool_call_id: call.id });
        messages.push({ role: 'tool', tool_call_id: call.id, content: result });
        await this.#deliver({ role: 'tool', tool_call_id: call.id, content: result });
      }
    }
  }

  /** Streams one model call; an idle server, a broken stream or a server error is `inference_error`. */
  async #turn(resolved: ResolvedModel, messages: ChatMessage[]): Promise<Turn> {
    const { request, idleTimeoutMs } = this.#options;
    const turn: Turn = {
      id: '',
      created: 0,
      content: '',
      reasoning: '',
      toolCalls: [],
      finishReason: null,
      reportedUsage: null,
      tokenChunks: 0,
      cancelled: false,
    };
    const toolCallParts = new Map<number, ToolCall>();
    const upstream = new AbortController();
    this.#upstream = upstream;
    // The SDK's timeout stops at the response headers; this one also covers silence between chunks.
    let idleTimedOut = false;
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      idleTimer = setTimeout(() => {
        idleTimedOut = true;
        upstream.abort();
      }, idleTimeoutMs);
    };
    const idleError = () =>
      new InferenceStreamError(
        'inference_error',
        `The model server sent nothing for ${idleTimeoutMs} ms; check that it is running, or raise idleTimeoutMs.`,
      );

    try {
      armIdleTimer();
      const stream = await resolved.client.chat.completions.create(
        {
          ...request.parameters,
          model: resolved.model,
          messages,
          ...(request.tools ? { tools: request.tools } : {}),
          stream: true,
          stream_options: { include_usage: true },
        } as OpenAI.Chat.ChatCompletionCreateParamsStreaming,
        { signal: upstream.signal },
      );
      for await (const chunk of stream) {
        clearTimeout(idleTimer);
        if (this.#cancelled) break;
        await this.#absorb(turn, toolCallParts, chunk);
        armIdleTimer();
      }
    } catch (error) {
      if (error instanceof InferenceStreamError) throw error;
      if (!this.#cancelled) {
        if (idleTimedOut) throw idleError();
        throw new InferenceStreamError('inference_error', `The model server failed: ${describe(error)}`, { cause: error });
      }
    } finally {
      clearTimeout(idleTimer);
      this.#upstream = null;
      this.#account(turn, messages);
    }
    turn.toolCalls = [...toolCallParts.entries()].sort(([a], [b]) => a - b).map(([, call]) => call);
    if (this.#cancelled) return { ...turn, cancelled: true };
    // An abort ends the SDK's loop without an exception, so a timeout shows up here.
    if (idleTimedOut) throw idleError();
    if (turn.finishReason === null) {
      throw new InferenceStreamError('inference_error', 'The model server ended the stream before sending a finish_reason; check the server log.');
    }
    return turn;
  }

  async #absorb(turn: Turn, toolCallParts: Map<number, ToolCall>, chunk: OpenAI.Chat.ChatCompletionChunk): Promise<void> {
    turn.id ||= chunk.id;
    turn.created ||= chunk.created;
    if (chunk.usage) {
      turn.reportedUsage = { prompt_tokens: chunk.usage.prompt_tokens, completion_tokens: chunk.usage.completion_tokens };
    }
    const choice = chunk.choices?.[0];
    if (!choice) return;
    if (choice.finish_reason) turn.finishReason = choice.finish_reason;
    const delta = choice.delta as (typeof choice.delta & { reasoning_content?: unknown; reasoning?: unknown }) | undefined;
    if (!delta) return;
    // Servers name the reasoning channel either way; plugins always see reasoning_content.
    const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : delta.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') {
      this.#sawToken(turn, true);
      turn.reasoning += reasoning;
      await this.#deliver({ reasoning_content: reasoning });
    }
    if (typeof delta.content === 'string' && delta.content !== '') {
      this.#sawToken(turn, false);
      turn.content += delta.content;
      await this.#deliver({ content: delta.content });
    }
    for (const part of delta.tool_calls ?? []) {
      this.#sawToken(turn, false);
      const call = toolCallParts.get(part.index) ?? { id: '', name: '', arguments: '' };
      call.id ||= part.id ?? '';
      call.name += part.function?.name ?? '';
      call.arguments += part.function?.arguments ?? '';
      if (!call.id) call.id = `call_${randomBytes(6).toString('hex')}`;
      toolCallParts.set(part.index, call);
    }
  }

  #sawToken(turn: Turn, reasoning: boolean): void {
    turn.tokenChunks += 1;
    this.#lastTokenAt = performance.now();
    this.#lastTextWasReasoning = reasoning;
  }

  /** Server-reported usage when there is some, else chunk counts and a characters/4 prompt estimate. */
  #account(turn: Turn, messages: ChatMessage[]): void {
    this.#promptTokens += turn.reportedUsage?.prompt_tokens ?? Math.ceil(JSON.stringify(messages).length / 4);
    this.#completionTokens += turn.reportedUsage?.completion_tokens ?? turn.tokenChunks;
  }

  #usage(): Usage {
    return {
      prompt_tokens: this.#promptTokens,
      completion_tokens: this.#completionTokens,
      total_tokens: this.#promptTokens + this.#completionTokens,
    };
  }

  #tokensPerSecond(): number {
    const seconds = (this.#lastTokenAt - this.#startedAt) / 1000;
    return seconds > 0 ? Math.round((this.#completionTokens / seconds) * 100) / 100 : 0;
  }

  /** Runs a host tool, bounded by the tool timeout; null when the run is cancelled meanwhile. */
  async #runTool(call: ToolCall): Promise<string | null> {
    const { ctx, toolTimeoutMs } = this.#options;
    const failure = (kind: string, message: string, retryable: boolean) =>
      JSON.stringify({ ok: false, kind, tool: call.name, message, retryable });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(failure('timeout', `Tool '${call.name}' did not finish within ${toolTimeoutMs} ms.`, true)),
        toolTimeoutMs,
      );
    });
    const invoked = Promise.resolve()
      .then(() => ctx.tools!.invoke(call.name, call.arguments))
      .catch((error: unknown) => failure('execution_error', `Tool '${call.name}' failed: ${describe(error)}`, false));
    try {
      return await Promise.race([invoked, timedOut, this.#cancelSignal]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Content deltas are dropped once cancelled; the closing chunks always go out. */
  async #deliver(delta: Record<string, unknown>, finishReason?: FinishReason): Promise<void> {
    const { deliver } = this.#options;
    if (!deliver) return;
    if (this.#cancelled && finishReason === undefined && !('usage' in delta)) return;
    const chunk: ChunkEnvelope = {
      id: this.id,
      choices: [{ index: 0, delta, ...(finishReason ? { finish_reason: finishReason } : {}) }],
    };
    try {
      await deliver(chunk);
    } catch (cause) {
      // Thrown out of the SDK's stream loop, this also drops the upstream request.
      throw new InferenceStreamError('inference_error', `Delivering a chunk to on_chunk failed: ${describe(cause)}`, { cause });
    }
  }
}

/** Tool calls in the OpenAI message shape. */
export function toWire(calls: ToolCall[]) {
  return calls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

/** The SDK wraps socket failures as "Connection error."; the cause says what happened. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : '';
  return cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message;
}
