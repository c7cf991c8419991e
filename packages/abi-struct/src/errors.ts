/** Machine-readable reasons an ABI operation can fail. */
export type AbiErrorCode =
  | 'native_build_failed'
  | 'bridge_unavailable'
  | 'invalid_level'
  | 'library_load_failed'
  | 'missing_entry_point'
  | 'null_plugin_api'
  | 'missing_required_functions'
  | 'plugin_slots_exhausted'
  | 'call_failed'
  | 'response_too_large'
  | 'invalid_argument';

/** The one error class of @osr-host/abi-struct: branch on `code`, show `message`. */
export class AbiError extends Error {
  override readonly name = 'AbiError';
  readonly code: AbiErrorCode;

  constructor(code: AbiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
