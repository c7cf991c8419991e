import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PluginDatabaseEngine } from './engine.js';

let home: string;
let engine: PluginDatabaseEngine;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'osr-storage-engine-'));
  engine = new PluginDatabaseEngine({ home, maxBytes: 100 * 1024 * 1024, busyTimeoutMs: 5000 });
});

afterEach(() => {
  engine.closeAll();
  rmSync(home, { recursive: true, force: true });
});

const json = (reply: string | null) => JSON.parse(reply!) as Record<string, unknown>;
const exec = (sql: string | null, params: string | null = null) => json(engine.exec('com.example.notes', sql, params));
const query = (sql: string | null, params: string | null = null) => json(engine.query('com.example.notes', sql, params));

describe('opening', () => {
  it('creates the database lazily at <home>/Tools/<plugin_id>/data/data.db', () => {
    const file = join(home, 'Tools', 'com.example.notes', 'data', 'data.db');
    expect(existsSync(file)).toBe(false);
    exec('CREATE TABLE notes (body TEXT)');
    expect(existsSync(file)).toBe(true);
  });

  it('warmUp runs on a throwaway in-memory database: no file, and plugins work as before', () => {
    engine.warmUp();
    expect(existsSync(join(home, 'Tools'))).toBe(false);
    exec('CREATE TABLE notes (body TEXT)');
    expect(query("SELECT name FROM sqlite_master WHERE type = 'table'")).toEqual({ columns: ['name'], rows: [['notes']] });
  });

  it('applies the upstream pragmas', () => {
    const pragma = (name: string) => (query(`PRAGMA ${name}`).rows as unknown[][])[0]![0];
    expect(pragma('journal_mode')).toBe('wal');
    expect(pragma('synchronous')).toBe(1); // NORMAL
    expect(pragma('foreign_keys')).toBe(1);
    expect(pragma('temp_store')).toBe(2); // MEMORY
    expect(pragma('busy_timeout')).toBe(5000);
    expect(pragma('max_page_count')).toBe((100 * 1024 * 1024) / 4096);
  });

  it('refuses plugin ids that would leave Tools/, creating nothing', () => {
    for (const pluginId of ['..', '../escape', 'a/b', 'a\\b', '.hidden', '', 'nul\u0000id']) {
      expect(json(engine.exec(pluginId, 'CREATE TABLE t (a)', null)).error, pluginId).toBe('invalid_argument');
    }
    expect(existsSync(join(home, 'escape'))).toBe(false);
    expect(existsSync(join(home, 'Tools'))).toBe(false);
  });

  it('answers database_unavailable for a file that is not a database, and leaves the file alone', () => {
    const dir = join(home, 'Tools', 'com.example.notes', 'data');
    mkdirSync(dir, { recursive: true });
    const garbage = Buffer.alloc(8192, 0x5a);
    writeFileSync(join(dir, 'data.db'), garbage);
    const reply = exec('SELECT 1');
    expect(reply.error).toBe('database_unavailable');
    expect(reply.message).toMatch(/^Database not open: .*not a database/);
    expect(readFileSync(join(dir, 'data.db')).equals(garbage)).toBe(true);
  });

  it('keeps data across close and reopen; an open transaction rolls back on close', () => {
    exec('CREATE TABLE notes (body TEXT)');
    exec("INSERT INTO notes VALUES ('kept')");
    exec('BEGIN');
    exec("INSERT INTO notes VALUES ('uncommitted')");
    engine.close('com.example.notes');
    expect(query('SELECT body FROM notes').rows).toEqual([['kept']]);
  });
});

