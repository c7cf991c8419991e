import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pluginDatabasePath } from './paths.js';
import { createDatabaseSlotHandler, type DatabaseSlotHandler } from './slot-handler.js';

let home: string;
let handler: DatabaseSlotHandler;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'osr-storage-slots-'));
  handler = createDatabaseSlotHandler({ home });
});

afterEach(() => {
  handler.close();
  rmSync(home, { recursive: true, force: true });
});

const serve = (slot: string, sql: string | null, params: string | null = null, pluginId = 'com.example.notes') =>
  handler.serve(pluginId, slot, [sql, params, null]);

describe('createDatabaseSlotHandler', () => {
  it('answers db_exec and db_query as the storage workers do, in the plugin’s own database file', () => {
    expect(serve('db_exec', 'CREATE TABLE notes (body TEXT)')).toBe('{"changes":0,"last_insert_rowid":0}');
    expect(serve('db_exec', 'INSERT INTO notes VALUES (?)', '["hello"]')).toBe('{"changes":1,"last_insert_rowid":1}');
    expect(serve('db_query', 'SELECT body FROM notes')).toBe('{"columns":["body"],"rows":[["hello"]]}');
    expect(serve('db_exec', null)).toBeNull();
    const file = new Database(pluginDatabasePath(home, 'com.example.notes'), { readonly: true });
    expect(file.prepare('SELECT body FROM notes').pluck().all()).toEqual(['hello']);
    file.close();
  });

  it('refuses a plugin id that names no single directory, the guard’s SQL and other slots, with envelopes', () => {
    expect(JSON.parse(serve('db_exec', 'SELECT 1', null, '../escape')!)).toMatchObject({ error: 'invalid_argument' });
    expect(JSON.parse(serve('db_exec', "ATTACH DATABASE '/tmp/x.db' AS x")!)).toMatchObject({ error: 'forbidden' });
    expect(JSON.parse(serve('http_request', '{}')!)).toMatchObject({ error: 'not_supported' });
  });

  it('forgetting a plugin closes its connection: its open transaction rolls back, and the next call reopens', () => {
    serve('db_exec', 'CREATE TABLE notes (body TEXT)');
    serve('db_exec', 'BEGIN');
    serve('db_exec', "INSERT INTO notes VALUES ('unsaved')");
    handler.forget('com.example.notes');
    expect(serve('db_query', 'SELECT COUNT(*) AS n FROM notes')).toBe('{"columns":["n"],"rows":[[0]]}');
  });
});
