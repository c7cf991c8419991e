export { DEFAULT_MAX_BODY_CHARS, formatByteCount, MAX_PATH_CHARS, scrubBody, truncateText } from './bodies.js';
export {
  diagnoseLoadFailure,
  hostApiWarningLine,
  type LoadFailureDiagnosis,
  loadedPluginLine,
  loadFailureLine,
  pluginLogLine,
  printable,
} from './console.js';
export { InsightsError, type InsightsErrorCode } from './errors.js';
export {
  CLARIFY_NOT_SUPPORTED,
  type HostCallInput,
  LOG_LEVEL_NAMES,
  type LogLevelName,
  logLevelName,
  logLevelStatus,
  toActivityRow,
} from './record.js';
export { type ActivityRow, insightsMigrations, insightsRows, insightsWarnings, type NewActivityRow, type WarningRow } from './schema.js';
export {
  type ActivityFilter,
  type ActivityPage,
  ActivityStore,
  type ActivityStoreOptions,
  DEFAULT_RETENTION,
  type PageRequest,
  type PluginStats,
  payloadPath,
  type WarningEntry,
} from './store.js';
export { type AgentOp, hostApiWarnings, type TaskOp, WarningLog, type WarningLogOptions, type WarningSpec, warningPluginId } from './warnings.js';
