import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { agentRegistry, DEFAULT_AGENT_ID } from './agents.js';
import { type HostDatabase, hostDatabasePath, type MigrationSet, openHostDatabase } from './host-database.js';

let home: string;
const opened: HostDatabase[] = [];

function open(migrations: MigrationSet[] = []): HostDatabase {
  const db = openHostDatabase(hostDatabasePath(home), { migrations });
  opened.push(db);
  return db;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'osr-host-db-'));
});

afterEach(() => {
  for (const db of opened.splice(0)) if (db.$client.open) db.$client.close();
  rmSync(home, { recursive: true, force: true });
});

const consentV1: MigrationSet = {
  owner: 'consent',
  steps: [{ name: 'consent', up: 'CREATE TABLE consent (plugin_id TEXT PRIMARY KEY, granted INTEGER NOT NULL)' }],
};
const recordedVersions = (db: HostDatabase) =>
  db.$client.prepare('SELECT owner, version, name FROM schema_migrations ORDER BY owner, version').all();

describe('openHostDatabase', () => {
  it('creates <home>/host.db with WAL and foreign keys, and records applied steps', () => {
    const db = open([consentV1]);
    expect(db.$client.name).toBe(join(home, 'host.db'));
    expect(db.$client.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.$client.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(recordedVersions(db)).toEqual([
      { owner: '@osr-host/storage', version: 1, name: 'agents' },
      { owner: 'consent', version: 1, name: 'consent' },
    ]);
  });

  it('applies only the steps appended since the last open', () => {
    const first = open([consentV1]);
    first.$client.prepare('INSERT INTO consent VALUES (?, 1)').run('com.example.a');
    first.$client.close();
    const consentV2: MigrationSet = {
      owner: 'consent',
      steps: [...consentV1.steps, { name: 'consent-at', up: (client) => client.exec('ALTER TABLE consent ADD COLUMN at TEXT') }],
    };
    const second = open([consentV2]);
    expect(second.all(sql`SELECT plugin_id, granted, at FROM consent`)).toEqual([
      { plugin_id: 'com.example.a', granted: 1, at: null },
    ]);
    expect(recordedVersions(second)).toHaveLength(3);
  });

  it('refuses a database whose recorded steps were renamed or come from a newer build', () => {
    open([consentV1]).$client.close();
    const renamed: MigrationSet = { owner: 'consent', steps: [{ name: 'other', up: 'SELECT 1' }] };
    expect(() => open([renamed])).toThrowError(expect.objectContaining({ code: 'migration_mismatch' }));
    expect(() => open([{ owner: 'consent', steps: [] }])).toThrowError(/a newer host wrote it/);
  });

  it('rolls a failing step back entirely and records nothing for it', () => {
    const failing: MigrationSet = {
      owner: 'broken',
      steps: [{ name: 'half', up: 'CREATE TABLE half (a); INSERT INTO missing VALUES (1);' }],
    };
    expect(() => open([failing])).toThrowError(expect.objectContaining({ code: 'migration_failed' }));
    const db = open();
    expect(db.all(sql`SELECT name FROM sqlite_master WHERE name = 'half'`)).toEqual([]);
    expect(recordedVersions(db)).toEqual([{ owner: '@osr-host/storage', version: 1, name: 'agents' }]);
  });

  it('refuses repeated owners or step names', () => {
    expect(() => open([consentV1, consentV1])).toThrowError(/listed twice/);
    expect(() => open([{ owner: 'x', steps: [consentV1.steps[0]!, consentV1.steps[0]!] }])).toThrowError(/repeated step name/);
  });
});

describe('agentRegistry', () => {
  it('has the built-in Default agent', () => {
    const registry = agentRegistry(open());
    expect(registry.list()).toEqual([{ id: DEFAULT_AGENT_ID, name: 'Default', createdAt: expect.any(String) }]);
    expect(registry.get(DEFAULT_AGENT_ID)?.name).toBe('Default');
  });

  it('creates agents with upper-case UUIDs and finds them in any letter case', () => {
    const registry = agentRegistry(open());
    const agent = registry.create('  Research  ');
    expect(agent.id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
    expect(agent.name).toBe('Research');
    expect(registry.get(agent.id.toLowerCase())).toEqual(agent);
    expect(registry.list().map((a) => a.id)).toEqual([DEFAULT_AGENT_ID, agent.id]);
    expect(registry.get('00000000-0000-0000-0000-0000000000FF')).toBeUndefined();
  });

  it('removes ordinary agents, never the Default agent', () => {
    const registry = agentRegistry(open());
    const agent = registry.create('Temporary');
    expect(registry.remove(agent.id.toLowerCase())).toBe(true);
    expect(registry.get(agent.id)).toBeUndefined();
    expect(registry.remove(agent.id)).toBe(false);
    expect(() => registry.remove(DEFAULT_AGENT_ID)).toThrow(/cannot be removed/);
    expect(registry.get(DEFAULT_AGENT_ID)).toBeDefined();
  });

  it('refuses bad ids and names', () => {
    const registry = agentRegistry(open());
    expect(() => registry.get('not-a-uuid')).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => registry.create('   ')).toThrowError(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('ensureFirstOrdinaryAgent creates one agent on first run and returns it afterwards', () => {
    const first = agentRegistry(open()).ensureFirstOrdinaryAgent('Assistant');
    expect(first).toMatchObject({ name: 'Assistant' });
    opened[0]!.$client.close();
    const registry = agentRegistry(open());
    expect(registry.ensureFirstOrdinaryAgent('Other')).toEqual(first);
    registry.create('Later');
    expect(registry.ensureFirstOrdinaryAgent()).toEqual(first);
    expect(registry.list()).toHaveLength(3);
  });
});
