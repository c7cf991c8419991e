import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError } from './errors.js';
import { WORKER_READY, type WorkerSettings } from './worker-protocol.js';

const moduleFile = fileURLToPath(import.meta.url);

/**
 * Starts one storage worker and resolves once it takes requests: the sibling `storage-worker.js` (or `.cjs`) of the
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
  const worker = new Worker(entry, { workerData: settings });
  // Resolved only once the worker has loaded SQLite: a worker still booting must not count as running.
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      worker.off('message', onReady);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onReady = (message: unknown) => {
      if (message !== WORKER_READY) return;
      stop();
      resolve();
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onExit = (code: number) => {
      stop();
      reject(new Error(`the storage worker exited with code ${code} while starting`));
    };
    worker.on('message', onReady);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
  return worker;
}
