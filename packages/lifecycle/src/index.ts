export { extractZip, type FileWriter, MAX_ARCHIVE_BYTES, MAX_EXTRACTED_BYTES } from './archive.js';
export {
  CONSENT_FILE,
  type ConsentRecord,
  declaredRequirements,
  grantConsent,
  readConsent,
  widenedRequirements,
  writeConsent,
} from './consent.js';
export { CrashGuard, LOADING_MARKER, QUARANTINE_FILE, quarantineMessage, type QuarantineReview, type QuarantineRow } from './crash-guard.js';
export { writeFileDurably } from './durable-file.js';
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
export { activeVersion, findLibraries, installedVersions, libraryExtension, pluginDirectory, toolsRoot, trustedKeysDirectory } from './layout.js';
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
  type PluginSpec,
  type RegistryArtifact,
  type RegistryInstallOptions,
  type RegistryVersion,
  readRegistry,
  resolveArtifact,
  upgradePlugin,
} from './registry.js';
export { createScaffold, type Scaffold, type ScaffoldLanguage, type ScaffoldOptions } from './scaffold.js';
export { type ScanFailure, type ScanFailureReason, type ScannedPlugin, type ScanOptions, type ScanResult, scanPlugins } from './scan.js';
export { recoverAbandonedInstalls, STAGING_DIRECTORY } from './staging.js';
export { RECEIPT_FILE, readTrustedKeys, SIGNATURE_SUFFIX, trustPublisherKey, type VerificationFailure, type VerifyOptions, verifyLibrary } from './verify.js';
