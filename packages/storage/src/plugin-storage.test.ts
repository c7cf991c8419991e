import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from './errors.js';
import { pluginDatabasePath } from './paths.js';
import { createPluginStorage, type PluginStorage, type PluginStorageOptions } from './plugin-storage.js';

let home: string;
const opened: PluginStorage[] = [];

function storage(options: Partial<PluginStorageOptions> = {}): PluginStorage {
  const created = createPluginStorage({ home, ...options });
  opened.push(created);
  return created;
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'osr-storage-async-'));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.closeAll()));
  rmSync(home, { recursive: true, force: true });
});

const parse = (reply: string | null) => JSON.parse(reply!) as Record<string, unknown>;

describe('PluginStorage slots', () => {
  it('answers the slot strings through the worker', async () => {
    const s = storage();
    expect(await s.exec('notes', 'CREATE TABLE n (body TEXT)', null)).toBe('{"changes":0,"last_insert_rowid":0}');
    expect(await s.exec('notes', 'INSERT INTO n VALUES (?)', '["hello/world"]')).toBe('{"changes":1,"last_insert_rowid":1}');
    expect(await s.query('notes', 'SELECT body FROM n', null)).toBe('{"columns":["body"],"rows":[["hello/world"]]}');
    expect(await s.exec('notes', null, null)).toBeNull();
    expect(await s.query('notes', null, '[1]')).toBeNull();
  });

  it('answers invalid_argument for a plugin id that would escape Tools/', async () => {
    expect(parse(await storage().exec('../escape', 'SELECT 1', null)).error).toBe('invalid_argument');
  });

  it('keeps each plugin in its own file', async () => {
    const s = storage({ workers: 2 });
    await Promise.all(['a', 'b', 'c'].map((id) => s.exec(id, `CREATE TABLE only_${id} (x)`, null)));
    for (const id of ['a', 'b', 'c']) {
      const tables = await s.select(id, "SELECT name FROM sqlite_master WHERE type = 'table'");
      expect(tables.rows).toEqual([[`only_${id}`]]);
    }
  });

  it('prestart starts the workers ahead of need; calls then run on them, and they keep nothing alive', async () => {
    const s = storage({ workers: 2 });
    await s.prestart();
    await s.prestart();
    await Promise.all(['a', 'b', 'c'].map((id) => s.exec(id, 'CREATE TABLE t (x)', null)));
    for (const id of ['a', 'b', 'c']) expect((await s.select(id, 'SELECT count(*) AS n FROM t')).rows).toEqual([[0]]);
    // A file, not `-e`: workers inherit the parent's flags, and `--input-type` stops a worker from starting.
    const script = join(home, 'prestart.mjs');
    writeFileSync(
      script,
      `import { createPluginStorage } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const s = createPluginStorage({ home: ${JSON.stringify(home)}, workers: 4 });
      void s.prestart();
      console.log(await s.exec('a', 'SELECT 1', null));
      console.log(await createPluginStorage({ home: ${JSON.stringify(home)}, workers: 2 }).exec('b', 'SELECT 1', null));`,
    );
    // The process ends by itself: neither the workers booted ahead of need nor the spare ones keep it alive.
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 20_000 });
    expect(stdout).toBe('{"changes":0,"last_insert_rowid":0}\n{"changes":0,"last_insert_rowid":0}\n');
  });

  it('a call made while its worker boots ahead of need is answered, and closeAll during a boot returns', async () => {
    const s = storage({ workers: 2 });
    void s.prestart();
    expect(await s.exec('a', 'CREATE TABLE t (x)', null)).toBe('{"changes":0,"last_insert_rowid":0}');
    const booting = storage();
    void booting.prestart();
    await booting.closeAll();
    expect(parse(await booting.exec('a', 'SELECT 1', null)).error).toBe('shutting_down');
  });

  it('closeAll keeps the process alive until it returns, whenever it lands during a boot ahead of need', async () => {
    // The process has nothing else to wait on, as a CLI command that closes its host before printing its result.
    const script = join(home, 'close-during-boot.mjs');
    writeFileSync(
      script,
      `import { createPluginStorage } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      for (let round = 0; round < 60; round++) {
        const s = createPluginStorage({ home: ${JSON.stringify(home)}, workers: 2 });
        // Every other round closes while the workers boot, the others once they run idle.
        if (round % 2 === 0) void s.prestart();
        else await s.prestart();
        await s.closeAll();
      }
      console.log('closed every time');`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 60_000 });
    expect(stdout).toBe('closed every time\n');
  });

  it('prestart after closeAll starts nothing, and calls still answer shutting_down', async () => {
    const s = storage();
    await s.closeAll();
    await s.prestart();
    expect(parse(await s.exec('a', 'SELECT 1', null)).error).toBe('shutting_down');
  });

  it('keeps data across a storage restart', async () => {
    const first = storage();
    await first.exec('notes', 'CREATE TABLE n (body TEXT)', null);
    await first.exec('notes', "INSERT INTO n VALUES ('survives')", null);
    await first.closeAll();
    expect((await storage().select('notes', 'SELECT body FROM n')).rows).toEqual([['survives']]);
  });

  it('validates its options', () => {
    expect(() => createPluginStorage({ home: '' })).toThrowError(StorageError);
    expect(() => createPluginStorage({ home, maxBytes: -1 })).toThrowError(/maxBytes/);
    expect(() => createPluginStorage({ home, workers: 0 })).toThrowError(/workers/);
    expect(() => createPluginStorage({ home, busyTimeoutMs: 1.5 })).toThrowError(/busyTimeoutMs/);
  });
});

