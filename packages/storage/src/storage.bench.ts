import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, bench, describe } from 'vitest';
import { pluginDatabasePath } from './paths.js';
import { createPluginStorage } from './plugin-storage.js';

// The same statements through the host-API entry points (worker thread, JSON in
// and out) and through better-sqlite3 directly on this thread; vitest prints the ratio.
const home = mkdtempSync(join(tmpdir(), 'osr-storage-bench-'));
const storage = createPluginStorage({ home, workers: 1 });
const SETUP = 'CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, title TEXT, body TEXT, score REAL)';
const INSERT = 'INSERT INTO notes (title, body, score) VALUES (?, ?, ?)';
const SELECT = 'SELECT id, title, body, score FROM notes ORDER BY id LIMIT 20';
const PARAMS = ['a title', 'a short body of text', 4.5] as const;

await storage.exec('bench.api', SETUP, null);
await storage.exec('bench.direct', SETUP, null);
const direct = new Database(pluginDatabasePath(home, 'bench.direct'));
direct.pragma('journal_mode = WAL');
direct.pragma('synchronous = NORMAL');
const directInsert = direct.prepare(INSERT);
const directSelect = direct.prepare(SELECT).raw(true);
for (let i = 0; i < 100; i += 1) {
  directInsert.run(...PARAMS);
  await storage.exec('bench.api', INSERT, JSON.stringify(PARAMS));
}

afterAll(async () => {
  direct.close();
  await storage.closeAll();
  rmSync(home, { recursive: true, force: true });
});

describe('db_exec: one INSERT', () => {
  bench('better-sqlite3 directly', () => {
    directInsert.run(...PARAMS);
  });
  bench('storage.exec (worker, JSON)', async () => {
    await storage.exec('bench.api', INSERT, JSON.stringify(PARAMS));
  });
});

describe('db_query: 20 rows', () => {
  bench('better-sqlite3 directly + JSON.stringify', () => {
    JSON.stringify({ columns: ['id', 'title', 'body', 'score'], rows: directSelect.all() });
  });
  bench('storage.query (worker, JSON)', async () => {
    await storage.query('bench.api', SELECT, null);
  });
});

describe('db_exec: 64 concurrent INSERTs', () => {
  bench('better-sqlite3 directly', () => {
    for (let i = 0; i < 64; i += 1) directInsert.run(...PARAMS);
  });
  bench('storage.exec (worker, JSON)', async () => {
    await Promise.all(Array.from({ length: 64 }, () => storage.exec('bench.api', INSERT, JSON.stringify(PARAMS))));
  });
});