describe('exec and query', () => {
  beforeEach(() => {
    exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v)');
  });

  it('exec answers changes and last_insert_rowid', () => {
    expect(exec('INSERT INTO items (v) VALUES (?), (?)', '["a","b"]')).toEqual({ changes: 2, last_insert_rowid: 2 });
    expect(exec('UPDATE items SET v = ?', '["c"]')).toEqual({ changes: 2, last_insert_rowid: 2 });
  });

  it('query answers positional rows under column names', () => {
    exec('INSERT INTO items (v) VALUES (?), (?)', '["a", null]');
    expect(query('SELECT id, v AS value FROM items ORDER BY id')).toEqual({
      columns: ['id', 'value'],
      rows: [
        [1, 'a'],
        [2, null],
      ],
    });
  });

  it("a read leaves no transaction behind, even one that failed midway, and runs inside the plugin's own", () => {
    exec('INSERT INTO items (v) VALUES (?)', '["a"]');
    expect(query('SELECT v FROM items')).toEqual({ columns: ['v'], rows: [['a']] });
    // abs() of the smallest integer fails while the statement steps, after its read began.
    expect(query('SELECT abs(-9223372036854775807 - 1) FROM items')).toMatchObject({ error: 'sqlite_error' });
    // Another connection writes and commits at once: no read lock or open transaction of ours is in its way.
    const other = new Database(join(home, 'Tools', 'com.example.notes', 'data', 'data.db'));
    other.pragma('busy_timeout = 0');
    other.exec("INSERT INTO items (v) VALUES ('b')");
    other.close();
    expect(exec('BEGIN')).toMatchObject({ changes: 0 });
    exec("INSERT INTO items (v) VALUES ('c')");
    expect(query('SELECT v FROM items ORDER BY id')).toEqual({ columns: ['v'], rows: [['a'], ['b'], ['c']] });
    exec('ROLLBACK');
    expect(query('WITH t AS (SELECT v FROM items) SELECT count(*) AS n FROM t')).toEqual({ columns: ['n'], rows: [[2]] });
  });

  it('a repeated SELECT * answers the columns of the current schema, changed here or by another connection', () => {
    exec('INSERT INTO items (v) VALUES (?)', '["a"]');
    expect(query('SELECT * FROM items')).toEqual({ columns: ['id', 'v'], rows: [[1, 'a']] });
    exec("ALTER TABLE items ADD COLUMN w TEXT DEFAULT 'w'");
    expect(query('SELECT * FROM items')).toEqual({ columns: ['id', 'v', 'w'], rows: [[1, 'a', 'w']] });
    const other = new Database(join(home, 'Tools', 'com.example.notes', 'data', 'data.db'));
    other.exec('ALTER TABLE items RENAME COLUMN w TO x');
    other.close();
    expect(query('SELECT * FROM items')).toEqual({ columns: ['id', 'v', 'x'], rows: [[1, 'a', 'w']] });
  });

  it('binds JSON values with the documented SQLite types', () => {
    exec('INSERT INTO items (v) VALUES (?), (?), (?), (?), (?), (?), (?)', '[null, true, false, 7, 2.5, "s", {"k":[1]}]');
    expect(query('SELECT typeof(v), v FROM items ORDER BY id').rows).toEqual([
      ['null', null],
      ['integer', 1],
      ['integer', 0],
      ['integer', 7],
      ['real', 2.5],
      ['text', 's'],
      ['text', '{"k":[1]}'],
    ]);
  });

  it('binds named parameters written :name, @name and $name', () => {
    exec('INSERT INTO items (id, v) VALUES (:id, @v)', '{":id": 5, "@v": "named"}');
    exec('INSERT INTO items (id, v) VALUES ($id, :v)', '{"$id": 6, "v": "bare"}');
    expect(query('SELECT v FROM items WHERE id >= :min ORDER BY id', '{":min": 5}').rows).toEqual([['named'], ['bare']]);
  });

  it('binds a JSON array to numbered parameters: element i is ?i, in any order and repeated', () => {
    exec('INSERT INTO items (id, v) VALUES (?1, ?2)', '[7, "first"]');
    exec('INSERT INTO items (v, id) VALUES (?2 || ?2, ?1)', '[8, "ab"]');
    expect(query('SELECT id, v FROM items WHERE id >= ?1 ORDER BY id', '[7]').rows).toEqual([
      [7, 'first'],
      [8, 'abab'],
    ]);
  });

  it('returns integers as exact int64 digits and BLOBs as base64', () => {
    const reply = engine.query('com.example.notes', "SELECT 9223372036854775807, -9223372036854775808, x'00ff10', 0.1", null);
    expect(reply).toBe('{"columns":["9223372036854775807","-9223372036854775808","x\'00ff10\'","0.1"],"rows":[[9223372036854775807,-9223372036854775808,"AP8Q",0.1]]}');
  });

  it('stores and returns strings with NUL characters when they are bound as parameters', () => {
    exec('INSERT INTO items (v) VALUES (?)', JSON.stringify(['a\u0000b']));
    expect(query('SELECT v, length(CAST(v AS BLOB)) FROM items').rows).toEqual([['a\u0000b', 3]]);
  });

  it('exec of a reader steps once; RETURNING changes are applied', () => {
    expect(exec("INSERT INTO items (v) VALUES ('r') RETURNING id")).toEqual({ changes: 1, last_insert_rowid: 1 });
    expect(query('SELECT count(*) FROM items').rows).toEqual([[1]]);
  });

  it('query of a statement without rows runs it and answers no columns', () => {
    expect(query("INSERT INTO items (v) VALUES ('q')")).toEqual({ columns: [], rows: [] });
    expect(query('SELECT v FROM items').rows).toEqual([['q']]);
  });

  it('answers null for NULL sql', () => {
    expect(engine.exec('com.example.notes', null, '[1]')).toBeNull();
    expect(engine.query('com.example.notes', null, null)).toBeNull();
  });
});

