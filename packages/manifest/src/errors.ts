/** Machine-readable reasons a manifest operation can fail. */
export type ManifestErrorCode = 'invalid_argument';

/** The one error class of @osr-host/manifest: branch on `code`, show `message`. */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code: ManifestErrorCode;

  constructor(code: ManifestErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
