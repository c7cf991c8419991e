/** Machine-readable reasons a runtime operation can fail. */
export type RuntimeErrorCode = 'init_failed' | 'manifest_missing' | 'shut_down' | 'invalid_argument';

/** The one error class of @osr-host/runtime: branch on `code`, show `message`. */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  readonly code: RuntimeErrorCode;

  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
