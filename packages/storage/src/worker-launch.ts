import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError } from './errors.js';
import type { WorkerSettings } from './worker-protocol.js';

const moduleFile = fileURLToPath(import.meta.url);

/**
 * Starts one storage worker: the sibling `storage-worker.js` (or `.cjs`) of the
 * built package. When this module runs from its TypeScript source (tests across
 * the monorepo resolve packages to `src/`), a worker cannot load `.ts`, so it
 * runs the package's own build instead; every test target builds its
 * dependencies first.
 */
export async function launchStorageWorker(settings: WorkerSettings): Promise<Worker> {
  const fromSource = moduleFile.endsWith('.ts');
  const extension = moduleFile.endsWith('.cjs') ? '.cjs' : '.js';
  const entry = new URL(fromSource ? '../dist/storage-worker.js' : `./storage-worker${extension}`, import.meta.url);
  if (fromSource && !existsSync(entry)) {
    throw new StorageError('database_unavailable', `The storage worker is not built (${fileURLToPath(entry)} is missing); run \`npx nx run @osr-host/storage:build\` and retry.`);
  }
  // Not the host's flags (export conditions among them): the worker runs the built entry and its built dependencies as is.
  return new Worker(entry, { workerData: settings, execArgv: [] });
}
