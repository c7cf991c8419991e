/** Machine-readable reasons a storage operation can fail. */
export type StorageErrorCode = 'invalid_argument';

/** The one error class of @osr-host/storage: branch on `code`, show `message`. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