describe('bad input', () => {
  beforeEach(() => {
    exec('CREATE TABLE items (id INTEGER PRIMARY KEY, v UNIQUE)');
    exec("INSERT INTO items (v) VALUES ('existing')");
  });

  const rowCount = () => (query('SELECT count(*) FROM items').rows as number[][])[0]![0];

  it('malformed params_json is invalid_request and runs nothing', () => {
    for (const params of ['[1,', '{"v":', '"x"', '12']) {
      expect(exec('INSERT INTO items (v) VALUES (?)', params).error, params).toBe('invalid_request');
    }
    expect(rowCount()).toBe(1);
  });

  it('too few, too many or missing named parameters are invalid_request', () => {
    expect(exec('INSERT INTO items (id, v) VALUES (?, ?)', '[1]')).toMatchObject({ error: 'invalid_request' });
    expect(exec('INSERT INTO items (v) VALUES (?)', '[1, 2]')).toMatchObject({ error: 'invalid_request' });
    expect(exec('INSERT INTO items (v) VALUES (:v)', '{":other": 1}')).toMatchObject({
      error: 'invalid_request',
      message: 'Missing named parameter "v"',
    });
    expect(rowCount()).toBe(1);
  });

  it('numbered parameters with the wrong count, or mixed with bare ?, are invalid_request and run nothing', () => {
    expect(exec('INSERT INTO items (id, v) VALUES (?1, ?2)', '[1]')).toEqual({
      error: 'invalid_request',
      message: 'SQL uses ?1…?2, so params_json must have 2 values; it has 1.',
    });
    expect(exec('INSERT INTO items (v) VALUES (?1)', '[1, 2]')).toMatchObject({ error: 'invalid_request' });
    expect(exec('INSERT INTO items (id, v) VALUES (?1, ?)', '[1, 2]')).toEqual({
      error: 'invalid_request',
      message: 'SQL mixes numbered (?1) and bare (?) parameters; use one style.',
    });
    expect(exec("INSERT INTO items (v) VALUES ('?1 is text, not a parameter')", '[]')).toMatchObject({ changes: 1 });
    expect(rowCount()).toBe(2);
  });

  it('a trailing statement is invalid_request and the first one does not run either', () => {
    const reply = exec("INSERT INTO items (v) VALUES ('one'); INSERT INTO items (v) VALUES ('two')");
    expect(reply).toEqual({ error: 'invalid_request', message: 'The supplied SQL string contains more than one statement' });
    expect(rowCount()).toBe(1);
    expect(exec("INSERT INTO items (v) VALUES ('one'); -- trailing comment\n;")).toEqual({ changes: 1, last_insert_rowid: 2 });
  });

  it('empty SQL and NUL characters in SQL are invalid_request', () => {
    expect(exec('')).toMatchObject({ error: 'invalid_request' });
    expect(exec('  -- only a comment')).toMatchObject({ error: 'invalid_request' });
    expect(exec("INSERT INTO items (v) VALUES ('a')\u0000; DROP TABLE items")).toMatchObject({ error: 'invalid_request' });
    expect(rowCount()).toBe(1);
  });

  it('SQLite errors carry the SQLite text and code', () => {
    expect(exec("INSERT INTO items (v) VALUES ('existing')")).toEqual({
      error: 'sqlite_error',
      message: 'UNIQUE constraint failed: items.v',
      sqlite_code: 'SQLITE_CONSTRAINT_UNIQUE',
    });
    expect(query('SELECT * FROM missing')).toMatchObject({ error: 'sqlite_error', message: 'no such table: missing' });
  });

  it('hostile SQL is refused and leaves no file behind', () => {
    const target = join(home, 'attached.db');
    for (const sql of [
      `/**/ATTACH '${target}' AS a`,
      `SELECT 1; aTtAcH '${target}' AS a`,
      `VACUUM INTO '${target}'`,
      "SELECT \"load_extension\"('/tmp/x.so')",
      'PRAGMA max_page_count = 2147483646',
    ]) {
      expect(exec(sql), sql).toMatchObject({ error: 'forbidden' });
      expect(query(sql), sql).toMatchObject({ error: 'forbidden' });
      expect(exec(sql), `${sql} (again)`).toMatchObject({ error: 'forbidden' });
    }
    expect(existsSync(target)).toBe(false);
    expect(rowCount()).toBe(1);
  });

  it('handles a 10 MB statement: a big literal round-trips, a deep expression is a SQLite error', () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    expect(exec(`INSERT INTO items (v) VALUES ('${big}')`)).toEqual({ changes: 1, last_insert_rowid: 2 });
    expect(query('SELECT length(v) FROM items WHERE id = 2').rows).toEqual([[big.length]]);
    expect(query(`SELECT ${'1 + '.repeat(2_500_000)}1`)).toMatchObject({ error: 'sqlite_error' });
    expect(exec(`${"INSERT INTO items (v) VALUES (randomblob(4));".repeat(200_000)}`)).toMatchObject({
      error: 'invalid_request',
    });
    expect(rowCount()).toBe(2);
  });
});