describe('typed API', () => {
  it('execute and select return parsed results', async () => {
    const s = storage();
    await s.execute('notes', 'CREATE TABLE n (id INTEGER PRIMARY KEY, body TEXT, data BLOB)');
    expect(await s.execute('notes', 'INSERT INTO n (body, data) VALUES (:body, :data)', { body: 'b', data: null })).toEqual({
      changes: 1,
      lastInsertRowid: 1,
    });
    expect(await s.select('notes', "SELECT id, body, x'01' FROM n WHERE id = ?", [1])).toEqual({
      columns: ['id', 'body', "x'01'"],
      rows: [[1, 'b', 'AQ==']],
    });
  });

  it('rejects with a StorageError carrying the envelope code', async () => {
    const failure = await storage()
      .select('notes', "ATTACH 'x' AS y")
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageError);
    expect(failure).toMatchObject({ code: 'forbidden' });
    await expect(storage().execute('notes', 'SELECT ?', [1n])).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('concurrency', () => {
  it('runs many concurrent writers for one plugin without losing a row', async () => {
    const s = storage();
    await s.exec('busy', 'CREATE TABLE hits (n INTEGER)', null);
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, n) => s.exec('busy', 'INSERT INTO hits VALUES (?)', `[${n}]`)),
    );
    const rowids = replies.map((reply) => parse(reply).last_insert_rowid);
    expect(new Set(rowids).size).toBe(300);
    // One queue per plugin: calls run in the order they were made.
    expect(rowids).toEqual(Array.from({ length: 300 }, (_, n) => n + 1));
    expect((await s.select('busy', 'SELECT count(*), sum(n) FROM hits')).rows).toEqual([[300, (299 * 300) / 2]]);
  });

  it('keeps the event loop free while a statement waits for another connection’s lock', async () => {
    const s = storage();
    await s.exec('locked', 'CREATE TABLE t (a)', null);
    const other = new Database(pluginDatabasePath(home, 'locked'));
    other.pragma('journal_mode = WAL');
    other.exec('BEGIN IMMEDIATE');
    other.exec("INSERT INTO t VALUES ('other')");

    const events: string[] = [];
    const waiting = s.exec('locked', "INSERT INTO t VALUES ('ours')", null).then((reply) => {
      events.push('insert answered');
      return reply;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.push('timer ran');
    // Committing needs this (main) thread: it would deadlock until the busy timeout if the wait blocked it.
    other.exec('COMMIT');
    other.close();

    expect(parse(await waiting)).toEqual({ changes: 1, last_insert_rowid: 2 });
    expect(events).toEqual(['timer ran', 'insert answered']);
  });

  it('answers database_busy once the busy timeout passes', async () => {
    const s = storage({ busyTimeoutMs: 20 });
    await s.exec('locked', 'CREATE TABLE t (a)', null);
    const other = new Database(pluginDatabasePath(home, 'locked'));
    other.exec('BEGIN IMMEDIATE');
    const reply = parse(await s.exec('locked', 'INSERT INTO t VALUES (1)', null));
    other.exec('ROLLBACK');
    other.close();
    expect(reply).toMatchObject({ error: 'database_busy', message: 'database is locked', sqlite_code: 'SQLITE_BUSY' });
    expect(parse(await s.exec('locked', 'INSERT INTO t VALUES (1)', null))).toMatchObject({ changes: 1 });
  });

  it('shares one file with a writer in another process without losing rows', async () => {
    const s = storage();
    await s.exec('shared', 'CREATE TABLE w (who TEXT, n INTEGER)', null);
    const sqliteModule = createRequire(import.meta.url).resolve('better-sqlite3');
    const script = `
      const Database = require(${JSON.stringify(sqliteModule)});
      const db = new Database(process.argv[1]);
      db.pragma('busy_timeout = 5000');
      const insert = db.prepare("INSERT INTO w VALUES ('child', ?)");
      for (let n = 0; n < 200; n += 1) insert.run(n);
      db.close();`;
    const child = promisify(execFile)(process.execPath, ['-e', script, pluginDatabasePath(home, 'shared')]);
    const ours = Promise.all(
      Array.from({ length: 200 }, (_, n) => s.exec('shared', "INSERT INTO w VALUES ('host', ?)", `[${n}]`)),
    );
    await child;
    expect((await ours).every((reply) => parse(reply).changes === 1)).toBe(true);
    expect((await s.select('shared', 'SELECT who, count(*) FROM w GROUP BY who ORDER BY who')).rows).toEqual([
      ['child', 200],
      ['host', 200],
    ]);
  });
});

describe('teardown', () => {
  it('a closed plugin handle refuses later calls with shutting down; earlier calls complete', async () => {
    const s = storage();
    const first = s.forPlugin('torn');
    await first.exec('CREATE TABLE t (n INTEGER)', null);
    const replies: Promise<string | null>[] = [];
    let closing: Promise<void> | undefined;
    for (let n = 0; n < 100; n += 1) {
      if (n === 60) closing = first.close();
      replies.push(first.exec('INSERT INTO t VALUES (?)', `[${n}]`));
    }
    await closing;
    const answers = (await Promise.all(replies)).map(parse);
    expect(answers.slice(0, 60).every((answer) => answer.changes === 1)).toBe(true);
    expect(answers.slice(60).every((answer) => answer.error === 'shutting_down')).toBe(true);
    expect(String(answers[60]!.message)).toContain('shutting down');
    await expect(first.select('SELECT 1')).rejects.toMatchObject({ code: 'shutting_down' });
    expect(await first.query(null, null)).toBeNull();

    // A reload gets a fresh handle and finds every write made before the teardown.
    const reloaded = s.forPlugin('torn');
    expect((await reloaded.select('SELECT count(*), max(n) FROM t')).rows).toEqual([[60, 59]]);
  });

  it('closeAll lets calls already made finish and refuses every later call', async () => {
    const s = storage();
    await s.exec('p', 'CREATE TABLE t (n INTEGER)', null);
    const before = Array.from({ length: 50 }, (_, n) => s.exec('p', 'INSERT INTO t VALUES (?)', `[${n}]`));
    const closing = s.closeAll();
    const after = s.exec('p', 'INSERT INTO t VALUES (999)', null);
    await closing;
    expect((await Promise.all(before)).every((reply) => parse(reply).changes === 1)).toBe(true);
    expect(parse(await after).error).toBe('shutting_down');
    expect((await storage().select('p', 'SELECT count(*) FROM t')).rows).toEqual([[50]]);
  });

  it('close(pluginId) closes the connection and a later call reopens it', async () => {
    const s = storage();
    await s.exec('p', 'CREATE TABLE t (n INTEGER)', null);
    await s.exec('p', 'BEGIN', null);
    await s.exec('p', 'INSERT INTO t VALUES (1)', null);
    await s.close('p');
    expect((await s.select('p', 'SELECT count(*) FROM t')).rows).toEqual([[0]]);
  });
});
