/** Machine-readable reasons a net operation can fail. */
export type NetErrorCode = 'invalid_argument';

/** The one error class of @osr-host/net: branch on `code`, show `message`. */
export class NetError extends Error {
  override readonly name = 'NetError';
  readonly code: NetErrorCode;

  constructor(code: NetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
