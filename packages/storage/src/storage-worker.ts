import { parentPort, workerData } from 'node:worker_threads';
import { errorJson, PluginDatabaseEngine } from './engine.js';
import { WORKER_READY, type WorkerRequest, type WorkerResponse, type WorkerSettings } from './worker-protocol.js';

// Runs the plugin databases off the host's event loop. Messages are handled one
// at a time, so each plugin's statements run in the order they were sent.
const engine = new PluginDatabaseEngine(workerData as WorkerSettings);
const port = parentPort!;

function handle(request: WorkerRequest): string | null {
  switch (request.op) {
    case 'exec':
      return engine.exec(request.pluginId, request.sql, request.paramsJson);
    case 'query':
      return engine.query(request.pluginId, request.sql, request.paramsJson);
    case 'close':
      engine.close(request.pluginId);
      return null;
    case 'closeAll':
      engine.closeAll();
      return null;
  }
}

port.on('message', (request: WorkerRequest) => {
  let result: string | null;
  try {
    result = handle(request);
  } catch (error) {
    result = errorJson('sqlite_error', error instanceof Error ? error.message : String(error));
  }
  port.postMessage({ id: request.id, result } satisfies WorkerResponse);
});
// A first statement is slow in a fresh thread (native binding set-up, cold code); pay it before
// reporting ready, not in a plugin's first call.
engine.warmUp();
port.postMessage(WORKER_READY);
