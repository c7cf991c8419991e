export type { ChunkEnvelope, FinishReason, Usage } from './chat-run.js';
export {
  ENV_PROVIDER_NAME,
  INFERENCE_ENV,
  type InferenceConfig,
  loadInferenceConfig,
  type ProviderConfig,
} from './config.js';
export { InferenceStreamError, type InferenceStreamErrorCode } from './errors.js';
export {
  createInferenceHost,
  type InferenceHost,
  type InferenceHostOptions,
  MAX_INFLIGHT_PER_PLUGIN,
  type WarnFn,
} from './host.js';
export type { ModelEntry } from './providers.js';
export {
  type AgentProfile,
  DEFAULT_MAX_ITERATIONS,
  type InferenceContext,
  type InferenceManifest,
  MAX_ITERATIONS_LIMIT,
  type PluginTools,
  pluginToolsOf,
  type ToolRunner,
} from './request.js';
