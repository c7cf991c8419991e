export { DEFAULT_MAX_BODY_CHARS, formatByteCount, MAX_PATH_CHARS, MAX_REDACTED_JSON_CHARS, MAX_REDACTED_JSON_DEPTH, scrubBody, truncateText, unstoredMarker } from './bodies.js';
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
  toActivityRow,
} from './record.js';
export {
  type RouteRequestInput,
  routeRequestRow,
  type ToolCallInput,
  toolCallRow,
  type ToolCallSurface,
  toolCallStatus,
} from './surface-rows.js';
export { type ActivityRow, insightsMigrations, insightsRows, insightsWarnings, type NewActivityRow, type WarningRow } from './schema.js';
export {
  type ActivityFilter,
  type ActivityPage,
  ActivityStore,
  type ActivityStoreOptions,
  type PluginLogEntry,
  DEFAULT_RETENTION,
  type PageRequest,
  type PluginStats,
  payloadPath,
  type WarningEntry,
} from './store.js';
export { type AgentOp, hostApiWarnings, type TaskOp, WarningLog, type WarningLogOptions, type WarningSpec, warningPluginId } from './warnings.js';
export { type CliIo, type CliStoreSource, formatRowLine, INSIGHTS_CLI_COMMANDS, INSIGHTS_CLI_OPTIONS, INSIGHTS_CLI_USAGE, runInsightsCli } from './cli.js';
export { createInsightsDashboard, type DashboardOptions, type InsightsDashboard } from './dashboard.js';
export { type FilterText, parseFilter } from './filters.js';
export { createOtlpExport, type OtlpExport, type OtlpExportOptions, otlpOptionsFromEnv } from './otlp.js';
