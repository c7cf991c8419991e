import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StorageError } from './errors.js';
import { WORKER_READY, type WorkerSettings } from './worker-protocol.js';

const moduleFile = fileURLToPath(import.meta.url);

/** A storage worker being started: its thread at once, and `ready` once it has loaded SQLite and takes requests. */
export interface StartingWorker {
  readonly thread: Worker;
  readonly ready: Promise<Worker>;
}

/**
 * Starts one storage worker: the sibling `storage-worker.js` (or `.cjs`) of the
 * built package. When this module runs from its TypeScript source (tests across
 * the monorepo resolve packages to `src/`), a worker cannot load `.ts`, so it
 * runs the package's own build instead; every test target builds its
 * dependencies first.
 */
export function launchStorageWorker(settings: WorkerSettings): StartingWorker {
  const fromSource = moduleFile.endsWith('.ts');
  const extension = moduleFile.endsWith('.cjs') ? '.cjs' : '.js';
  const entry = new URL(fromSource ? '../dist/storage-worker.js' : `./storage-worker${extension}`, import.meta.url);
  if (fromSource && !existsSync(entry)) {
    throw new StorageError('database_unavailable', `The storage worker is not built (${fileURLToPath(entry)} is missing); run \`npx nx run @osr-host/storage:build\` and retry.`);
  }
  // Not the host's flags (export conditions among them): the worker runs the built entry and its built dependencies as is.
  const thread = new Worker(entry, { workerData: settings, execArgv: [] });
  // A worker still booting must not count as running: ready waits for its first message.
  const ready = new Promise<Worker>((resolve, reject) => {
    const stop = () => {
      thread.off('message', onReady);
      thread.off('error', onError);
      thread.off('exit', onExit);
    };
    const onReady = (message: unknown) => {
      if (message !== WORKER_READY) return;
      stop();
      resolve(thread);
    };
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    const onExit = (code: number) => {
      stop();
      reject(new Error(`the storage worker exited with code ${code} while starting`));
    };
    thread.on('message', onReady);
    thread.on('error', onError);
    thread.on('exit', onExit);
  });
  return { thread, ready };
}
