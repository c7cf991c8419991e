import type { PluginEntry } from '@osr-host/abi';
import { isRecord } from './config.js';
import { InferenceStreamError } from './errors.js';

/** The host tools a plugin may let the model use, and how to run one. */
export interface PluginTools {
  /** OpenAI tool definitions (`{type:"function",function:{name,…}}`) the host can execute. */
  definitions: unknown[];
  /** Runs a tool; resolves with a tool-result envelope (HOST_API.md §12). */
  invoke(name: string, argumentsJson: string): Promise<string>;
}

/** What inference needs of a loaded plugin: one of its tools run under an agent. `PluginInstance` of `@osr-host/runtime` fits. */
export interface ToolRunner {
  /** Runs a manifest tool; resolves with its tool-result envelope (HOST_API.md §12). */
  invokeTool(toolId: string, argumentsJson: string, options: { agentId: string | null }): Promise<string>;
}

/** What inference reads of a plugin's manifest; `Manifest` of `@osr-host/manifest` fits. */
export interface InferenceManifest {
  /** Appended to the system prompt of the plugin's chat calls. */
  instructions?: string | undefined;
  capabilities?: { tools?: readonly { id: string; description: string; parameters?: unknown }[] | undefined };
}

/**
 * A loaded plugin's own tools as OpenAI tool definitions the tool loop can run
 * under `agentId`; undefined when it is not loaded or declares no tool.
 */
export function pluginToolsOf(entry: PluginEntry<ToolRunner, InferenceManifest> | undefined, agentId: string | null): PluginTools | undefined {
  const tools = entry?.manifest.capabilities?.tools ?? [];
  if (!entry || tools.length === 0) return undefined;
  return {
    definitions: tools.map((tool) => ({
      type: 'function',
      function: { name: tool.id, description: tool.description, parameters: tool.parameters ?? { type: 'object' } },
    })),
    invoke: (name, argumentsJson) => entry.instance.invokeTool(name, argumentsJson, { agentId }),
  };
}

/** Who is calling: the plugin, the frame's agent and what the host adds to its requests. */
export interface InferenceContext {
  pluginId: string;
  /** The agent of the calling frame; null on a thread the plugin spawned. */
  agentId: string | null;
  /** The plugin's manifest `instructions` (or the agent's override), appended to the system prompt. */
  instructions?: string;
  tools?: PluginTools;
}

/** The agent settings applied to a plugin's inference call. */
export interface AgentProfile {
  model?: string;
  systemPrompt?: string;
  /** Used when the request sets no `temperature`. */
  temperature?: number;
  /** Used when the request sets neither `max_tokens` nor `max_completion_tokens`. */
  maxTokens?: number;
}

export type ChatMessage = Record<string, unknown> & { role: string };

/** A validated chat request, with the host extensions taken out. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  /** OpenAI parameters forwarded to the server unchanged. */
  parameters: Record<string, unknown>;
  tools: unknown[] | undefined;
  maxIterations: number;
  /** Trimmed non-blank `stream_id`, the handle for `complete_cancel`. */
  streamId: string | null;
}

export const DEFAULT_MAX_ITERATIONS = 30;
export const MAX_ITERATIONS_LIMIT = 120;

/** The documented request keys (HOST_API.md §5) that go to the server as they are. */
const FORWARDED_PARAMETERS = [
  'temperature',
  'max_tokens',
  'max_completion_tokens',
  'top_p',
  'top_k',
  'frequency_penalty',
  'presence_penalty',
  'stop',
  'seed',
  'response_format',
  'tool_choice',
  'enable_thinking',
  'reasoning_effort',
] as const;

/** Parses `request_json` into a JSON object; anything else is `invalid_request` with `failure`. */
export function parseRequestObject(requestJson: string, failure: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(requestJson);
  } catch (cause) {
    throw new InferenceStreamError('invalid_request', `${failure}: the request is not valid JSON.`, { cause });
  }
  if (!isRecord(value)) throw new InferenceStreamError('invalid_request', `${failure}: the request must be a JSON object.`);
  return value;
}

