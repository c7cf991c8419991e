import { type EnvelopeCode, errorEnvelope, isEnvelopeCode } from '@osr-host/abi';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError } from './errors.js';
import { type BoundParams, parseParams } from './params.js';
import { pluginDatabasePath } from './paths.js';
import { assertAllowedSql, type ParameterStyle } from './sql-guard.js';

/** Settings shared by every plugin database. */
export interface EngineOptions {
  /** The host home; databases live at `<home>/Tools/<pluginId>/data/data.db`. */
  readonly home: string;
  /** Size cap per database in bytes; 0 disables it. */
  readonly maxBytes: number;
  /** How long a statement waits for another connection's lock, in ms. */
  readonly busyTimeoutMs: number;
}

const STATEMENT_CACHE_SIZE = 128;
/** Huge one-off statements are not worth keeping as cache keys. */
const MAX_CACHED_SQL_LENGTH = 8192;
const EMPTY_QUERY_RESULT = '{"columns":[],"rows":[]}';
/** A query that only reads rows, so running it inside BEGIN … COMMIT changes nothing (pragmas may refuse a transaction). */
const PLAIN_READ = /^\s*(?:select|with|values)\b/i;

interface Connection {
  readonly db: Database.Database;
  readonly statements: Map<string, Database.Statement>;
  readonly changesStatement: Database.Statement;
  readonly schemaVersionStatement: Database.Statement;
  readonly beginStatement: Database.Statement;
  readonly commitStatement: Database.Statement;
  /** Each reader's column names as JSON, and the schema version they were read at (`SELECT *` follows the schema). */
  readonly columns: WeakMap<Database.Statement, { schemaVersion: unknown; json: string }>;
}

/** `{"error":code,"message":text}` (keys sorted, as every host reply), plus SQLite's code when there is one. */
export function errorJson(code: EnvelopeCode, message: string, sqliteCode?: string): string {
  return JSON.stringify(errorEnvelope(code, message, sqliteCode === undefined ? {} : { sqlite_code: sqliteCode }));
}

/** A storage error as the envelope a database slot answers; codes no slot can answer become sqlite_error. */
export function storageErrorJson(error: StorageError): string {
  return errorJson(isEnvelopeCode(error.code) ? error.code : 'sqlite_error', error.message);
}

/**
 * Synchronous per-plugin SQLite access: one lazily opened connection per
 * plugin, the SQL guard, parameter binding and the reply JSON. Every method
 * returns the exact string a `db_*` host slot answers and never throws.
 */
export class PluginDatabaseEngine {
  readonly #options: EngineOptions;
  readonly #connections = new Map<string, Connection>();
  /** SQL the guard accepted, with its parameter style: the guard is pure, and a plugin repeats its statements. */
  readonly #allowedSql = new Map<string, ParameterStyle>();

  constructor(options: EngineOptions) {
    this.#options = options;
  }

