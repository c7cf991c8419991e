import { type HostDatabase, openHostDatabase } from '@osr-host/storage';
import { and, asc, type Column, desc, eq, getTableColumns, getTableName, gt, gte, inArray, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { DEFAULT_MAX_BODY_CHARS, unstoredMarker } from './bodies.js';
import { pluginLogLine } from './console.js';
import { InsightsError } from './errors.js';
import type { LogLevelName } from '@osr-host/abi';
import { type HostCallInput, isLogSlot, toActivityRow, unstorableRow } from './record.js';
import { type ActivityRow, insightsMigrations, insightsRows, insightsWarnings, type NewActivityRow, type WarningRow } from './schema.js';

/** One plugin log that passed the throttle: `level` 0–4 as the plugin passed it (see `logLevelName`), `payload` the JSON of `log_structured`. */
export interface PluginLogEntry {
  pluginId: string;
  level: number;
  message: string;
  payload: string | null;
}

export interface ActivityStoreOptions {
  /** Rows kept, newest first; older ones are deleted after each write. Default 50,000. */
  maxRows?: number;
  /** Rows older than this (by start time) are deleted after each write. Default 7 days; Infinity keeps them. */
  maxAgeMs?: number;
  /** Bodies are cut to this many characters (default 262,144, as upstream). */
  maxBodyChars?: number;
  /** How long a recorded call may wait before its batch is written. Default 250 ms. */
  flushIntervalMs?: number;
  /** Records waiting for a write beyond this are dropped and counted. Default 20,000. */
  maxPendingRows?: number;
  /** Log rows accepted per plugin per second; the rest are counted in one "dropped" row. Default 1,000. */
  logsPerSecondPerPlugin?: number;
  /** One-shot warnings kept in the store (oldest deleted first). Default 256, as upstream. */
  maxWarnings?: number;
  /**
   * Receives `[Plugin:<id>] [<LEVEL>] <message>` console lines for accepted log rows, and the same
   * log as fields, for a structured logger.
   */
  consoleLine?: (line: string, log: PluginLogEntry) => void;
  /** Receives each written batch, already mapped and redacted (e.g. for an OpenTelemetry export). */
  onRowsWritten?: (rows: readonly NewActivityRow[]) => void;
  /** Receives background write failures (explicit `flush()` calls throw instead). Default: console.error. */
  onError?: (error: InsightsError) => void;
  /** Clock in ms since the epoch, for retention and throttling windows. */
  now?: () => number;
}

export const DEFAULT_RETENTION = { maxRows: 50_000, maxAgeMs: 7 * 24 * 60 * 60 * 1000 } as const;

/**
 * One prepared single-row INSERT of every column but the id, its column list taken from the table's schema.
 * SQLite reuses its plan, where a multi-row VALUES list is re-parsed every batch; the values are bound
 * positionally through better-sqlite3 itself, because drizzle's placeholder mapping cost about a third
 * of each row's write.
 */
function preparedRowInsert(db: HostDatabase): { run(row: NewActivityRow): unknown } {
  const columns = Object.entries(getTableColumns(insightsRows)).filter(([key]) => key !== 'id');
  const keys = columns.map(([key]) => key as keyof NewActivityRow);
  const statement = db.$client.prepare(
    `INSERT INTO "${getTableName(insightsRows)}" (${columns.map(([, column]) => `"${column.name}"`).join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`,
  );
  return { run: (row) => statement.run(keys.map((key) => row[key] ?? null)) };
}

const OPTIONAL_COLUMNS_NULL = { agentId: null, frame: null, level: null, model: null, requestBody: null, responseBody: null, payload: null } as const;

/** Which rows a query returns. Every field narrows the result; absent fields do not filter. */
export interface ActivityFilter {
  pluginId?: string;
  agentId?: string;
  /** Substring of the method or path (e.g. `dispatch`, `POST`, `api.example.com`). */
  path?: string;
  /** Inclusive status range. */
  status?: { min: number; max: number };
  /** Log rows at any of these levels. */
  level?: LogLevelName[];
  /** Start time range, inclusive, in ms since the epoch. */
  since?: number;
  until?: number;
  /** Structured-log payload fields that must equal these values (dotted keys reach into objects). */
  payload?: { key: string; value: string }[];
  /** Substring of the path, plugin id, model or either body. */
  text?: string;
}

export interface PageRequest {
  /** Rows per page (1–1000, default 100). */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string | null;
}

export interface ActivityPage {
  /** Newest first. */
  rows: ActivityRow[];
  /** Pass back to get the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** Per-plugin figures over host-call rows (log rows are not calls). */
export interface PluginStats {
  pluginId: string;
  calls: number;
  /** Rows with status >= 400. */
  errors: number;
  errorRate: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  logs: number;
}

export interface WarningEntry {
  key: string;
  pluginId: string;
  message: string;
  /** ms since the epoch. */
  ts: number;
}

type Pending = { input: HostCallInput } | { row: NewActivityRow };

interface DropCounter {
  window: number;
  admitted: number;
  throttled: number;
  overflowed: number;
  /** Records whose row could not be built or written as sent: kept as a marker row, or lost if even that failed. */
  unstorable: number;
}

/** SQLite errors about one row (a failed CHECK, a value too big), not about the database or the disk. */
function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG');
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!(Number.isInteger(chosen) && chosen >= 1)) {
    throw new InsightsError('invalid_argument', `${name} must be a positive integer, got ${String(chosen)}.`);
  }
  return chosen;
}

