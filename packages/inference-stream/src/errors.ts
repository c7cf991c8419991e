/** Machine-readable reasons a inference-stream operation can fail. */
export type InferenceStreamErrorCode = 'invalid_argument';

/** The one error class of @osr-host/inference-stream: branch on `code`, show `message`. */
export class InferenceStreamError extends Error {
  override readonly name = 'InferenceStreamError';
  readonly code: InferenceStreamErrorCode;

  constructor(code: InferenceStreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
