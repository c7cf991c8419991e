/** Machine-readable reasons a dispatch operation can fail. */
export type DispatchErrorCode =
  /** A bad option or argument from host code (not from a plugin: plugins get envelopes). */
  | 'invalid_argument'
  /** The host database was opened without `dispatchMigrations`. */
  | 'not_migrated'
  /** No task with that id is live in this host process. */
  | 'task_not_found'
  /** `answer` on a task that is not waiting for a clarification. */
  | 'not_awaiting_clarification';

/** The one error class of @osr-host/dispatch: branch on `code`, show `message`. */
export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  readonly code: DispatchErrorCode;

  constructor(code: DispatchErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