/** `a.b` → `$."a"."b"`: a JSON path that treats every dotted part as a plain key. */
export function payloadPath(key: string): string {
  const parts = key.split('.');
  if (key === '' || parts.some((part) => part === '' || part.includes('"'))) {
    throw new InsightsError(
      'invalid_argument',
      `Payload key ${JSON.stringify(key)} is not searchable: use dotted names without quotes or empty parts, e.g. "user.id".`,
    );
  }
  return `$${parts.map((part) => `."${part}"`).join('')}`;
}

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

function contains(column: Column, text: string): SQL {
  return sql`${column} LIKE ${likePattern(text)} ESCAPE '\\'`;
}

/** The WHERE clause for a filter (shared by queries, follows and stats). */
function whereOf(filter: ActivityFilter): SQL[] {
  const where: SQL[] = [];
  const rows = insightsRows;
  if (filter.pluginId !== undefined) where.push(eq(rows.pluginId, filter.pluginId));
  if (filter.agentId !== undefined) where.push(sql`upper(${rows.agentId}) = ${filter.agentId.toUpperCase()}`);
  if (filter.path) where.push(or(contains(rows.path, filter.path), contains(rows.method, filter.path))!);
  if (filter.status) where.push(gte(rows.status, filter.status.min), lte(rows.status, filter.status.max));
  if (filter.level?.length) where.push(inArray(rows.level, filter.level));
  if (filter.since !== undefined) where.push(gte(rows.ts, filter.since));
  if (filter.until !== undefined) where.push(lte(rows.ts, filter.until));
  for (const { key, value } of filter.payload ?? []) {
    const path = payloadPath(key);
    where.push(
      sql`(CAST(json_extract(${rows.payload}, ${path}) AS TEXT) = ${value} OR json_type(${rows.payload}, ${path}) = ${value})`,
    );
  }
  if (filter.text) {
    where.push(
      or(
        contains(rows.path, filter.text),
        contains(rows.pluginId, filter.text),
        contains(rows.model, filter.text),
        contains(rows.requestBody, filter.text),
        contains(rows.responseBody, filter.text),
      )!,
    );
  }
  return where;
}

