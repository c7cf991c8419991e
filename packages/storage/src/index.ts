export { StorageError, type StorageErrorCode } from './errors.js';
export { createDatabaseSlotHandler, type DatabaseSlotHandler, type DatabaseSlotHandlerOptions } from './slot-handler.js';
export { assertValidPluginId, pluginDatabasePath, pluginDataDirectory } from './paths.js';
export {
  createPluginStorage,
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_MAX_BYTES,
  type ExecResult,
  type PluginDatabase,
  PluginStorage,
  type PluginStorageOptions,
  type QueryResult,
  type SqlParams,
} from './plugin-storage.js';
export {
  type Agent,
  type AgentRegistry,
  agentRegistry,
  agents,
  DEFAULT_AGENT_ID,
  normalizeAgentId,
  storageMigrations,
} from './agents.js';
export {
  type HostDatabase,
  hostDatabasePath,
  hostSchema,
  type Migration,
  type MigrationSet,
  type OpenHostDatabaseOptions,
  openHostDatabase,
} from './host-database.js';
