/** Machine-readable reasons a __NAME__ operation can fail. */
export type __PASCAL__ErrorCode = 'invalid_argument';

/** The one error class of @osr-host/__NAME__: branch on `code`, show `message`. */
export class __PASCAL__Error extends Error {
  override readonly name = '__PASCAL__Error';
  readonly code: __PASCAL__ErrorCode;

  constructor(code: __PASCAL__ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
