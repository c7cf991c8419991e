export { RuntimeError, type RuntimeErrorCode } from './errors.js';
export { RuntimeEvents, type RuntimeEventMap } from './events.js';
export { answerFrameAgent, type FrameKind, type HostApi, type HostCallContext, type HostCallRecord } from './host-api.js';
export {
  type CallOptions,
  type CallOutcome,
  DEFAULT_TIMEOUTS,
  type LoadPluginOptions,
  NativePlugin,
  type PluginTimeouts,
  toolResult,
} from './plugin.js';
export {
  DEFAULT_MEMORY_LIMIT_BYTES,
  IsolatedPlugin,
  type IsolatedPluginOptions,
  type IsolationOptions,
  PLUGIN_PROCESS_PATH,
  pluginProcessEnvironment,
} from './isolation/isolated-plugin.js';
export type { PluginInstance } from './plugin-instance.js';
export { PluginRuntime, type RuntimeOptions } from './runtime.js';
export { type SlotHandler, SlotServer, type SlotServerOptions } from './slot-server.js';
export {
  hostCallStatus,
  MAX_ARGUMENT_DEPTH,
  notSupportedEnvelope,
  PLUGIN_SHUTTING_DOWN_REPLY,
  refusedArgument,
  type RefusedArgument,
  SLOT_RULES,
  type ServedSlot,
  type SlotRules,
} from './slots.js';