function percentile(sorted: number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/**
 * The Insights activity store over the host database. `record()` only queues
 * (the host callback's thread returns at once); queued rows are written in
 * batches by a timer or an explicit `flush()`, and retention runs after each
 * write. Queries read what has been written.
 */
export class ActivityStore {
  readonly db: HostDatabase;
  private readonly ownsDatabase: boolean;
  private readonly maxRows: number;
  private readonly maxAgeMs: number;
  private readonly maxBodyChars: number;
  private readonly flushIntervalMs: number;
  private readonly maxPendingRows: number;
  private readonly logsPerSecond: number;
  private readonly maxWarnings: number;
  private readonly consoleLine: ((line: string, log: PluginLogEntry) => void) | undefined;
  private readonly onError: (error: InsightsError) => void;
  private readonly onRowsWritten: ((rows: readonly NewActivityRow[]) => void) | undefined;
  private readonly now: () => number;
  private readonly insertRow: { run(row: NewActivityRow): unknown };
  private pending: Pending[] = [];
  private readonly drops = new Map<string, DropCounter>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Uses an open host database that already ran `insightsMigrations`. */
  constructor(db: HostDatabase, options: ActivityStoreOptions = {}, ownsDatabase = false) {
    const tables = db.$client
      .prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('insights_rows', 'insights_warnings')")
      .get() as { n: number };
    if (tables.n !== 2) {
      throw new InsightsError(
        'not_migrated',
        'The host database has no Insights tables: open it with openHostDatabase(path, { migrations: [insightsMigrations] }).',
      );
    }
    this.db = db;
    this.ownsDatabase = ownsDatabase;
    this.maxRows = positiveInteger('maxRows', options.maxRows, DEFAULT_RETENTION.maxRows);
    this.maxAgeMs = options.maxAgeMs ?? DEFAULT_RETENTION.maxAgeMs;
    if (!(this.maxAgeMs > 0)) throw new InsightsError('invalid_argument', `maxAgeMs must be above 0 (Infinity keeps rows forever), got ${this.maxAgeMs}.`);
    this.maxBodyChars = positiveInteger('maxBodyChars', options.maxBodyChars, DEFAULT_MAX_BODY_CHARS);
    this.flushIntervalMs = options.flushIntervalMs ?? 250;
    this.maxPendingRows = positiveInteger('maxPendingRows', options.maxPendingRows, 20_000);
    this.logsPerSecond = positiveInteger('logsPerSecondPerPlugin', options.logsPerSecondPerPlugin, 1_000);
    this.maxWarnings = positiveInteger('maxWarnings', options.maxWarnings, 256);
    this.consoleLine = options.consoleLine;
    this.onError = options.onError ?? ((error) => console.error(error.message));
    this.onRowsWritten = options.onRowsWritten;
    this.now = options.now ?? Date.now;
    this.insertRow = preparedRowInsert(db);
  }

  /** Opens (creating if needed) a database file holding only the Insights tables, owned by the store. */
  static open(path: string, options: ActivityStoreOptions = {}): ActivityStore {
    return new ActivityStore(openHostDatabase(path, { migrations: [insightsMigrations] }), options, true);
  }

  /**
   * Queues one host call. Cheap by design: mapping, redaction and the write
   * happen later in `flush()`. Log rows over the per-plugin rate are counted
   * instead of queued.
   */
  record(input: HostCallInput): void {
    if (this.closed) return;
    const isLog = isLogSlot(input.slot);
    if (isLog && !this.admitLog(input.pluginId)) return;
    if (!this.enqueue(input.pluginId, { input })) return;
    if (isLog && this.consoleLine) {
      const log: PluginLogEntry = {
        pluginId: input.pluginId,
        level: input.intArg,
        message: input.args[0] ?? '',
        payload: input.slot === 'log_structured' ? (input.args[1] ?? null) : null,
      };
      this.consoleLine(pluginLogLine(log.pluginId, log.level, log.message, log.payload), log);
    }
  }

  /** Queues a row a host built itself (e.g. plugin route traffic); it is written like recorded calls. */
  append(row: NewActivityRow): void {
    if (this.closed) return;
    // The prepared insert names every column: optional ones the caller left out are NULL.
    this.enqueue(row.pluginId, { row: { ...OPTIONAL_COLUMNS_NULL, ...row } });
  }

  /** Records waiting for the next write. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Writes everything queued (and any finished drop counts) now, then applies retention. Returns rows written. */
  flush(): number {
    this.assertOpen();
    this.clearTimer();
    this.emitFinishedDrops(Math.floor(this.now() / 1000));
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return 0;
    const rows = batch.map((entry) => ('row' in entry ? entry.row : this.rowOf(entry.input)));
    try {
      this.db.transaction(() => {
        for (const row of rows) this.insertOne(row);
      });
      this.applyRetention();
    } catch (cause) {
      throw new InsightsError('write_failed', `Writing ${rows.length} Insights rows failed: ${(cause as Error).message}. Check the disk and the host database file.`, { cause });
    }
    this.onRowsWritten?.(rows);
    return rows.length;
  }

  /** Deletes rows over the count limit or older than the age limit. */
  applyRetention(): void {
    this.db.run(sql`DELETE FROM insights_rows WHERE id <= (SELECT id FROM insights_rows ORDER BY id DESC LIMIT 1 OFFSET ${this.maxRows})`);
    if (Number.isFinite(this.maxAgeMs)) this.db.delete(insightsRows).where(lt(insightsRows.ts, this.now() - this.maxAgeMs)).run();
  }

  /** Rows matching `filter`, newest first, one page at a time. */
  query(filter: ActivityFilter = {}, page: PageRequest = {}): ActivityPage {
    this.assertOpen();
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? 100), 1), 1000);
    const where = whereOf(filter);
    if (page.cursor) {
      const before = Number(page.cursor);
      if (!Number.isSafeInteger(before)) throw new InsightsError('invalid_argument', `Cursor ${JSON.stringify(page.cursor)} is not one this store handed out; pass nextCursor unchanged.`);
      where.push(lt(insightsRows.id, before));
    }
    const rows = this.db.select().from(insightsRows).where(and(...where)).orderBy(desc(insightsRows.id)).limit(limit + 1).all();
    const more = rows.length > limit;
    if (more) rows.pop();
    return { rows, nextCursor: more ? String(rows.at(-1)!.id) : null };
  }

  /** Rows written after `afterId` that match `filter`, oldest first (for tails and live views). */
  rowsAfter(afterId: number, filter: ActivityFilter = {}, limit = 500): ActivityRow[] {
    return this.db
      .select()
      .from(insightsRows)
      .where(and(gt(insightsRows.id, afterId), ...whereOf(filter)))
      .orderBy(asc(insightsRows.id))
      .limit(limit)
      .all();
  }

  /** The newest row id, or 0 for an empty store. */
  latestId(): number {
    return this.db.select({ id: sql<number>`coalesce(max(${insightsRows.id}), 0)` }).from(insightsRows).get()!.id;
  }

  get(id: number): ActivityRow | undefined {
    return this.db.select().from(insightsRows).where(eq(insightsRows.id, id)).get();
  }

  /** Per-plugin call counts, error rates and latency percentiles over the matching rows. */
  stats(filter: ActivityFilter = {}): PluginStats[] {
    const rows = this.db
      .select({ pluginId: insightsRows.pluginId, kind: insightsRows.kind, status: insightsRows.status, durationMs: insightsRows.durationMs })
      .from(insightsRows)
      .where(and(...whereOf(filter)))
      .all();
    const byPlugin = new Map<string, { durations: number[]; errors: number; logs: number }>();
    for (const row of rows) {
      let entry = byPlugin.get(row.pluginId);
      if (!entry) {
        entry = { durations: [], errors: 0, logs: 0 };
        byPlugin.set(row.pluginId, entry);
      }
      if (row.kind !== 'call') {
        entry.logs += 1;
        continue;
      }
      entry.durations.push(row.durationMs);
      if (row.status >= 400) entry.errors += 1;
    }
    return [...byPlugin.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([pluginId, { durations, errors, logs }]) => {
        durations.sort((a, b) => a - b);
        return {
          pluginId,
          calls: durations.length,
          errors,
          errorRate: durations.length === 0 ? 0 : errors / durations.length,
          p50Ms: percentile(durations, 0.5),
          p95Ms: percentile(durations, 0.95),
          p99Ms: percentile(durations, 0.99),
          logs,
        };
      });
  }

  /** Keeps a one-shot warning (written at once: warnings are rare) and trims the list to `maxWarnings`. */
  addWarning(entry: WarningEntry): void {
    if (this.closed) return;
    this.db.insert(insightsWarnings).values(entry).run();
    this.db.run(sql`DELETE FROM insights_warnings WHERE id <= (SELECT id FROM insights_warnings ORDER BY id DESC LIMIT 1 OFFSET ${this.maxWarnings})`);
  }

  /** Kept warnings, newest first. */
  warnings(filter: { pluginId?: string } = {}): WarningRow[] {
    return this.db
      .select()
      .from(insightsWarnings)
      .where(filter.pluginId === undefined ? undefined : eq(insightsWarnings.pluginId, filter.pluginId))
      .orderBy(desc(insightsWarnings.id))
      .all();
  }

  /**
   * Calls `onRows` with every new matching row, oldest first, polling the
   * database so rows written by other processes (one-shot `invoke` runs) show
   * too. Returns a function that stops following.
   */
  follow(afterId: number, filter: ActivityFilter, onRows: (rows: ActivityRow[]) => void, intervalMs = 500): () => void {
    let lastId = afterId;
    const poll = () => {
      if (this.closed) return;
      if (this.pending.length > 0) this.flushInBackground();
      for (let rows = this.rowsAfter(lastId, filter); rows.length > 0; rows = this.rowsAfter(lastId, filter)) {
        lastId = rows.at(-1)!.id;
        onRows(rows);
      }
    };
    const timer = setInterval(poll, intervalMs);
    poll();
    return () => clearInterval(timer);
  }

  /** Writes what is queued (including drop counts of the current second) and closes a database the store opened. */
  close(): void {
    if (this.closed) return;
    this.emitFinishedDrops(Number.POSITIVE_INFINITY);
    this.flushInBackground();
    this.closed = true;
    this.clearTimer();
    if (this.ownsDatabase) this.db.$client.close();
  }

  /** The row for a recorded call; one whose mapping fails (a body too deep to serialise, say) becomes a marker row. */
  private rowOf(input: HostCallInput): NewActivityRow {
    try {
      return toActivityRow(input, this.maxBodyChars);
    } catch (error) {
      this.counterFor(input.pluginId).unstorable += 1;
      return unstorableRow(input, `the call could not be recorded (${(error as Error)?.message ?? String(error)})`);
    }
  }

  /** Inserts one row; a row SQLite refuses is retried without its bodies, so it never costs the rest of the batch. */
  private insertOne(row: NewActivityRow): void {
    try {
      this.insertRow.run(row);
    } catch (error) {
      if (!isRowError(error)) throw error;
      this.counterFor(row.pluginId).unstorable += 1;
      const marker = { ...row, requestBody: unstoredMarker(`SQLite refused the row (${(error as Error).message})`), responseBody: null, payload: null };
      try {
        this.insertRow.run(marker);
      } catch (again) {
        if (!isRowError(again)) throw again;
      }
    }
  }

  private admitLog(pluginId: string): boolean {
    const counter = this.counterFor(pluginId);
    if (counter.admitted >= this.logsPerSecond) {
      counter.throttled += 1;
      return false;
    }
    counter.admitted += 1;
    return true;
  }

  private enqueue(pluginId: string, entry: Pending): boolean {
    if (this.pending.length >= this.maxPendingRows) {
      this.counterFor(pluginId).overflowed += 1;
      return false;
    }
    this.pending.push(entry);
    this.timer ??= setTimeout(() => this.flushInBackground(), this.flushIntervalMs).unref();
    return true;
  }

  /** The plugin's counter for the current one-second window; a finished window's drops become a row first. */
  private counterFor(pluginId: string): DropCounter {
    const window = Math.floor(this.now() / 1000);
    let counter = this.drops.get(pluginId);
    if (!counter) {
      counter = { window, admitted: 0, throttled: 0, overflowed: 0, unstorable: 0 };
      this.drops.set(pluginId, counter);
    }
    if (counter.window !== window) {
      this.pushDroppedRow(pluginId, counter);
      counter.window = window;
      counter.admitted = 0;
    }
    return counter;
  }

  private emitFinishedDrops(currentWindow: number): void {
    for (const [pluginId, counter] of this.drops) {
      if (counter.window < currentWindow) {
        this.pushDroppedRow(pluginId, counter);
        this.drops.delete(pluginId);
      }
    }
  }

  /** One WARN row counting what a plugin lost in a window; it bypasses the queue limit so the count is never lost. */
  private pushDroppedRow(pluginId: string, counter: DropCounter): void {
    const dropped = counter.throttled + counter.overflowed + counter.unstorable;
    if (dropped === 0) return;
    const reasons = [
      counter.throttled > 0 ? `${counter.throttled} over ${this.logsPerSecond} logs per second` : '',
      counter.overflowed > 0 ? `${counter.overflowed} while the write queue was full` : '',
      counter.unstorable > 0 ? `${counter.unstorable} whose bodies could not be stored, kept as markers` : '',
    ].filter(Boolean);
    const message = `Insights dropped ${dropped} records from this plugin (${reasons.join(', ')})`;
    this.pending.push({
      row: {
        ts: counter.window * 1000,
        pluginId,
        agentId: null,
        frame: null,
        slot: 'log',
        kind: 'dropped',
        method: 'LOG',
        path: `[WARN] ${message}`,
        status: 299,
        durationMs: 0,
        level: 'WARN',
        model: null,
        requestBody: JSON.stringify({ dropped, throttled: counter.throttled, overflowed: counter.overflowed, unstorable: counter.unstorable }),
        responseBody: null,
        payload: JSON.stringify({ dropped, throttled: counter.throttled, overflowed: counter.overflowed, unstorable: counter.unstorable }),
        requestBytes: 0,
        responseBytes: 0,
      },
    });
    counter.throttled = 0;
    counter.overflowed = 0;
    counter.unstorable = 0;
  }

  private flushInBackground(): void {
    try {
      this.flush();
    } catch (error) {
      this.onError(error instanceof InsightsError ? error : new InsightsError('write_failed', String(error), { cause: error }));
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new InsightsError('closed', 'This Insights store is closed; open a new one to write or read.');
  }
}
