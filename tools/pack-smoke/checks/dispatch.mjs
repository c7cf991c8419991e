// A background task runs to COMPLETED against a loopback model, its session kept in the host database.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TASK_EVENT } from '@osr-host/abi';
import { dispatchMigrations, TaskManager } from '@osr-host/dispatch';
import { createInferenceHost } from '@osr-host/inference-stream';
import { startFakeOpenAIServer } from '@osr-host/inference-stream/testing';
import { hostDatabasePath, openHostDatabase } from '@osr-host/storage';

const server = await startFakeOpenAIServer();
const database = openHostDatabase(hostDatabasePath(mkdtempSync(join(tmpdir(), 'osr-smoke-dispatch-'))), { migrations: [dispatchMigrations] });
let finished;
const done = new Promise((resolve) => (finished = resolve));
const tasks = new TaskManager({
  inference: createInferenceHost({ providers: [{ name: 'local', baseURL: server.baseURL }], warn: () => {} }),
  database,
  warn: () => {},
  // The host's plugin directory (PluginDirectory of @osr-host/abi): one plugin, which only takes task events.
  plugins: {
    get: (id) =>
      id === 'dev.osr.smoke'
        ? {
            id,
            directory: process.cwd(),
            manifest: {},
            instance: {
              invokeTool: async () => '{"ok":true}',
              taskEvent: async (taskId, type) => {
                if (type === TASK_EVENT.COMPLETED || type === TASK_EVENT.FAILED) finished({ taskId, type });
              },
            },
          }
        : undefined,
  },
});
const ctx = { pluginId: 'dev.osr.smoke', agentId: '6F1E4C7A-2B59-4C1D-9A3E-0123456789AB' };
const started = JSON.parse(await tasks.dispatch(ctx, '{"prompt":"say hi"}'));
assert.ok(started.id, JSON.stringify(started));
const event = await done;
assert.equal(event.type, TASK_EVENT.COMPLETED, JSON.stringify(event));
await tasks.close();
await server.close();
console.log(`dispatch started task ${started.id} and it completed`);
