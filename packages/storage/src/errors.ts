/**
 * Machine-readable reasons a storage operation can fail. The first group is
 * also the `error` field of the `db_exec` / `db_query` envelope.
 *
 * - `invalid_request`: bad SQL text or parameters (malformed `params_json`,
 *   wrong parameter count, empty SQL, NUL characters, more than one statement).
 * - `forbidden`: the SQL guard refused the statement (ATTACH, DETACH,
 *   load_extension, VACUUM INTO, changing max_page_count).
 * - `sqlite_error`: SQLite rejected the statement; the message is SQLite's text.
 * - `database_full`: the write would grow the database past its size cap.
 * - `database_busy`: another connection held the lock longer than the busy timeout.
 * - `database_unavailable`: the plugin's database file could not be opened.
 * - `shutting_down`: the plugin (or the whole storage) has been torn down.
 * - `invalid_argument`: the host passed a bad plugin id, agent id or option.
 * - `migration_mismatch`: the host database's recorded migrations do not match the code.
 * - `migration_failed`: a migration step threw; its transaction was rolled back.
 */
export type StorageErrorCode =
  | 'invalid_request'
  | 'forbidden'
  | 'sqlite_error'
  | 'database_full'
  | 'database_busy'
  | 'database_unavailable'
  | 'shutting_down'
  | 'invalid_argument'
  | 'migration_mismatch'
  | 'migration_failed';

/** The one error class of @osr-host/storage: branch on `code`, show `message`. */
export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
