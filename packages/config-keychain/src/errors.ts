/** Machine-readable reasons a config-keychain operation can fail. */
export type ConfigKeychainErrorCode = 'invalid_argument';

/** The one error class of @osr-host/config-keychain: branch on `code`, show `message`. */
export class ConfigKeychainError extends Error {
  override readonly name = 'ConfigKeychainError';
  readonly code: ConfigKeychainErrorCode;

  constructor(code: ConfigKeychainErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
