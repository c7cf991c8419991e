export { ManifestError, type ManifestErrorCode, type ManifestErrorOptions } from './errors.js';
export { jsonNestingDepth, MAX_MANIFEST_BYTES, MAX_MANIFEST_DEPTH } from './json-input.js';
export { type ParseManifestOptions, type ParseManifestResult, parseManifest } from './parse.js';
export { type LoadedManifest, loadManifest, manifestFailureMessage } from './load.js';
export { formatProblem, type ManifestProblem, type ManifestProblemCode } from './problems.js';
export {
  type ConfigDefault,
  type ConfigFieldType,
  type ConfigOption,
  type ConfigValidation,
  type ConnectAction,
  type DisconnectAction,
  type Manifest,
  type ManifestCapabilities,
  type ManifestConfig,
  type ManifestConfigField,
  type ManifestConfigSection,
  type ManifestDocs,
  type ManifestDocsLink,
  type ManifestRoute,
  type ManifestSecret,
  type ManifestTool,
  type ManifestWeb,
  manifestSchema,
  type RouteAuth,
} from './schema.js';
export { manifestJsonSchema } from './json-schema.js';
export { effectiveApiMount, effectivePermissionPolicy, type PermissionPolicy } from './effective-values.js';
export { normalizeWebMount, webMountCaptures } from './web-mount.js';
export {
  checkMinMacos,
  checkMinOsaurus,
  compareOsaurusVersions,
  compareSemanticVersions,
  type MinMacosOutcome,
  type MinOsaurusOutcome,
  parseHostVersion,
  parseSemanticVersion,
  type SemanticVersion,
} from './versions.js';
export { MANIFEST_CLI_OPTIONS, type ManifestCliIo, runManifestCli } from './manifest-cli.js';
