export {
  ConfigDelivery,
  type ConfigChange,
  type ConfigDeliveryOptions,
  type ConfigTarget,
  composeFullPush,
  type DeclaredConfigField,
  type DeliveryOptions,
  renderConfigDefault,
} from './config-delivery.js';
export {
  type ConfigContext,
  type ConfigScope,
  ConfigStore,
  type ConfigStoreOptions,
  configKeyMaxBytes,
  configPluginQuotaBytes,
  configValueMaxBytes,
  defaultServicePrefix,
  type PluginWriteListener,
} from './config-store.js';
export {
  EncryptedFileSecretStore,
  type EncryptedFileSecretStoreOptions,
  notInKeychainWarningKey,
  secretKeyEnvVar,
} from './encrypted-file-store.js';
export { ConfigKeychainError, type ConfigKeychainErrorCode } from './errors.js';
export { type KeychainAvailability, KeyringSecretStore, probeKeychain } from './keyring-store.js';
export { type KeytarModule, KeytarSecretStore, loadKeytar } from './keytar-store.js';
export { MemorySecretStore } from './memory-store.js';
export { createOnceFilter, onceKey, type WarnFn } from './once.js';
export { type OpenSecretStoreOptions, openSecretStore, type SecretStoreBackend } from './open-secret-store.js';
export type { Credential, SecretStore, SecretStoreKind } from './secret-store.js';