  /** `db_exec`: runs one statement (one step) → `{"changes","last_insert_rowid"}`. */
  exec(pluginId: string, sql: string | null, paramsJson: string | null): string | null {
    if (sql === null) return null;
    return this.#guarded(pluginId, sql, paramsJson, (statement, params, connection) => {
      if (statement.reader) {
        // A reader (SELECT, INSERT … RETURNING) is stepped once, as upstream does; all
        // of a RETURNING statement's changes happen on that first step.
        const rows = bind(params, (args) => statement.iterate(...args));
        rows.next();
        rows.return?.();
        const [changes, rowid] = connection.changesStatement.get() as [bigint, bigint];
        return `{"changes":${changes},"last_insert_rowid":${rowid}}`;
      }
      const info = bind(params, (args) => statement.run(...args));
      return `{"changes":${info.changes},"last_insert_rowid":${info.lastInsertRowid}}`;
    });
  }

  /** `db_query`: runs one statement → `{"columns":[…],"rows":[[…]]}` with positional rows. */
  query(pluginId: string, sql: string | null, paramsJson: string | null): string | null {
    if (sql === null) return null;
    return this.#guarded(pluginId, sql, paramsJson, (statement, params, connection) => {
      if (!statement.reader) {
        bind(params, (args) => statement.run(...args));
        return EMPTY_QUERY_RESULT;
      }
      statement.raw(true);
      // The rows and the schema version they were read under come from one read transaction: as two
      // autocommit statements each took and released the file's locks, which cost as much as the query.
      const ownTransaction = !connection.db.inTransaction && statement.readonly && PLAIN_READ.test(sql);
      if (ownTransaction) connection.beginStatement.run();
      try {
        const rows = bind(params, (args) => statement.all(...args)) as unknown[][];
        return `{"columns":${columnsJson(connection, statement)},"rows":[${rows.map(encodeRow).join(',')}]}`;
      } finally {
        // An error may have ended the transaction already (SQLite rolls back on some).
        if (ownTransaction && connection.db.inTransaction) connection.commitStatement.run();
      }
    });
  }

  /**
   * Runs exec and query once on a throwaway in-memory database, so a fresh thread's first real
   * call does not pay the native binding's set-up and cold code. The empty id is never a plugin's.
   */
  warmUp(): void {
    const db = new Database(':memory:');
    configure(db, this.#options);
    this.#connections.set('', newConnection(db));
    this.exec('', 'CREATE TABLE warm_up (x)', null);
    this.exec('', 'INSERT INTO warm_up VALUES (?)', '[1]');
    this.query('', 'SELECT x FROM warm_up', null);
    this.close('');
  }

  /** Closes one plugin's connection (an open transaction rolls back); the next call reopens it. */
  close(pluginId: string): void {
    const connection = this.#connections.get(pluginId);
    if (connection === undefined) return;
    this.#connections.delete(pluginId);
    connection.db.close();
  }

  closeAll(): void {
    for (const pluginId of [...this.#connections.keys()]) this.close(pluginId);
  }

  #guarded(
    pluginId: string,
    sql: string,
    paramsJson: string | null,
    run: (statement: Database.Statement, params: BoundParams, connection: Connection) => string,
  ): string {
    try {
      const style = this.#guard(sql);
      const params = numberPositionalParams(style, parseParams(paramsJson));
      const connection = this.#connection(pluginId);
      return run(this.#prepare(connection, sql), params, connection);
    } catch (error) {
      return envelopeFor(error);
    }
  }

  #guard(sql: string): ParameterStyle {
    const known = this.#allowedSql.get(sql);
    if (known !== undefined) return known;
    const style = assertAllowedSql(sql);
    remember(this.#allowedSql, sql, style);
    return style;
  }

  #connection(pluginId: string): Connection {
    const open = this.#connections.get(pluginId);
    if (open !== undefined) return open;
    const file = pluginDatabasePath(this.#options.home, pluginId);
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      db = new Database(file);
      configure(db, this.#options);
    } catch (cause) {
      db?.close();
      // Not cached: a later call retries, so a transient failure (disk, permissions) heals.
      throw new StorageError('database_unavailable', `Database not open: ${(cause as Error).message}`, { cause });
    }
    const connection = newConnection(db);
    this.#connections.set(pluginId, connection);
    return connection;
  }

  #prepare(connection: Connection, sql: string): Database.Statement {
    const cached = connection.statements.get(sql);
    if (cached !== undefined) {
      connection.statements.delete(sql);
      connection.statements.set(sql, cached);
      return cached;
    }
    const statement = connection.db.prepare(sql);
    remember(connection.statements, sql, statement);
    return statement;
  }
}

/** A reader's column names as JSON; better-sqlite3's `columns()` costs more than a one-row query, so it is kept per schema version. */
function columnsJson(connection: Connection, statement: Database.Statement): string {
  const schemaVersion = connection.schemaVersionStatement.get();
  const known = connection.columns.get(statement);
  if (known !== undefined && known.schemaVersion === schemaVersion) return known.json;
  const json = JSON.stringify(statement.columns().map((column) => column.name));
  connection.columns.set(statement, { schemaVersion, json });
  return json;
}

/** Adds `sql` to a least-recently-used cache of STATEMENT_CACHE_SIZE entries, unless it is too long to be worth keeping. */
function remember<T>(cache: Map<string, T>, sql: string, value: T): void {
  if (sql.length > MAX_CACHED_SQL_LENGTH) return;
  cache.set(sql, value);
  if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
}

function newConnection(db: Database.Database): Connection {
  return {
    db,
    statements: new Map(),
    changesStatement: db.prepare('SELECT changes(), last_insert_rowid()').raw(true),
    schemaVersionStatement: db.prepare('PRAGMA schema_version').pluck(),
    beginStatement: db.prepare('BEGIN'),
    commitStatement: db.prepare('COMMIT'),
    columns: new WeakMap(),
  };
}

/** The upstream pragmas, then the size cap through max_page_count. */
function configure(db: Database.Database, options: EngineOptions): void {
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('temp_store = MEMORY');
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs))}`);
  if (options.maxBytes > 0) {
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
  }
}

/**
 * better-sqlite3 binds `?N` only by name, so a JSON array meant for `?1…?N` (element i is `?i`,
 * D10) becomes the object `{1: …, N: …}`; a count that does not match is refused like any other
 * (P32), and so is a bare `?` beside `?N`, which would silently take number N+1.
 */
function numberPositionalParams({ highestNumbered: highest, hasBare }: ParameterStyle, params: BoundParams): BoundParams {
  if (params.kind !== 'positional' || highest === 0) return params;
  if (hasBare) throw new StorageError('invalid_request', 'SQL mixes numbered (?1) and bare (?) parameters; use one style.');
  if (params.values.length !== highest) {
    throw new StorageError('invalid_request', `SQL uses ?1…?${highest}, so params_json must have ${highest} values; it has ${params.values.length}.`);
  }
  return { kind: 'named', values: Object.fromEntries(params.values.map((value, index) => [String(index + 1), value])) };
}

function bind<T>(params: BoundParams, call: (args: unknown[]) => T): T {
  switch (params.kind) {
    case 'none':
      return call([]);
    case 'positional':
      return call(params.values);
    case 'named':
      return call([params.values]);
  }
}

/** INTEGER cells are bigints (exact int64 digits), BLOBs become base64, non-finite REALs become null. */
function encodeCell(cell: unknown): string {
  if (cell === null) return 'null';
  if (typeof cell === 'bigint') return cell.toString();
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : 'null';
  if (typeof cell === 'string') return JSON.stringify(cell);
  if (Buffer.isBuffer(cell)) return `"${cell.toString('base64')}"`;
  return JSON.stringify(String(cell));
}

function encodeRow(row: unknown[]): string {
  let out = '[';
  for (let i = 0; i < row.length; i += 1) out += (i === 0 ? '' : ',') + encodeCell(row[i]);
  return out + ']';
}

function envelopeFor(error: unknown): string {
  if (error instanceof StorageError) return storageErrorJson(error);
  if (error instanceof Database.SqliteError) {
    const code = error.code;
    const kind: EnvelopeCode = code.startsWith('SQLITE_FULL')
      ? 'database_full'
      : code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')
        ? 'database_busy'
        : 'sqlite_error';
    return errorJson(kind, error.message, code);
  }
  // better-sqlite3 reports misuse (statement count, parameter count or names) as RangeError/TypeError.
  if (error instanceof RangeError || error instanceof TypeError) return errorJson('invalid_request', error.message);
  return errorJson('sqlite_error', error instanceof Error ? error.message : String(error));
}
