/** Machine-readable reasons a lifecycle operation can fail. */
export type LifecycleErrorCode =
  | 'invalid_argument'
  | 'invalid_name'
  | 'invalid_archive'
  | 'invalid_layout'
  | 'invalid_manifest'
  | 'checksum_mismatch'
  | 'signature_required'
  | 'signature_invalid'
  | 'author_key_changed'
  | 'invalid_key'
  | 'not_found'
  | 'registry_unavailable'
  | 'download_failed'
  | 'write_failed'
  | 'build_failed';

/** The one error class of @osr-host/lifecycle: branch on `code`, show `message`. */
export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
  readonly code: LifecycleErrorCode;

  constructor(code: LifecycleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
