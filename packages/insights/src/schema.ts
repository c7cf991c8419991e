import type { MigrationSet } from '@osr-host/storage';
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One Insights row: a host call, a plugin log line, or a count of dropped records. */
export const insightsRows = sqliteTable(
  'insights_rows',
  {
    /** Insertion order; the paging cursor. */
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** When the call started (ms since the epoch). */
    ts: integer('ts').notNull(),
    pluginId: text('plugin_id').notNull(),
    agentId: text('agent_id'),
    frame: text('frame'),
    slot: text('slot').notNull(),
    kind: text('kind', { enum: ['call', 'log', 'dropped'] }).notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    status: integer('status').notNull(),
    durationMs: real('duration_ms').notNull(),
    /** TRACE…ERROR or LOG, for log rows. */
    level: text('level'),
    model: text('model'),
    requestBody: text('request_body'),
    responseBody: text('response_body'),
    /** A structured-log payload that is valid JSON (searchable with json_extract); opaque text stays in requestBody only. */
    payload: text('payload'),
    requestBytes: integer('request_bytes').notNull(),
    responseBytes: integer('response_bytes').notNull(),
  },
  (table) => [
    index('insights_rows_ts').on(table.ts),
    index('insights_rows_plugin').on(table.pluginId, table.id),
    index('insights_rows_status').on(table.status),
  ],
);

/** One-shot warnings, kept for the Diagnostics views after they were printed. */
export const insightsWarnings = sqliteTable(
  'insights_warnings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ts: integer('ts').notNull(),
    key: text('key').notNull(),
    pluginId: text('plugin_id').notNull(),
    message: text('message').notNull(),
  },
  (table) => [index('insights_warnings_plugin').on(table.pluginId, table.id)],
);

export type ActivityRow = typeof insightsRows.$inferSelect;
export type NewActivityRow = Omit<typeof insightsRows.$inferInsert, 'id'>;
export type WarningRow = typeof insightsWarnings.$inferSelect;

/** This package's migration list for the host database; append new steps at the end, never edit old ones. */
export const insightsMigrations: MigrationSet = {
  owner: '@osr-host/insights',
  steps: [
    {
      name: 'rows-and-warnings',
      up: `CREATE TABLE insights_rows (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        plugin_id TEXT NOT NULL,
        agent_id TEXT,
        frame TEXT,
        slot TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('call', 'log', 'dropped')),
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        status INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        level TEXT,
        model TEXT,
        request_body TEXT,
        response_body TEXT,
        payload TEXT CHECK (payload IS NULL OR json_valid(payload)),
        request_bytes INTEGER NOT NULL,
        response_bytes INTEGER NOT NULL
      );
      CREATE INDEX insights_rows_ts ON insights_rows (ts);
      CREATE INDEX insights_rows_plugin ON insights_rows (plugin_id, id);
      CREATE INDEX insights_rows_status ON insights_rows (status);
      CREATE TABLE insights_warnings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ts INTEGER NOT NULL,
        key TEXT NOT NULL,
        plugin_id TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX insights_warnings_plugin ON insights_warnings (plugin_id, id);`,
    },
  ],
};
