import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerSettings } from './worker-protocol.js';

const moduleFile = fileURLToPath(import.meta.url);
let sourceBundle: Promise<string> | undefined;

/**
 * Starts one storage worker. From the built package it runs the sibling
 * `storage-worker.js` (or `.cjs`). When this module runs from its TypeScript
 * source (tests across the monorepo resolve packages to `src/`), a worker
 * cannot load `.ts`, so the worker entry is bundled once with esbuild.
 */
export async function launchStorageWorker(settings: WorkerSettings): Promise<Worker> {
  if (!moduleFile.endsWith('.ts')) {
    const extension = moduleFile.endsWith('.cjs') ? '.cjs' : '.js';
    return new Worker(new URL(`./storage-worker${extension}`, import.meta.url), { workerData: settings });
  }
  sourceBundle ??= bundleWorkerSource();
  return new Worker(await sourceBundle, { eval: true, workerData: settings });
}

async function bundleWorkerSource(): Promise<string> {
  const { build } = await import('esbuild');
  const entry = fileURLToPath(new URL('./storage-worker.ts', import.meta.url));
  const output = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['better-sqlite3'],
  });
  // Eval'd code resolves bare requires from the working directory; resolve from the source instead.
  return `(function (require) {\n${output.outputFiles[0]!.text}\n})(require('node:module').createRequire(${JSON.stringify(entry)}));`;
}
