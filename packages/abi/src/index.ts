export { DEFAULT_AGENT_ID, isDefaultAgentId, isUuid, parseUuid, UUID_PATTERN } from './agents.js';
export type { CallOutcome, FrameKind, HostCallRecord } from './calls.js';
export {
  ENVELOPE_CODES,
  type EnvelopeCode,
  type EnvelopeCodeDescriptor,
  type ErrorEnvelope,
  errorEnvelope,
  isEnvelopeCode,
} from './envelopes.js';
export type { PluginDirectory, PluginEntry } from './plugin-directory.js';
export { LOG_LEVEL_NAMES, type LogLevelName, logLevelName, logLevelStatus } from './log-levels.js';
export {
  ABI_PROBE_KEY,
  DEFAULT_HOST_ABI_LEVEL,
  ENTRY_SYMBOL_V1,
  ENTRY_SYMBOL_V2,
  HOST_ABI_LEVELS,
  HOST_SLOTS,
  type HostAbiLevel,
  type HostSlotDescriptor,
  type HostSlotName,
  hostSlot,
  hostSlotIndex,
  hostSlotsAtLevel,
  type InsightsBodies,
  type InsightsRoute,
  isHostAbiLevel,
  PLUGIN_FIELDS,
  type PluginFieldName,
  type PluginFunctionName,
  SERVED_SLOTS,
  type ServedSlotName,
  type SlotAnswer,
  signatureParameterNames,
  TASK_EVENT,
  type TaskEventName,
} from './slots.js';
