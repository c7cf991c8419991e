import OpenAI from 'openai';
import type { InferenceConfig, ProviderConfig } from './config.js';
import { InferenceStreamError } from './errors.js';

/** A model name bound to the provider that serves it. */
export interface ResolvedModel {
  provider: ProviderConfig;
  client: OpenAI;
  model: string;
}

/** One `list_models` entry (HOST_API.md §5). */
export interface ModelEntry {
  id: string;
  name: string;
  provider: string;
  type: 'chat' | 'embedding';
  capabilities: string[];
}

interface ProviderState {
  config: ProviderConfig;
  client: OpenAI;
  /** Models read from `GET /models` for providers configured without a list. */
  discovered: string[] | null;
}

/** The configured providers: SDK clients, model resolution and the aggregated model list. */
export class ProviderSet {
  readonly #states: ProviderState[];
  readonly #config: InferenceConfig;
  readonly #timeoutMs: number;

  constructor(config: InferenceConfig, timeoutMs: number) {
    this.#config = config;
    this.#timeoutMs = timeoutMs;
    this.#states = config.providers.map((provider) => ({
      config: provider,
      client: new OpenAI({
        baseURL: provider.baseURL,
        // The SDK refuses to start without a key; local servers ignore it.
        apiKey: provider.apiKey ?? 'no-key',
        // No hidden retries: a dead server must fail within one timeout.
        maxRetries: 0,
        timeout: timeoutMs,
        // Garbage SSE would otherwise be printed by the SDK before it throws.
        logLevel: 'off',
      }),
      discovered: null,
    }));
  }

  /** Resolves a chat `model` per HOST_API.md §5 and D15; throws `model_unavailable`. */
  async resolveChatModel(requested: string, agentModel: string | undefined): Promise<ResolvedModel> {
    const name = requested.trim();
    const lower = name.toLowerCase();
    if (lower === '' || lower === 'default') {
      const fallback = agentModel?.trim() || this.#config.defaultModel;
      if (fallback && !['', 'default'].includes(fallback.toLowerCase())) return this.resolveChatModel(fallback, undefined);
      const first = this.#states[0];
      const firstModel = first ? (await this.#chatModels(first))[0] : undefined;
      if (!first || !firstModel) {
        throw unavailable('No default model is configured and no provider lists a model; configure a provider with a model list or a defaultModel.');
      }
      return { provider: first.config, client: first.client, model: firstModel };
    }
    if (lower === 'local') return this.#resolveLocal();
    if (lower === 'foundation') {
      throw unavailable('The Apple Foundation model is not available on this host; use "default", "local" or a model name from list_models.');
    }
    const found = (await this.#findServing(name, false)) ?? (await this.#findServing(name, true));
    if (!found) throw unavailable(`No configured provider serves the model "${name}"; call list_models for the names this host can use.`);
    return { provider: found.config, client: found.client, model: name };
  }

  /**
   * Resolves an `embed` model: absent or default → the configured embedding default. A named
   * model is served by the provider that lists it in `embeddingModels`, else by the first whose
   * server lists it in `GET /models` (servers list chat and embedding models alike).
   */
  async resolveEmbeddingModel(requested: string | undefined): Promise<ResolvedModel> {
    const name = requested?.trim() ?? '';
    const wanted =
      name === '' || name.toLowerCase() === 'default'
        ? (this.#config.defaultEmbeddingModel ?? this.#states.flatMap((state) => state.config.embeddingModels ?? [])[0])
        : name;
    if (!wanted) throw unavailable('No embedding model is configured; add "embeddingModels" to a provider, or name a model its server lists.');
    let state = this.#states.find((candidate) => candidate.config.embeddingModels?.includes(wanted));
    for (const candidate of state ? [] : this.#states) {
      if ((await this.#serverModels(candidate).catch(() => [] as string[])).includes(wanted)) {
        state = candidate;
        break;
      }
    }
    if (!state) throw unavailable(`No configured provider serves the embedding model "${wanted}"; call list_models for the names this host can use.`);
    return { provider: state.config, client: state.client, model: wanted };
  }

  /** Every provider's models; a provider that cannot be reached contributes only its configured lists. */
  async listModels(): Promise<ModelEntry[]> {
    const lists = await Promise.all(
      this.#states.map(async (state) => {
        const chat = await this.#chatModels(state, true).catch(() => [] as string[]);
        return [
          ...chat.map((id) => entry(id, state.config.name, 'chat')),
          ...(state.config.embeddingModels ?? []).map((id) => entry(id, state.config.name, 'embedding')),
        ];
      }),
    );
    return lists.flat();
  }

  async #resolveLocal(): Promise<ResolvedModel> {
    const localName = this.#config.localProvider ?? 'local';
    const state = this.#states.find((candidate) => candidate.config.name === localName);
    const model = state ? (await this.#chatModels(state))[0] : undefined;
    if (!state || !model) {
      throw unavailable('No local provider is configured; add a provider named "local" (or set localProvider) that serves at least one model.');
    }
    return { provider: state.config, client: state.client, model };
  }

  async #findServing(name: string, refresh: boolean): Promise<ProviderState | undefined> {
    for (const state of this.#states) {
      const configured = state.config.models ?? [];
      if (configured.length > 0) {
        if (!refresh && configured.includes(name)) return state;
        continue;
      }
      const models = await this.#chatModels(state, refresh).catch(() => [] as string[]);
      if (models.includes(name)) return state;
    }
    return undefined;
  }

  async #chatModels(state: ProviderState, refresh = false): Promise<string[]> {
    const configured = state.config.models ?? [];
    if (configured.length > 0) return configured;
    if (state.discovered && !refresh) return state.discovered;
    state.discovered = await this.#serverModels(state);
    return state.discovered;
  }

  /** What the provider's server lists in `GET /models`. */
  async #serverModels(state: ProviderState): Promise<string[]> {
    const page = await withDeadline(this.#timeoutMs, (signal) => state.client.models.list({ signal }));
    return page.data.map((model) => model.id);
  }
}

/**
 * Runs a non-streaming SDK call with a whole-call deadline: the SDK's own
 * timeout stops at the response headers, not at a body that never ends.
 */
export async function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await call(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw new Error(`the model server did not answer within ${ms} ms`, { cause: error });
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function entry(id: string, provider: string, type: ModelEntry['type']): ModelEntry {
  return { id, name: id, provider, type, capabilities: type === 'chat' ? ['chat', 'tool_calling'] : ['embedding'] };
}

function unavailable(message: string): InferenceStreamError {
  return new InferenceStreamError('model_unavailable', message);
}
