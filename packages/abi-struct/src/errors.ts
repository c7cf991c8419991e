/** Machine-readable reasons a abi-struct operation can fail. */
export type AbiStructErrorCode = 'invalid_argument';

/** The one error class of @osr-host/abi-struct: branch on `code`, show `message`. */
export class AbiStructError extends Error {
  override readonly name = 'AbiStructError';
  readonly code: AbiStructErrorCode;

  constructor(code: AbiStructErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
