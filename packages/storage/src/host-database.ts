import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { agents, storageMigrations } from './agents.js';
import { StorageError } from './errors.js';

/** One append-only step of a migration list. */
export interface Migration {
  /** Recorded with the step; a later edit that renames or reorders steps is detected. */
  readonly name: string;
  /** SQL (several statements allowed) or a function, run inside the step's transaction. */
  readonly up: string | ((client: Database.Database) => void);
}

/**
 * A package's own migrations. Step N of `owner` is applied once and recorded
 * as version N; lists are append-only, so a package adds steps at the end.
 */
export interface MigrationSet {
  readonly owner: string;
  readonly steps: readonly Migration[];
}

/** The drizzle schema of the tables this package owns. */
export const hostSchema = { agents };

/** The host's own database: drizzle over better-sqlite3; `$client` is the raw connection. */
export type HostDatabase = BetterSQLite3Database<typeof hostSchema> & { $client: Database.Database };

export interface OpenHostDatabaseOptions {
  /** Other packages' migration lists, applied in this order after this package's own. */
  readonly migrations?: readonly MigrationSet[];
}

/** Where the reference host keeps its own tables: `<home>/host.db`. */
export function hostDatabasePath(home: string): string {
  return join(home, 'host.db');
}

/**
 * Opens (creating if needed) the host's database and brings every migration
 * list up to date. Runs synchronously on the calling thread: the host's own
 * tables are small and only the host writes them.
 */
export function openHostDatabase(path: string, options: OpenHostDatabaseOptions = {}): HostDatabase {
  const sets = [storageMigrations, ...(options.migrations ?? [])];
  validateMigrationSets(sets);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const client = new Database(path);
  try {
    client.pragma('journal_mode = WAL');
    client.pragma('synchronous = NORMAL');
    client.pragma('foreign_keys = ON');
    client.pragma('busy_timeout = 5000');
    applyMigrations(client, sets);
  } catch (error) {
    client.close();
    throw error;
  }
  return drizzle({ client, schema: hostSchema });
}

function validateMigrationSets(sets: readonly MigrationSet[]): void {
  const owners = new Set<string>();
  for (const set of sets) {
    if (owners.has(set.owner)) {
      throw new StorageError('invalid_argument', `Migration owner "${set.owner}" is listed twice; pass each list once.`);
    }
    owners.add(set.owner);
    const names = new Set<string>();
    for (const step of set.steps) {
      if (step.name.trim() === '' || names.has(step.name)) {
        throw new StorageError(
          'invalid_argument',
          `Migration list "${set.owner}" has an empty or repeated step name "${step.name}"; give every step a unique name.`,
        );
      }
      names.add(step.name);
    }
  }
}

/**
 * Applies each list's pending steps, each in its own IMMEDIATE transaction
 * (so two processes opening the same file cannot both apply a step).
 */
function applyMigrations(client: Database.Database, sets: readonly MigrationSet[]): void {
  client.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    owner TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (owner, version)
  )`);
  const recorded = client.prepare('SELECT version, name FROM schema_migrations WHERE owner = ? ORDER BY version');
  const record = client.prepare(
    "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
  );
  for (const set of sets) {
    const applyPending = client.transaction(() => {
      const applied = recorded.all(set.owner) as { version: number; name: string }[];
      for (const { version, name } of applied) {
        const step = set.steps[version - 1];
        if (step === undefined) {
          throw new StorageError(
            'migration_mismatch',
            `The host database has ${set.owner} migration ${version} ("${name}"), which this build does not know: a newer host wrote it. Run a newer host or use another home.`,
          );
        }
        if (step.name !== name) {
          throw new StorageError(
            'migration_mismatch',
            `${set.owner} migration ${version} is "${name}" in the database but "${step.name}" in code. Migration lists are append-only: restore the step and add a new one at the end.`,
          );
        }
      }
      for (let version = applied.length + 1; version <= set.steps.length; version += 1) {
        const step = set.steps[version - 1]!;
        try {
          if (typeof step.up === 'string') client.exec(step.up);
          else step.up(client);
        } catch (cause) {
          throw new StorageError(
            'migration_failed',
            `${set.owner} migration ${version} ("${step.name}") failed: ${(cause as Error).message}`,
            { cause },
          );
        }
        record.run(set.owner, version, step.name);
      }
    });
    applyPending.immediate();
  }
}
