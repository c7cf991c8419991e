/**
 * Machine-readable reasons an inference-stream operation can fail. Every code
 * except `invalid_config` is also the `error` field of a host-API envelope.
 */
export type InferenceStreamErrorCode =
  | 'invalid_config'
  | 'invalid_request'
  | 'inference_error'
  | 'embedding_error'
  | 'model_unavailable';

/** The one error class of @osr-host/inference-stream: branch on `code`, show `message`. */
export class InferenceStreamError extends Error {
  override readonly name = 'InferenceStreamError';
  readonly code: InferenceStreamErrorCode;

  constructor(code: InferenceStreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
