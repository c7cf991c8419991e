import { InferenceStreamError } from './errors.js';

/** One OpenAI-compatible server (llama.cpp, Ollama, vLLM, the Osaurus app, a cloud API). */
export interface ProviderConfig {
  /** Shown as `provider` in list_models; `local` resolves to the provider named by `localProvider`. */
  name: string;
  /** The server's OpenAI base URL, including the `/v1` suffix. */
  baseURL: string;
  apiKey?: string;
  /** Chat models served; when empty or absent the list is read from the server's `GET /models`. */
  models?: string[];
  /** Embedding models served; these are only used by `embed`. */
  embeddingModels?: string[];
}

/** Where inference goes: the providers plus the host-wide defaults. */
export interface InferenceConfig {
  providers: ProviderConfig[];
  /** Model used for `""` / `"default"` when the agent has none; else the first provider's first model. */
  defaultModel?: string;
  /** Name of the provider that answers `"local"`; else a provider named `local`. */
  localProvider?: string;
  /** Model used by `embed` when the request names none; else the first configured embedding model. */
  defaultEmbeddingModel?: string;
}

/** Environment variables read by {@link loadInferenceConfig}. */
export const INFERENCE_ENV = {
  baseURL: 'OSR_HOST_OPENAI_BASE_URL',
  apiKey: 'OSR_HOST_OPENAI_API_KEY',
  models: 'OSR_HOST_OPENAI_MODELS',
} as const;

/** Name of the provider built from the environment variables. */
export const ENV_PROVIDER_NAME = 'openai';

/**
 * Builds the inference configuration from a parsed config-file object (or
 * `undefined`) plus the environment: `OSR_HOST_OPENAI_BASE_URL` adds a provider
 * named `openai` with `OSR_HOST_OPENAI_API_KEY` and the comma-separated
 * `OSR_HOST_OPENAI_MODELS`. Throws `invalid_config` on a malformed config.
 */
export function loadInferenceConfig(
  config: unknown,
  env: Record<string, string | undefined> = process.env,
): InferenceConfig {
  const result: InferenceConfig = config === undefined ? { providers: [] } : parseConfig(config);
  const baseURL = env[INFERENCE_ENV.baseURL]?.trim();
  if (baseURL) {
    if (result.providers.some((provider) => provider.name === ENV_PROVIDER_NAME)) {
      throw configError(
        `${INFERENCE_ENV.baseURL} adds a provider named "${ENV_PROVIDER_NAME}", but the config file already has one; rename the config-file provider or unset the variable.`,
      );
    }
    const apiKey = env[INFERENCE_ENV.apiKey]?.trim();
    const models = splitList(env[INFERENCE_ENV.models]);
    result.providers.push({
      name: ENV_PROVIDER_NAME,
      baseURL: checkedURL(baseURL, INFERENCE_ENV.baseURL),
      ...(apiKey ? { apiKey } : {}),
      ...(models.length > 0 ? { models } : {}),
    });
  }
  return result;
}

function parseConfig(config: unknown): InferenceConfig {
  if (!isRecord(config)) throw configError('The inference config must be an object with a "providers" array.');
  const providersValue = config['providers'] ?? [];
  if (!Array.isArray(providersValue)) throw configError('"providers" must be an array of provider objects.');
  const providers = providersValue.map((value, index) => parseProvider(value, index));
  const names = new Set<string>();
  for (const provider of providers) {
    if (names.has(provider.name)) throw configError(`Provider name "${provider.name}" is used twice; give each provider its own name.`);
    names.add(provider.name);
  }
  const result: InferenceConfig = { providers };
  for (const key of ['defaultModel', 'localProvider', 'defaultEmbeddingModel'] as const) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.trim() === '') throw configError(`"${key}" must be a non-empty string.`);
    result[key] = value.trim();
  }
  if (result.localProvider !== undefined && !names.has(result.localProvider)) {
    throw configError(`"localProvider" names "${result.localProvider}", which is not a configured provider.`);
  }
  return result;
}

function parseProvider(value: unknown, index: number): ProviderConfig {
  const where = `providers[${index}]`;
  if (!isRecord(value)) throw configError(`${where} must be an object with "name" and "baseURL".`);
  const { name, baseURL, apiKey, models, embeddingModels } = value;
  if (typeof name !== 'string' || name.trim() === '') throw configError(`${where}.name must be a non-empty string.`);
  if (typeof baseURL !== 'string') throw configError(`${where}.baseURL must be a URL string such as "http://127.0.0.1:8080/v1".`);
  if (apiKey !== undefined && typeof apiKey !== 'string') throw configError(`${where}.apiKey must be a string.`);
  const provider: ProviderConfig = { name: name.trim(), baseURL: checkedURL(baseURL, `${where}.baseURL`) };
  if (apiKey) provider.apiKey = apiKey;
  if (models !== undefined) provider.models = stringList(models, `${where}.models`);
  if (embeddingModels !== undefined) provider.embeddingModels = stringList(embeddingModels, `${where}.embeddingModels`);
  return provider;
}

function checkedURL(value: string, where: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch (cause) {
    throw new InferenceStreamError('invalid_config', `${where} is not a valid URL: "${value}".`, { cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(`${where} must be an http or https URL, got "${value}".`);
  }
  return url.href.replace(/\/$/, '');
}

function stringList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.trim() === '')) {
    throw configError(`${where} must be an array of non-empty model names.`);
  }
  return value.map((item: string) => item.trim());
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function configError(message: string): InferenceStreamError {
  return new InferenceStreamError('invalid_config', message);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
