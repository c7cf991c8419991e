import type { MigrationSet } from '@osr-host/storage';
import { integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** A chat session of dispatched tasks; `id` is also the id of every task that runs it. */
export const dispatchSessions = sqliteTable('dispatch_sessions', {
  id: text('id').primaryKey(),
  pluginId: text('plugin_id').notNull(),
  agentId: text('agent_id').notNull(),
  /** The plugin's `session_id` key; null when the dispatch gave none. */
  sessionKey: text('session_key'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** The session's chat messages in order, each an OpenAI chat message as JSON. */
export const dispatchMessages = sqliteTable(
  'dispatch_messages',
  {
    sessionId: text('session_id').notNull(),
    seq: integer('seq').notNull(),
    message: text('message').notNull(),
  },
  (table) => [primaryKey({ columns: [table.sessionId, table.seq] })],
);

/** One row per task run, for `osr-host tasks list` and for tasks a stopped host left behind. */
export const dispatchTasks = sqliteTable('dispatch_tasks', {
  run: integer('run').primaryKey({ autoIncrement: true }),
  taskId: text('task_id').notNull(),
  pluginId: text('plugin_id').notNull(),
  agentId: text('agent_id').notNull(),
  title: text('title').notNull(),
  status: text('status').notNull(),
  summary: text('summary'),
  createdAt: text('created_at').notNull(),
  updatedAt: text('updated_at').notNull(),
});

/** Pass to `openHostDatabase(path, { migrations: [dispatchMigrations] })`; append-only. */
export const dispatchMigrations: MigrationSet = {
  owner: 'dispatch',
  steps: [
    {
      name: 'sessions, messages and task runs',
      up: `CREATE TABLE dispatch_sessions (
        id TEXT PRIMARY KEY NOT NULL CHECK (id = upper(id)),
        plugin_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        session_key TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX dispatch_sessions_by_key ON dispatch_sessions (plugin_id, agent_id, session_key, updated_at);
      CREATE TABLE dispatch_messages (
        session_id TEXT NOT NULL REFERENCES dispatch_sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      );
      CREATE TABLE dispatch_tasks (
        run INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        plugin_id TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        title TEXT NOT NULL,
        status TEXT NOT NULL,
        summary TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );`,
    },
  ],
};
