/** Machine-readable reasons a config-keychain operation can fail. */
export type ConfigKeychainErrorCode =
  /** A caller passed a value the API cannot accept (NUL in a key, a non-UUID agent id, an oversized value). */
  | 'invalid_argument'
  /** The requested secret-store backend cannot be used on this machine (keytar not installed, keychain locked). */
  | 'backend_unavailable'
  /** A secret-store operation failed after the backend was opened. */
  | 'secret_store_failed'
  /** The encrypted secrets file exists but cannot be decrypted or parsed. */
  | 'secret_file_unreadable'
  /** The host's `deliver` callback failed while delivering a config change to a plugin. */
  | 'delivery_failed'
  /** The write would take the plugin's stored config past its quota. */
  | 'quota_exceeded';

/**
 * The one error class of @osr-host/config-keychain: branch on `code`, show `message`.
 * Messages name keys, services and files but never a config value or a secret.
 */
export class ConfigKeychainError extends Error {
  override readonly name = 'ConfigKeychainError';
  readonly code: ConfigKeychainErrorCode;

  constructor(code: ConfigKeychainErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The message of any thrown value, for wrapping platform errors (which carry no secret values). */
export function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