const CHAT_PARSE_FAILURE = 'Failed to parse chat completion request';

/**
 * Validates a chat request and applies the host's scoping: the agent's
 * profile, then the plugin's instructions appended to the system prompt.
 */
export function prepareChatRequest(
  raw: Record<string, unknown>,
  ctx: InferenceContext,
  agent: AgentProfile | undefined,
): ChatRequest {
  const fail = (reason: string) => new InferenceStreamError('invalid_request', `${CHAT_PARSE_FAILURE}: ${reason}`);
  const { model = '', messages } = raw;
  // The ABI header documents `model` as optional: absent means the default model, like "".
  if (typeof model !== 'string') throw fail('"model" must be a string; leave it out or use "" for the default model.');
  if (!Array.isArray(messages)) throw fail('"messages" must be an array of chat messages.');
  if (!messages.every((message) => isRecord(message) && typeof message['role'] === 'string')) {
    throw fail('every entry of "messages" must be an object with a string "role".');
  }

  const parameters: Record<string, unknown> = {};
  for (const key of FORWARDED_PARAMETERS) if (raw[key] !== undefined) parameters[key] = raw[key];
  if (agent?.temperature !== undefined && parameters['temperature'] === undefined) parameters['temperature'] = agent.temperature;
  if (agent?.maxTokens !== undefined && parameters['max_tokens'] === undefined && parameters['max_completion_tokens'] === undefined) {
    parameters['max_tokens'] = agent.maxTokens;
  }

  const tools = requestedTools(raw['tools'], ctx, fail);
  if (!tools) delete parameters['tool_choice'];

  return {
    model,
    messages: withSystemPrompt(messages as ChatMessage[], [agent?.systemPrompt, ctx.instructions]),
    parameters,
    tools,
    maxIterations: clampIterations(raw['max_iterations']),
    streamId: typeof raw['stream_id'] === 'string' && raw['stream_id'].trim() !== '' ? raw['stream_id'].trim() : null,
  };
}

/** `tools: true` asks for the host's tool set; an array is used as given. */
function requestedTools(value: unknown, ctx: InferenceContext, fail: (reason: string) => Error): unknown[] | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  const tools = value === true ? (ctx.tools?.definitions ?? []) : value;
  if (!Array.isArray(tools)) throw fail('"tools" must be an array of tool definitions or true.');
  return tools.length > 0 ? tools : undefined;
}

function clampIterations(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_MAX_ITERATIONS;
  return Math.min(MAX_ITERATIONS_LIMIT, Math.max(1, Math.trunc(value)));
}

/**
 * The agent's prompt goes before the plugin's own system content and the
 * instructions after it, each separated by a blank line.
 */
function withSystemPrompt(messages: ChatMessage[], [agentPrompt, instructions]: Array<string | undefined>): ChatMessage[] {
  const before = agentPrompt?.trim() ? agentPrompt : undefined;
  const after = instructions?.trim() ? instructions : undefined;
  if (!before && !after) return messages;
  const index = messages.findIndex((message) => message.role === 'system');
  const existing = index >= 0 ? textOf(messages[index]?.['content']) : '';
  const content = [before, existing, after].filter((part) => part).join('\n\n');
  if (index < 0) return [{ role: 'system', content }, ...messages];
  return messages.map((message, position) => (position === index ? { ...message, content } : message));
}

/** System content may be a string or an array of text parts. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part['text'] === 'string' ? part['text'] : ''))
    .filter((text) => text !== '')
    .join('\n');
}

/** The names of the tools the host can run for this plugin. */
export function executableToolNames(ctx: InferenceContext): Set<string> {
  const names = new Set<string>();
  for (const definition of ctx.tools?.definitions ?? []) {
    const name = isRecord(definition) && isRecord(definition['function']) ? definition['function']['name'] : undefined;
    if (typeof name === 'string') names.add(name);
  }
  return names;
}
