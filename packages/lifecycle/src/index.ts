export {
  extractZip,
  type FileWriter,
  MAX_ARCHIVE_BYTES,
  MAX_ARCHIVE_FILES,
  MAX_ENTRY_DEPTH,
  MAX_ENTRY_NAME_BYTES,
  MAX_EXPANSION_RATIO,
  MAX_EXTRACTED_BYTES,
} from './archive.js';
export {
  CONSENT_FILE,
  DEV_INSTALL_FILE,
  type ConsentRecord,
  consentToInstalled,
  declaredRequirements,
  grantConsent,
  readConsent,
  widenedRequirements,
  writeConsent,
} from './consent.js';
export { CrashGuard, LOADING_MARKER, QUARANTINE_FILE, quarantineMessage, type QuarantineReview, type QuarantineRow } from './crash-guard.js';
export {
  type AdminAnswer,
  type AdminCommandIo,
  type AdminHandlers,
  adminChannelFiles,
  askRunningServe,
  forwardTasksCommand,
  handleAdminRequest,
  type PublishedAdminEndpoint,
  publishAdminEndpoint,
  type RunningServe,
  runningServe,
} from './admin-channel.js';
export { type BuildPlan, DevLoop, type DevLoopOptions, planBuild } from './dev-loop.js';
export { writeFileDurably } from './durable-file.js';
export {
  type DiagnoseOptions,
  diagnoseInstalled,
  formatHealthReport,
  type PluginHealth,
  type PluginProblem,
  type PluginProblemCode,
  verifyInstalled,
} from './health.js';
export { LifecycleError, type LifecycleErrorCode } from './errors.js';
export {
  type ConsentOutcome,
  type ConsentRequest,
  type InstalledPlugin,
  type InstallOptions,
  type InstallPayload,
  type InstallProgress,
  type InstallResult,
  type InstallStep,
  installFromPath,
  installPayload,
  listPlugins,
  parsePackageName,
  removePlugin,
} from './install.js';
export { activeVersion, findLibraries, installedPluginIds, installedVersions, libraryExtension, pluginDirectory, toolsRoot, trustedKeysDirectory } from './layout.js';
export {
  generateMinisignKeyPair,
  type MinisignKeyPair,
  type MinisignPublicKey,
  type MinisignSignature,
  type MinisignSignOptions,
  minisignSign,
  parseMinisignPublicKey,
  parseMinisignSignature,
  verifyMinisign,
} from './minisign.js';
export { decodeReceipt, hostPlatform, type PluginReceipt, sha256File } from './receipt.js';
export {
  install,
  installFromRegistry,
  installFromUrl,
  type PluginSpec,
  type RegistryArtifact,
  type RegistryInstallOptions,
  type RegistryVersion,
  type ResolveOptions,
  pinnedAuthorKey,
  readRegistry,
  resolveArtifact,
  upgradePlugin,
} from './registry.js';
export { installFromProject, isPluginProject, PROJECT_FILE, type PluginProject, packageProject, readProject } from './project.js';
export { type OutdatedPlugin, outdatedPlugins, type RegistryMatch, searchRegistry } from './registry-queries.js';
export { rollbackPlugin } from './rollback.js';
export { createScaffold, type Scaffold, type ScaffoldLanguage, type ScaffoldOptions } from './scaffold.js';
export { DEV_INSTALL_MESSAGE, type ScanFailure, type ScanFailureReason, type ScannedPlugin, type ScanOptions, type ScanResult, scanPlugins } from './scan.js';
export { recoverAbandonedInstalls, STAGING_DIRECTORY } from './staging.js';
export { RECEIPT_FILE, readTrustedKeys, SIGNATURE_SUFFIX, trustPublisherKey, type VerificationFailure, type VerifyOptions, verifyLibrary } from './verify.js';
