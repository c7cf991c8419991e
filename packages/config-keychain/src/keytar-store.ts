import { ConfigKeychainError, describeCause } from './errors.js';
import type { Credential, SecretStore } from './secret-store.js';

/** The part of the `keytar` module this package uses. */
export interface KeytarModule {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Credential[]>;
}

/**
 * The OS keychain through `keytar`. keytar and `@napi-rs/keyring` use different
 * attribute schemas and cannot read each other's entries.
 */
export class KeytarSecretStore implements SecretStore {
  readonly kind = 'keytar';
  readonly #keytar: KeytarModule;

  constructor(keytar: KeytarModule) {
    this.#keytar = keytar;
  }

  getPassword(service: string, account: string): Promise<string | null> {
    return this.#keytar.getPassword(service, account);
  }

  setPassword(service: string, account: string, password: string): Promise<void> {
    return this.#keytar.setPassword(service, account, password);
  }

  deletePassword(service: string, account: string): Promise<boolean> {
    return this.#keytar.deletePassword(service, account);
  }

  findCredentials(service: string): Promise<Credential[]> {
    return this.#keytar.findCredentials(service);
  }
}

// A variable specifier keeps bundlers and the type checker from requiring the optional peer.
const keytarModuleName = 'keytar';

/**
 * Loads the optional peer `keytar` on demand.
 * Throws `backend_unavailable` with install instructions when it is missing or cannot load.
 */
export async function loadKeytar(): Promise<KeytarModule> {
  let loaded: { default?: KeytarModule } & Partial<KeytarModule>;
  try {
    loaded = await import(keytarModuleName);
  } catch (cause) {
    throw new ConfigKeychainError(
      'backend_unavailable',
      `The keytar secret-store backend needs the optional package "keytar", which could not be loaded (${describeCause(cause)}). ` +
        'Install it with `npm install keytar` (on Linux it builds against libsecret-1-dev), or use the default @napi-rs/keyring backend.',
      { cause },
    );
  }
  const keytar = loaded.default ?? loaded;
  if (typeof keytar.getPassword !== 'function' || typeof keytar.findCredentials !== 'function') {
    throw new ConfigKeychainError(
      'backend_unavailable',
      'The installed "keytar" package does not have the keytar API (getPassword, setPassword, deletePassword, findCredentials). Install keytar 7.x.',
    );
  }
  return keytar as KeytarModule;
}
