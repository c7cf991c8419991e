// A slot handler for the slot-server tests: answers with what it was given and the thread it ran on;
// "sleep N" blocks its thread N ms, "throw" throws; each handler made, call served and forget is
// appended to `options.log`.
import { appendFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

export function createProbeSlotHandler(options) {
  appendFileSync(options.log, `made on thread ${threadId}\n`);
  return {
    serve(pluginId, slot, [statement, params]) {
      appendFileSync(options.log, `serve ${pluginId} ${slot} ${statement}\n`);
      if (statement === 'throw') throw new Error('the probe failed on purpose');
      if (statement.startsWith('sleep ')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(statement.slice(6)));
      return JSON.stringify({ pluginId, slot, statement, params, thread: threadId, label: options.label });
    },
    forget(pluginId) {
      appendFileSync(options.log, `forget ${pluginId}\n`);
    },
  };
}
