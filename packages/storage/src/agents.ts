import { DEFAULT_AGENT_ID, isUuid } from '@osr-host/abi';
import { randomUUID } from 'node:crypto';
import { asc, eq, ne, sql } from 'drizzle-orm';
import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { StorageError } from './errors.js';
import type { HostDatabase, MigrationSet } from './host-database.js';

/** The built-in Default agent (D8): always present, counts as "no agent" for config. */
export { DEFAULT_AGENT_ID };

/** The agent registry table: upper-case UUID ids (D17), a name and an ISO-8601 creation time. */
export const agents = sqliteTable('agents', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: text('created_at').notNull(),
});

export type Agent = typeof agents.$inferSelect;

/** This package's migration list; append new steps at the end, never edit old ones. */
export const storageMigrations: MigrationSet = {
  owner: '@osr-host/storage',
  steps: [
    {
      name: 'agents',
      up: `CREATE TABLE agents (
        id TEXT PRIMARY KEY NOT NULL CHECK (id = upper(id)),
        name TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      INSERT INTO agents (id, name, created_at)
        VALUES ('${DEFAULT_AGENT_ID}', 'Default', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));`,
    },
  ],
};

/** Upper-cases a UUID string, refusing anything that is not one. */
export function normalizeAgentId(id: string): string {
  if (typeof id !== 'string' || !isUuid(id)) {
    throw new StorageError('invalid_argument', `Agent id ${JSON.stringify(id)} is not a UUID; pass one like ${DEFAULT_AGENT_ID}.`);
  }
  return id.toUpperCase();
}

export interface AgentRegistry {
  /** Every agent, oldest first (the Default agent first). */
  list(): Agent[];
  /** The agent with this id (any letter case), or undefined. */
  get(id: string): Agent | undefined;
  /** Creates an agent with a fresh upper-case UUID. */
  create(name: string): Agent;
  /** The oldest ordinary (non-Default) agent, created with `name` if there is none yet. */
  ensureFirstOrdinaryAgent(name?: string): Agent;
  /** Removes an ordinary agent; false when there was none. The built-in Default agent cannot be removed. */
  remove(id: string): boolean;
}

/** The agent registry over the host database. */
export function agentRegistry(db: HostDatabase): AgentRegistry {
  const oldestFirst = [asc(agents.createdAt), asc(sql`rowid`)];
  const create = (name: string): Agent => {
    if (typeof name !== 'string' || name.trim() === '') {
      throw new StorageError('invalid_argument', 'Give the agent a non-empty name.');
    }
    const agent: Agent = { id: randomUUID().toUpperCase(), name: name.trim(), createdAt: new Date().toISOString() };
    db.insert(agents).values(agent).run();
    return agent;
  };
  return {
    list: () => db.select().from(agents).orderBy(...oldestFirst).all(),
    get: (id) => db.select().from(agents).where(eq(agents.id, normalizeAgentId(id))).get(),
    create,
    remove: (id) => {
      const agentId = normalizeAgentId(id);
      if (agentId === DEFAULT_AGENT_ID) {
        throw new StorageError('invalid_argument', 'The built-in Default agent cannot be removed.');
      }
      return db.delete(agents).where(eq(agents.id, agentId)).run().changes > 0;
    },
    ensureFirstOrdinaryAgent: (name = 'Agent') =>
      db.transaction(
        () =>
          db
            .select()
            .from(agents)
            .where(ne(agents.id, DEFAULT_AGENT_ID))
            .orderBy(...oldestFirst)
            .limit(1)
            .get() ?? create(name),
        { behavior: 'immediate' },
      ),
  };
}
