/** Machine-readable reasons a routes operation can fail. */
export type RoutesErrorCode = 'invalid_argument' | 'key_store_unreadable';

/** The one error class of @osr-host/routes: branch on `code`, show `message`. */
export class RoutesError extends Error {
  override readonly name = 'RoutesError';
  readonly code: RoutesErrorCode;

  constructor(code: RoutesErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
