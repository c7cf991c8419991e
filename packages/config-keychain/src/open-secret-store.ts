import { EncryptedFileSecretStore } from './encrypted-file-store.js';
import { ConfigKeychainError } from './errors.js';
import { KeyringSecretStore, probeKeychain } from './keyring-store.js';
import { KeytarSecretStore, loadKeytar } from './keytar-store.js';
import { MemorySecretStore } from './memory-store.js';
import type { WarnFn } from './once.js';
import type { SecretStore } from './secret-store.js';

/** Which backend `openSecretStore` should open. */
export type SecretStoreBackend = 'auto' | 'keyring' | 'keytar' | 'encrypted-file' | 'memory';

export interface OpenSecretStoreOptions {
  /**
   * `auto` (default): the OS keychain through @napi-rs/keyring, else the encrypted
   * file with one warning. `keyring` fails instead of falling back. keytar is never
   * picked automatically: it cannot read @napi-rs/keyring entries, so switching
   * silently would hide every stored secret.
   */
  backend?: SecretStoreBackend;
  /** The encrypted secrets file, used by `encrypted-file` and by the `auto` fallback, e.g. `<home>/config/secrets.enc`. */
  fallbackFilePath?: string;
  /** Key material for the encrypted file; defaults to `OSR_HOST_SECRET_KEY`, then a generated key file. */
  secretKey?: string;
  /** Receives the one warning about falling back; defaults to `process.emitWarning`. */
  warn?: WarnFn;
  /** Upper bound for the keychain probe, so a pending unlock prompt never blocks startup. */
  probeTimeoutMs?: number;
}

function requireFallbackPath(options: OpenSecretStoreOptions): string {
  if (options.fallbackFilePath) return options.fallbackFilePath;
  throw new ConfigKeychainError(
    'invalid_argument',
    `The "${options.backend ?? 'auto'}" secret-store backend needs fallbackFilePath (where the encrypted secrets file lives).`,
  );
}

async function openEncryptedFile(
  filePath: string,
  options: OpenSecretStoreOptions,
  fallbackReason?: string,
): Promise<EncryptedFileSecretStore> {
  const store = new EncryptedFileSecretStore({ filePath, secretKey: options.secretKey, warn: options.warn, fallbackReason });
  await store.verify();
  return store;
}

/** Opens the secret store the host should use; see `OpenSecretStoreOptions.backend`. */
export async function openSecretStore(options: OpenSecretStoreOptions = {}): Promise<SecretStore> {
  const backend = options.backend ?? 'auto';
  switch (backend) {
    case 'memory':
      return new MemorySecretStore();
    case 'keytar':
      return new KeytarSecretStore(await loadKeytar());
    case 'encrypted-file':
      return openEncryptedFile(requireFallbackPath(options), options);
    case 'keyring':
    case 'auto': {
      const filePath = backend === 'auto' ? requireFallbackPath(options) : '';
      const availability = await probeKeychain({ timeoutMs: options.probeTimeoutMs });
      if (availability.available) return new KeyringSecretStore();
      if (backend === 'keyring') {
        throw new ConfigKeychainError(
          'backend_unavailable',
          `The OS keychain cannot store secrets (${availability.reason}). Unlock it or start its daemon, or use the "auto" backend to fall back to an encrypted file.`,
        );
      }
      return openEncryptedFile(filePath, options, availability.reason);
    }
    default:
      throw new ConfigKeychainError(
        'invalid_argument',
        `Unknown secret-store backend "${String(backend)}": use auto, keyring, keytar, encrypted-file or memory.`,
      );
  }
}
