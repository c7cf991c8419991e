// A host call recorded into the host database and read back.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityStore, insightsMigrations } from '@osr-host/insights';
import { hostDatabasePath, openHostDatabase } from '@osr-host/storage';

const database = openHostDatabase(hostDatabasePath(mkdtempSync(join(tmpdir(), 'osr-smoke-insights-'))), { migrations: [insightsMigrations] });
const store = new ActivityStore(database);
store.record({
  pluginId: 'dev.osr.smoke',
  agentId: null,
  frame: 'tool',
  slot: 'log',
  status: 200,
  startedAt: new Date(),
  durationMs: 1,
  args: ['echo called'],
  intArg: 2,
  response: null,
  requestBytes: 11,
  responseBytes: 0,
});
store.flush();
const page = store.query({ pluginId: 'dev.osr.smoke' });
assert.equal(page.rows.length, 1);
store.close();
console.log(`recorded a host call and read it back (${page.rows[0].slot ?? 'row'})`);
