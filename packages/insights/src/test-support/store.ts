import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostCallInput } from '../record.js';
import { ActivityStore, type ActivityStoreOptions } from '../store.js';

/** A host call as the runtime reports it, with defaults for what a test does not care about. */
export function hostCall(overrides: Partial<HostCallInput> & Pick<HostCallInput, 'slot'>): HostCallInput {
  return {
    pluginId: 'com.example.echo',
    agentId: null,
    frame: 'invoke',
    status: 200,
    startedAt: new Date(),
    durationMs: 1.5,
    args: [],
    intArg: 0,
    response: null,
    requestBytes: 0,
    responseBytes: 0,
    ...overrides,
  };
}

/** A store over a real SQLite file in a fresh temp directory, removed by `dispose`. */
export function tempStore(options: ActivityStoreOptions = {}): { store: ActivityStore; path: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'osr-insights-'));
  const path = join(dir, 'host.db');
  const store = ActivityStore.open(path, { onError: (error) => { throw error; }, ...options });
  return {
    store,
    path,
    dispose: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
