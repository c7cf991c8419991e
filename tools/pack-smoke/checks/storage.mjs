// Per-plugin SQLite through the storage worker (dist/storage-worker.js), and the host database.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentRegistry, createPluginStorage, hostDatabasePath, openHostDatabase } from '@osr-host/storage';

const home = mkdtempSync(join(tmpdir(), 'osr-smoke-storage-'));
const storage = createPluginStorage({ home });
await storage.exec('dev.osr.smoke', 'CREATE TABLE n (body TEXT)', null);
await storage.exec('dev.osr.smoke', 'INSERT INTO n VALUES (:body)', '{":body":"hi"}');
const rows = JSON.parse(await storage.query('dev.osr.smoke', 'SELECT body FROM n', null));
assert.deepEqual(rows, { columns: ['body'], rows: [['hi']] });
await storage.closeAll();
const db = openHostDatabase(hostDatabasePath(home), { migrations: [] });
const agent = agentRegistry(db).ensureFirstOrdinaryAgent('Assistant');
assert.ok(agent.id);
console.log('plugin database exec/query through the worker; host database migrated, agent created');
