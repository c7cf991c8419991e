/** One stored secret of a service, as `findCredentials` returns it. */
export interface Credential {
  account: string;
  password: string;
}

/** Which backend a `SecretStore` is. */
export type SecretStoreKind = 'keyring' | 'keytar' | 'encrypted-file' | 'memory';

/**
 * A keytar-shaped secret store: passwords addressed by (service, account).
 * `""` is a stored value, distinct from a missing one.
 */
export interface SecretStore {
  readonly kind: SecretStoreKind;
  /** The stored password, or `null` when there is none. */
  getPassword(service: string, account: string): Promise<string | null>;
  /** Stores (or replaces) the password. */
  setPassword(service: string, account: string, password: string): Promise<void>;
  /** Removes the password; `true` if one was stored. */
  deletePassword(service: string, account: string): Promise<boolean>;
  /** Every (account, password) stored under exactly this service. */
  findCredentials(service: string): Promise<Credential[]>;
}