describe('size cap', () => {
  const fill = (target: PluginDatabaseEngine, pluginId: string) => {
    target.exec(pluginId, 'CREATE TABLE blobs (b BLOB)', null);
    for (let i = 0; i < 1000; i += 1) {
      const reply = JSON.parse(target.exec(pluginId, 'INSERT INTO blobs VALUES (randomblob(4096))', null)!);
      if (reply.error !== undefined) return { inserted: i, reply };
    }
    return { inserted: 1000, reply: undefined };
  };

  it('fails writes past the cap with "database or disk is full" and keeps earlier rows', () => {
    const capped = new PluginDatabaseEngine({ home, maxBytes: 256 * 1024, busyTimeoutMs: 5000 });
    const { inserted, reply } = fill(capped, 'capped');
    expect(reply).toEqual({ error: 'database_full', message: 'database or disk is full', sqlite_code: 'SQLITE_FULL' });
    expect(inserted).toBeGreaterThan(10);
    expect(JSON.parse(capped.query('capped', 'SELECT count(*) FROM blobs', null)!).rows).toEqual([[inserted]]);
    capped.exec('capped', 'DELETE FROM blobs WHERE rowid <= 5', null);
    expect(JSON.parse(capped.exec('capped', 'INSERT INTO blobs VALUES (randomblob(4096))', null)!)).toMatchObject({
      changes: 1,
    });
    capped.closeAll();
  });

  it('maxBytes 0 means unlimited', () => {
    const unlimited = new PluginDatabaseEngine({ home, maxBytes: 0, busyTimeoutMs: 5000 });
    expect(fill(unlimited, 'unlimited')).toEqual({ inserted: 1000, reply: undefined });
    unlimited.closeAll();
  });

  it('still caps a database another tool opened without a cap', () => {
    const file = join(home, 'Tools', 'capped', 'data', 'data.db');
    mkdirSync(join(file, '..'), { recursive: true });
    const outside = new Database(file);
    outside.exec('CREATE TABLE seed (a)');
    outside.close();
    const capped = new PluginDatabaseEngine({ home, maxBytes: 64 * 1024, busyTimeoutMs: 5000 });
    expect(fill(capped, 'capped').reply).toMatchObject({ error: 'database_full' });
    capped.closeAll();
  });
});
